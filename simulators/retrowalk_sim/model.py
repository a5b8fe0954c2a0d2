r"""TreadmillModel: a stateful FTMS treadmill (belt physics, counters, FTMS server semantics).

Public API (all times come from the running loop, so the model runs in virtual time):
- `TreadmillModel(profile)`; `start()` / `close()` (a `SimWorld` calls them); `attach(port)`.
- Read-only state: `speed_kmh`, `incline_pct`, `target_speed_kmh`, `target_incline_pct`,
  `belt_running`, `state` (`BeltState`), `distance_m`, `elapsed_s`, `steps`, `energy_kcal`,
  `control_granted`, `safety_key_in`, `training_status`, `control_point_log: list[bytes]`,
  `control_point_writes: list[tuple[float, bytes]]` (loop time, bytes),
  `sent: list[tuple[float, str, bytes]]` only when `record_traffic=True`.
- Console actions (`retrowalk_sim.console`): `console_start()`, `console_stop()`,
  `console_pause()`, `console_speed_up()` / `_down()`, `console_incline_up()` / `_down()`,
  `console_set_speed(kmh)`, `console_set_incline(pct)`, `pull_safety_key()`, `insert_safety_key()`.
- Faults: `drop_link(refuse_s=0.0)`, `reject_next(n, result_code)`, `ignore_speed(on=True, *,
  for_s=None)`, `mute_control_point(on=True, *, for_s=None)` (writes logged, never answered),
  `ignore_stop(for_s)`, `refuse_control(count)`, `stall_notifications(seconds)`,
  `send_garbage(data=b"\\x5a")`, `slow_belt(factor)`, `revoke_control()` (status 0xFF; profiles
  with `console_revokes_control` do it on any console action while a client has control).
- `trace`: a `retrowalk_sim.trace.Trace` of the ground truth, when the world records one.

Behaviour (docs/reference/ftms.md): a Start counts down `start_delay_s`, then the belt ramps to the
target; a new target starts to move the belt `speed_lag_s` after its acknowledgement and the
record that first shows the reached value is sent at once (then the cadence restarts), so a small
step shows 0.7-0.85 s after the ack; Stop coasts down, then zeroes the counters and sends an
all-zero record; Pause coasts down and keeps them. A `speed_in_mph` machine takes (and,
unless `reports_kmh`, reports) every FTMS speed number as mph: its belt really moves 1.609 times
faster (`speed_kmh` is the real belt speed, `target_speed_kmh` the machine's own number).
"""

from __future__ import annotations

import asyncio
import math
from enum import Enum
from typing import TYPE_CHECKING

from retrowalk.ftms.models import (
    TREADMILL_DATA_UUID,
    MachineStatus,
    StatusOp,
    StopKind,
    TrainingStatusCode,
    TreadmillData,
)
from retrowalk_sim.console import ConsoleKeys
from retrowalk_sim.notifier import DataNotifier
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


class TreadmillModel(FtmsServer, ConsoleKeys):
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
        self._data = DataNotifier(
            profile, self.timers, self._record, lambda: self._port, self._send
        )

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start notifying on the running loop (idempotent)."""
        if self.timers.running:
            return
        self.timers.bind(asyncio.get_running_loop())
        now = self.timers.now()
        self._counted_to = now
        self._belt.hold(now, 0.0)
        self._incline.hold(now, 0.0)
        self._data.start(now)

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

    def pull_safety_key(self) -> None:
        """Pull the safety key: the belt stops at once, status 03, Start fails until re-inserted."""
        now = self._now()
        self._advance(now)
        self.safety_key_in = False
        self.timers.cancel("start", "speed", "belt")
        self._belt.hold(now, 0.0)
        self._status(MachineStatus(StatusOp.STOPPED_BY_SAFETY_KEY))
        self._end_session()

    def insert_safety_key(self) -> None:
        """Put the safety key back."""
        self.safety_key_in = True

    # ---- faults --------------------------------------------------------------------------------

    def stall_notifications(self, seconds: float) -> None:
        """Send no Treadmill Data for `seconds` (the link stays up)."""
        self._data.silence(seconds)

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
        return self.timers.now()

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
        self.timers.cancel("belt")
        if self.belt_running:  # Start while coasting down: resume at once, no countdown
            self._on_countdown_end()
            return
        self.state = BeltState.STARTING
        self._set_training(TrainingStatusCode.PRE_WORKOUT)
        self.timers.set("start", now + self.profile.start_delay_s, self._on_countdown_end)

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
            self.timers.set(name, when, self._notify_now)
        else:
            self.timers.cancel(name)

    def _apply_speed_target(self, speed: float) -> None:
        """Take a new (quantised, in-range) target speed; the belt follows after the lag."""
        self.target_speed_kmh = speed
        if self.state is BeltState.RUNNING:
            now = self._now()
            lag = self.profile.speed_lag_s
            self.timers.set("speed", now + lag, lambda: self._move_belt(self._now(), speed))

    def _apply_incline_target(self, incline: float) -> None:
        """Take a new incline target; the deck follows after the lag, in any belt state."""
        self.target_incline_pct = incline
        now = self._now()
        lag = self.profile.incline_lag_s
        self.timers.set("incline", now + lag, lambda: self._move_incline(self._now(), incline))

    def _halt(self, kind: StopKind) -> None:
        """Stop or pause: coast down (or cancel a pending start)."""
        now = self._now()
        self._advance(now)
        self.timers.cancel("start", "speed", "speed-reached")
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
        self.timers.set("belt", max(self._belt.reach_time(), now), self._on_halted)
        if kind is StopKind.STOP:
            self._set_training(TrainingStatusCode.POST_WORKOUT)

    def _on_halted(self) -> None:
        now = self._now()
        self._advance(now)
        self.timers.cancel("speed-reached")
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
        self.timers.set("idle", now + 5.0, lambda: self._set_training(TrainingStatusCode.IDLE))
        self._notify_now()

    def _keys_move_belt(self) -> bool:
        return self.state in {BeltState.RUNNING, BeltState.STARTING}

    def _console_took_over(self) -> None:
        """A machine that hands control to its console announces it with status 0xFF."""
        if self.profile.console_revokes_control and self.control_granted:
            self.revoke_control()

    # ---- Treadmill Data ------------------------------------------------------------------------

    def _notify_now(self) -> None:
        """Report a reached value at once (the cadence keeps its grid)."""
        self._data.now()

    def _record(self, now: float) -> TreadmillData:
        """Return the record the machine reports now, with the fields its profile sends."""
        self._advance(now)
        shown = self._belt.at(now) * (self._unit if self.profile.reports_kmh else 1.0)
        return build_record(self.profile, shown, self._incline.at(now), self._counters)

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
