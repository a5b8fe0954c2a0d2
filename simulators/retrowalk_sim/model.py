r"""TreadmillModel: a stateful FTMS treadmill (belt physics, counters, FTMS server semantics).

Public API (all times come from the running loop, so the model runs in virtual time):
- `TreadmillModel(profile)`; `start()` / `close()` (a `SimWorld` calls them); `attach(port)`.
- Read-only state: `speed_kmh`, `incline_pct`, `target_speed_kmh`, `target_incline_pct`,
  `belt_running`, `state` (`BeltState`), `distance_m`, `elapsed_s`, `steps`, `energy_kcal`,
  `control_granted`, `safety_key_in`, `training_status`, `control_point_log: list[bytes]`,
  `control_point_writes: list[tuple[float, bytes]]` (loop time, bytes),
  `sent: list[tuple[float, str, bytes]]` only when `record_traffic=True`.
- Console actions: `console_start()`, `console_stop()`, `console_pause()`,
  `console_speed_up()` / `console_speed_down()`, `console_incline_up()` / `console_incline_down()`,
  `pull_safety_key()`, `insert_safety_key()`.
- Faults: `drop_link(refuse_s=0.0)`, `reject_next(n, result_code)`, `ignore_speed(on=True)`,
  `stall_notifications(seconds)`, `send_garbage(data=b"\\x5a")`, `slow_belt(factor)`,
  `revoke_control()` (status 0xFF; profiles with `console_revokes_control` do it on any console
  action while a client has control), `mute_control_point(on=True)` (writes are logged, never
  acted on or answered).

Behaviour (docs/reference/ftms.md): a Start counts down `start_delay_s`, then the belt ramps to the
target; a new target starts to move the belt `speed_lag_s` after its acknowledgement and the
record that first shows the reached value is sent at once (then the cadence restarts), so a small
step shows 0.7-0.85 s after the ack; Stop coasts down, then zeroes the counters and sends an
all-zero record; Pause coasts down and keeps them. A `speed_in_mph` machine takes and reports
every FTMS speed number as mph: its belt really moves 1.609 times faster (`speed_kmh` is the
real belt speed, `target_speed_kmh` the machine's own number).
"""

from __future__ import annotations

import asyncio
import math
from enum import Enum
from typing import TYPE_CHECKING

from retrowalk.ftms.control_point import quantize
from retrowalk.ftms.models import (
    TREADMILL_DATA_UUID,
    MachineStatus,
    StatusOp,
    StopKind,
    TrainingStatusCode,
    TreadmillData,
)
from retrowalk_sim.physics import MOVING_KMH, Counters, Ramp
from retrowalk_sim.records import build_record
from retrowalk_sim.server import FtmsServer

if TYPE_CHECKING:
    from retrowalk_sim.profiles import MachineProfile

__all__ = ["BeltState", "TreadmillModel"]


class BeltState(Enum):
    """Where the machine is in its session."""

    IDLE = "idle"  # stopped, counters zero
    WAITING_CONSOLE = "waiting-console"  # Start acknowledged, belt waits for the console (FR30Z)
    STARTING = "starting"  # countdown before the belt moves
    RUNNING = "running"
    PAUSING = "pausing"  # coasting to a pause
    PAUSED = "paused"  # stopped, counters kept
    STOPPING = "stopping"  # coasting to a stop


MPH_IN_KMH = 1.609344
MOVING_STATES = frozenset({BeltState.RUNNING, BeltState.PAUSING, BeltState.STOPPING})


class TreadmillModel(FtmsServer):
    """A simulated FTMS treadmill following one `MachineProfile`."""

    def __init__(self, profile: MachineProfile, *, record_traffic: bool = False) -> None:
        super().__init__(profile, record_traffic=record_traffic)
        self.state = BeltState.IDLE
        self.target_speed_kmh = profile.speed_range.minimum_kmh
        self.target_incline_pct = 0.0
        self.safety_key_in = True
        self._belt = Ramp(0.0, 0.0, 0.0, 0.0, on_change=self._belt_changed)
        self._incline = Ramp(0.0, 0.0, 0.0, 0.0, on_change=self._incline_changed)
        self._counters = Counters()
        self._counted_to = 0.0
        self._rate_factor = 1.0
        self._unit = MPH_IN_KMH if profile.speed_in_mph else 1.0  # belt units -> real km/h
        self._started_at = -math.inf
        self._silent_until = -math.inf
        self._next_tick = 0.0
        self._period = 1.0 / profile.notify_hz
        self._last_record: TreadmillData | None = None
        self._last_parts: list[bytes] = []

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start notifying on the running loop (idempotent)."""
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        now = self._loop.time()
        self._counted_to = now
        self._belt.hold(now, 0.0)
        self._incline.hold(now, 0.0)
        self._next_tick = now + self._period
        self._set_timer("tick", self._next_tick, self._tick)

    # ---- read-only state -----------------------------------------------------------------------

    @property
    def speed_kmh(self) -> float:
        """Return the real belt speed now (the reported number differs only on an mph machine)."""
        return self._belt.at(self._now()) * self._unit

    @property
    def incline_pct(self) -> float:
        """Return the deck incline now."""
        return self._incline.at(self._now())

    @property
    def belt_running(self) -> bool:
        """Return whether the belt moves."""
        return self.speed_kmh > MOVING_KMH

    @property
    def distance_m(self) -> float:
        """Return the session distance."""
        self._advance(self._now())
        return self._counters.distance_m

    @property
    def elapsed_s(self) -> float:
        """Return the session's running time."""
        self._advance(self._now())
        return self._counters.elapsed_s

    @property
    def steps(self) -> float:
        """Return the walker's steps this session."""
        self._advance(self._now())
        return self._counters.steps

    @property
    def energy_kcal(self) -> float:
        """Return the energy spent this session."""
        self._advance(self._now())
        return self._counters.energy_kcal

    # ---- console -------------------------------------------------------------------------------

    def console_start(self) -> None:
        """Press Start on the console (also confirms a pending FTMS start)."""
        if not self.safety_key_in or self.state in {BeltState.STARTING, BeltState.RUNNING}:
            return
        self._status(MachineStatus(StatusOp.STARTED_OR_RESUMED_BY_USER))
        self._console_took_over()
        self._begin_start()

    def console_stop(self) -> None:
        """Press Stop on the console: status 02 01, coast down, counters zeroed."""
        self._console_halt(StopKind.STOP)

    def console_pause(self) -> None:
        """Press Pause on the console: status 02 02, coast down, counters kept."""
        self._console_halt(StopKind.PAUSE)

    def console_speed_up(self) -> None:
        """Press speed + on the console (status 05 with the new target)."""
        self._console_speed(+1)

    def console_speed_down(self) -> None:
        """Press speed - on the console (status 05 with the new target)."""
        self._console_speed(-1)

    def console_incline_up(self) -> None:
        """Press incline + on the console (status 06 with the new target)."""
        self._console_incline(+1)

    def console_incline_down(self) -> None:
        """Press incline - on the console (status 06 with the new target)."""
        self._console_incline(-1)

    def console_set_speed(self, kmh: float) -> None:
        """Key in a belt speed (real km/h) on the console: clamped and put on the machine's grid.

        Like the + and - keys it does nothing while the belt stands (no start, no pause).
        """
        rng = self.profile.speed_range
        value = quantize(
            kmh / self._unit,
            increment=rng.increment_kmh,
            minimum=rng.minimum_kmh,
            maximum=rng.maximum_kmh,
        )
        self._console_speed_to(round(value, 2))

    def console_set_incline(self, pct: float) -> None:
        """Key in an incline on the console: clamped and put on the machine's grid."""
        rng = self.profile.incline_range
        if rng is None:
            return
        value = quantize(
            pct, increment=rng.increment_pct, minimum=rng.minimum_pct, maximum=rng.maximum_pct
        )
        self._console_incline_to(round(value, 1))

    def pull_safety_key(self) -> None:
        """Pull the safety key: the belt stops at once, status 03, Start fails until re-inserted."""
        now = self._now()
        self._advance(now)
        self.safety_key_in = False
        self._cancel_timers("start", "speed", "belt")
        self._belt.hold(now, 0.0)
        self._status(MachineStatus(StatusOp.STOPPED_BY_SAFETY_KEY))
        self._end_session()

    def insert_safety_key(self) -> None:
        """Put the safety key back."""
        self.safety_key_in = True

    # ---- faults --------------------------------------------------------------------------------

    def stall_notifications(self, seconds: float) -> None:
        """Send no Treadmill Data for `seconds` (the link stays up)."""
        self._silent_until = max(self._silent_until, self._now() + seconds)

    def send_garbage(self, data: bytes = b"\x5a") -> None:
        """Notify `data` as one Treadmill Data notification (default: 1 byte, not even flags)."""
        if self._port is not None:
            self._send(TREADMILL_DATA_UUID, data)

    def slow_belt(self, factor: float) -> None:
        """Scale every speed and incline rate by `factor` (0.1 = ten times slower)."""
        if not factor > 0:
            raise ValueError(f"slow_belt factor must be positive, got {factor}")
        now = self._now()
        self._advance(now)
        self._rate_factor = factor
        self._belt.retarget(now, self._belt.goal, self._belt.rate * factor)
        self._incline.retarget(now, self._incline.goal, self._incline.rate * factor)
        self._arm_reached("speed-reached", self._belt)
        self._arm_reached("incline-reached", self._incline)

    # ---- the machine's own behaviour (called by FtmsServer and the console) -------------------

    def _now(self) -> float:
        if self._loop is None:
            raise RuntimeError(
                "the treadmill model is not running: use it inside `async with world`"
            )
        return self._loop.time()

    def _advance(self, now: float) -> None:
        running = self.state in MOVING_STATES
        self._counters.advance(
            self._belt, self._incline, self._counted_to, now, running=running, scale=self._unit
        )
        self._counted_to = now

    def _begin_start(self) -> None:
        now = self._now()
        self._advance(now)
        self._started_at = now
        self._cancel_timers("belt")
        if self.belt_running:  # Start while coasting down: resume at once, no countdown
            self._on_countdown_end()
            return
        self.state = BeltState.STARTING
        self._set_training(TrainingStatusCode.PRE_WORKOUT)
        self._set_timer("start", now + self.profile.start_delay_s, self._on_countdown_end)

    def _on_countdown_end(self) -> None:
        now = self._now()
        self._advance(now)
        self.state = BeltState.RUNNING
        self._set_training(TrainingStatusCode.MANUAL_MODE)
        self._move_belt(now, self.target_speed_kmh)

    def _move_belt(self, now: float, goal: float) -> None:
        self._advance(now)
        speeding_up = goal > self._belt.at(now)
        rate = self.profile.accel_kmh_per_s if speeding_up else self.profile.decel_kmh_per_s
        self._belt.retarget(now, goal, rate * self._rate_factor)
        self._arm_reached("speed-reached", self._belt)

    def _move_incline(self, now: float, goal: float) -> None:
        self._advance(now)
        self._incline.retarget(now, goal, self.profile.incline_pct_per_s * self._rate_factor)
        self._arm_reached("incline-reached", self._incline)

    def _arm_reached(self, name: str, ramp: Ramp) -> None:
        when = ramp.reach_time()
        if math.isfinite(when) and when > self._now():
            self._set_timer(name, when, self._notify_now)
        else:
            self._cancel_timers(name)

    def _apply_speed_target(self, speed: float) -> None:
        """Take a new (quantised, in-range) target speed; the belt follows after the lag."""
        self.target_speed_kmh = speed
        if self.state is BeltState.RUNNING:
            now = self._now()
            lag = self.profile.speed_lag_s
            self._set_timer("speed", now + lag, lambda: self._move_belt(self._now(), speed))

    def _apply_incline_target(self, incline: float) -> None:
        """Take a new incline target; the deck follows after the lag, in any belt state."""
        self.target_incline_pct = incline
        now = self._now()
        lag = self.profile.incline_lag_s
        self._set_timer("incline", now + lag, lambda: self._move_incline(self._now(), incline))

    def _halt(self, kind: StopKind) -> None:
        """Stop or pause: coast down (or cancel a pending start)."""
        now = self._now()
        self._advance(now)
        self._cancel_timers("start", "speed", "speed-reached")
        if self.state in {BeltState.STARTING, BeltState.WAITING_CONSOLE} and not self.belt_running:
            self.state = BeltState.PAUSED if kind is StopKind.PAUSE else BeltState.STOPPING
            self._on_halted()
            return
        if self.state is BeltState.PAUSED and kind is StopKind.STOP:
            self._end_session()  # a stop while paused ends the session
            return
        if self.state in {BeltState.IDLE, BeltState.PAUSED}:
            return
        self.state = BeltState.PAUSING if kind is StopKind.PAUSE else BeltState.STOPPING
        self._belt.retarget(now, 0.0, self.profile.coast_kmh_per_s * self._rate_factor)
        self._set_timer("belt", max(self._belt.reach_time(), now), self._on_halted)
        if kind is StopKind.STOP:
            self._set_training(TrainingStatusCode.POST_WORKOUT)

    def _on_halted(self) -> None:
        now = self._now()
        self._advance(now)
        self._cancel_timers("speed-reached")
        self._belt.hold(now, 0.0)
        if self.state is BeltState.PAUSING or self.state is BeltState.PAUSED:
            self.state = BeltState.PAUSED
            self._notify_now()
            return
        self._end_session()

    def _end_session(self) -> None:
        """The belt stands after a stop: counters zero, an all-zero record goes out at once."""
        now = self._now()
        self._advance(now)
        self.state = BeltState.IDLE
        self._counters.reset()
        self.target_speed_kmh = self.profile.speed_range.minimum_kmh
        self._set_training(TrainingStatusCode.POST_WORKOUT)
        self._set_timer("idle", now + 5.0, lambda: self._set_training(TrainingStatusCode.IDLE))
        self._notify_now()

    def _console_halt(self, kind: StopKind) -> None:
        if not self._session_active(kind):
            return
        self._status(MachineStatus(StatusOp.STOPPED_OR_PAUSED_BY_USER, stop_kind=kind))
        self._console_took_over()
        if kind is StopKind.STOP and self.profile.console_stop_silence_s > 0:
            self.stall_notifications(self.profile.console_stop_silence_s)
        self._halt(kind)

    def _console_speed(self, direction: int) -> None:
        rng = self.profile.speed_range
        new = self.target_speed_kmh + direction * rng.increment_kmh
        self._console_speed_to(round(min(max(new, rng.minimum_kmh), rng.maximum_kmh), 2))

    def _console_speed_to(self, new: float) -> None:
        if self.state not in {BeltState.RUNNING, BeltState.STARTING}:
            return
        self._status(MachineStatus(StatusOp.TARGET_SPEED_CHANGED, target_speed_kmh=new))
        self._console_took_over()
        self._apply_speed_target(new)

    def _console_incline(self, direction: int) -> None:
        rng = self.profile.incline_range
        if rng is None:
            return
        new = self.target_incline_pct + direction * rng.increment_pct
        self._console_incline_to(round(min(max(new, rng.minimum_pct), rng.maximum_pct), 1))

    def _console_incline_to(self, new: float) -> None:
        self._status(MachineStatus(StatusOp.TARGET_INCLINE_CHANGED, target_incline_pct=new))
        self._console_took_over()
        self._apply_incline_target(new)

    def _console_took_over(self) -> None:
        """A machine that hands control to its console announces it with status 0xFF."""
        if self.profile.console_revokes_control and self.control_granted:
            self.revoke_control()

    # ---- Treadmill Data ------------------------------------------------------------------------

    def _tick(self) -> None:
        now = self._now()
        self._next_tick += self._period
        if self._next_tick <= now:
            self._next_tick = now + self._period
        self._set_timer("tick", self._next_tick, self._tick)
        self._emit_data(now)

    def _notify_now(self) -> None:
        """Report a reached value at once, then restart the cadence from now."""
        now = self._now()
        self._next_tick = now + self._period
        self._set_timer("tick", self._next_tick, self._tick)
        self._emit_data(now)

    def _emit_data(self, now: float) -> None:
        port = self._port
        if port is None or now < self._silent_until or not port.subscribed(TREADMILL_DATA_UUID):
            return
        self._advance(now)
        record = self._record(now)
        if record != self._last_record:
            self._last_record = record
            self._last_parts = self._encode_record(record, port.max_payload)
        for part in self._last_parts:
            self._send(TREADMILL_DATA_UUID, part)

    def _record(self, now: float) -> TreadmillData:
        """Return the record the machine reports now, with the fields its profile sends."""
        return build_record(self.profile, self._belt.at(now), self._incline.at(now), self._counters)

    # ---- hooks for FtmsServer ------------------------------------------------------------------

    def _belt_changed(self, ramp: Ramp) -> None:
        if self.trace is not None:
            self.trace.belt(ramp, self._unit)

    def _incline_changed(self, ramp: Ramp) -> None:
        if self.trace is not None:
            self.trace.incline(ramp)

    def _on_detach(self) -> None:
        if self.profile.stop_on_disconnect:
            self._halt(StopKind.STOP)

    def _belt_idle(self) -> bool:
        return self.state in {BeltState.IDLE, BeltState.PAUSED}

    def _session_active(self, kind: StopKind) -> bool:
        """Return whether a stop (or pause) of this kind would change anything."""
        if kind is StopKind.STOP:
            return self.state is not BeltState.IDLE
        return not self._belt_idle()

    def _belt_started_at(self) -> float:
        return self._started_at

    def _request_start(self) -> None:
        if self.state in {BeltState.STARTING, BeltState.RUNNING}:
            return
        if self.profile.start_needs_console and self.state is not BeltState.PAUSED:
            self.state = BeltState.WAITING_CONSOLE
            return
        self._begin_start()
