"""What the engine watches: telemetry and status from the machine, and its own watchdogs.

`read_device` turns device events into telemetry, holds (console stop or pause, safety key,
lost control, lost link) and console overrides. `tick` runs at the snapshot rate on absolute
deadlines: it integrates distance and energy, watches that the belt follows its target and
that the heart rate stays under its limit, and publishes a Snapshot.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from retrowalk.device.api import LinkLost, LinkRestored
from retrowalk.engine import clock
from retrowalk.engine.commands import Origin
from retrowalk.engine.events import (
    ConnectionLost,
    EngineState,
    HoldCause,
    Notice,
    Override,
    Reconnected,
)
from retrowalk.engine.session import Interrupt
from retrowalk.errors import DeviceError
from retrowalk.ftms.models import MachineStatus, StatusOp, StopKind, TreadmillData

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from retrowalk.device.api import DeviceEvent, Treadmill
    from retrowalk.engine.control import Control
    from retrowalk.engine.options import EngineOptions
    from retrowalk.engine.session import Session
    from retrowalk.engine.walk import Walker

_STILL_KMH = 0.15
_WATCHED = {EngineState.RUNNING, EngineState.TURNING, EngineState.PAUSED}
_ADVICE_CONSOLE = "Resume when you are ready: the belt restarts slowly."
_HOLDS = {
    StatusOp.STOPPED_BY_SAFETY_KEY: (
        HoldCause.SAFETY_KEY,
        "the safety key was pulled",
        "Put the safety key back, then resume.",
    ),
    StatusOp.CONTROL_PERMISSION_LOST: (
        HoldCause.CONTROL_LOST,
        "the treadmill withdrew control",
        "Close other apps connected to the treadmill, then resume.",
    ),
    StatusOp.RESET: (
        HoldCause.CONTROL_LOST,
        "the treadmill was reset",
        "Check the treadmill's console, then resume.",
    ),
}


class Monitor:
    """Device reader and periodic watchdogs of one engine."""

    def __init__(
        self,
        session: Session,
        control: Control,
        walker: Walker,
        options: EngineOptions,
        treadmill: Treadmill,
    ) -> None:
        self.s = session
        self.control = control
        self.walker = walker
        self.options = options
        self.treadmill = treadmill
        self.followed = False  # the belt once followed a change we made while it moved
        self._progress_at = -math.inf
        self._best_error = math.inf
        self._best_target = -1.0
        self._hr_since: float | None = None

    # ---- device events -----------------------------------------------------------------------

    async def read_device(self, events: AsyncIterator[DeviceEvent]) -> None:
        """Consume device events until the treadmill closes."""
        try:
            async for event in events:
                self._on_event(event)
        except DeviceError as exc:
            self._hold(HoldCause.DEVICE_ERROR, str(exc), "Check the treadmill, then resume.")
            return
        if self.s.state in _WATCHED:
            self._hold(HoldCause.DISCONNECTED, "the treadmill closed", "Reconnect and resume.")

    def _on_event(self, event: DeviceEvent) -> None:
        s = self.s
        if isinstance(event, TreadmillData):
            now = clock.now()
            if event.speed_kmh is not None:
                s.telemetry.speed_kmh = event.speed_kmh
                s.telemetry.at = now
            if event.incline_pct is not None:
                s.telemetry.incline_pct = event.incline_pct
            if event.heart_rate_bpm is not None:
                s.telemetry.heart_rate_bpm = event.heart_rate_bpm
        elif isinstance(event, MachineStatus):
            self._on_status(event)
        elif isinstance(event, LinkLost):
            s.link_up = False
            s.publish(ConnectionLost(t=s.elapsed(), origin=Origin.DEVICE, reason=event.reason))
            self.control.mark_stopped()
            self._hold(
                HoldCause.DISCONNECTED,
                event.reason,
                "The connection dropped; retrowalk is reconnecting. Stop at the console if "
                "you need to; resume once it is back.",
            )
        elif isinstance(event, LinkRestored):
            s.link_up = True
            s.need_control = True
            s.publish(Reconnected(t=s.elapsed(), origin=Origin.DEVICE, attempts=event.attempts))
            s.wake.set()

    def _on_status(self, status: MachineStatus) -> None:
        s = self.s
        op = status.op
        if op == StatusOp.STOPPED_OR_PAUSED_BY_USER:
            if self.control.consume_echo("stop", None) or self.control.consume_echo("pause", None):
                return
            self.control.mark_stopped()
            pause = status.stop_kind == StopKind.PAUSE
            cause = HoldCause.CONSOLE_PAUSE if pause else HoldCause.CONSOLE_STOP
            what = "paused" if pause else "stopped"
            self._hold(cause, f"the belt was {what} at the console", _ADVICE_CONSOLE)
        elif op in _HOLDS:
            cause, detail, advice = _HOLDS[StatusOp(op)]
            if cause == HoldCause.SAFETY_KEY:
                self.control.mark_stopped()
            self._hold(cause, detail, advice)
        elif op == StatusOp.STARTED_OR_RESUMED_BY_USER:
            if self.control.consume_echo("start", None):
                return
            if s.state in {EngineState.HOLD, EngineState.PAUSED}:
                s.publish(
                    Notice(
                        t=s.elapsed(),
                        message="the belt was started at the console; the workout stays "
                        "on hold until you resume",
                    )
                )
        else:
            self._on_target_status(status)

    def _on_target_status(self, status: MachineStatus) -> None:
        speed, incline = status.target_speed_kmh, status.target_incline_pct
        if status.op == StatusOp.TARGET_SPEED_CHANGED and speed is not None:
            if not self.control.consume_echo("speed", speed):
                self._console_speed(speed)
            return
        if status.op == StatusOp.TARGET_INCLINE_CHANGED and incline is not None:  # noqa: SIM102 - echo check reads apart
            if not self.control.consume_echo("incline", incline):
                self._console_incline(incline)

    def _console_speed(self, value: float) -> None:
        s = self.s
        step = s.step
        if s.state != EngineState.RUNNING or step is None or step.speed is None or s.coach:
            return
        planned = step.speed.at(s.step_fraction())
        s.speed_override = value
        self.control.commanded_speed = value  # the machine's target now; keep it
        s.publish(
            Override(
                t=s.elapsed(), origin=Origin.CONSOLE, what="speed", value=value, planned=planned
            )
        )
        cap = self.walker.control.limit_speed(value, step.direction)
        if cap < value - 1e-6:
            self._warn(f"{value:g} km/h is above this step's limit of {cap:g} km/h")

    def _console_incline(self, value: float) -> None:
        s = self.s
        step = s.step
        if s.state != EngineState.RUNNING or step is None or s.coach:
            return
        s.incline_override = value
        self.control.commanded_incline = value
        s.publish(
            Override(
                t=s.elapsed(),
                origin=Origin.CONSOLE,
                what="incline",
                value=value,
                planned=step.incline_pct,
            )
        )

    def _hold(self, cause: HoldCause, detail: str, advice: str) -> None:
        s = self.s
        if s.state not in _WATCHED and s.state != EngineState.HOLD:
            return
        same = s.hold is not None and s.hold.cause == cause
        if same and s.state == EngineState.HOLD and not s.resume_requested:
            return  # already held for this; a resume on its way must not lose a new cause
        s.interrupt(Interrupt("hold", Origin.DEVICE, cause=cause, detail=detail, advice=advice))

    def _warn(self, message: str) -> None:
        self.s.publish(Notice(t=self.s.elapsed(), message=message))

    # ---- periodic ----------------------------------------------------------------------------

    async def tick(self) -> None:
        """Integrate, watch and publish a Snapshot every snapshot_interval_s, forever."""
        interval = self.options.snapshot_interval_s
        deadline = last = clock.now()
        while True:
            now = clock.now()
            running = self.control.belt == "running"
            self.s.integrate(now - last, self.control.commanded_speed if running else 0.0)
            last = now
            self._watch_speed(now)
            self._watch_heart(now)
            self.s.bus.publish(
                self.s.snapshot(
                    commanded_speed=self.control.commanded_speed,
                    commanded_incline=self.control.commanded_incline,
                )
            )
            deadline += interval
            await clock.sleep_until(deadline)

    def _watch_speed(self, now: float) -> None:
        s = self.s
        c = self.control
        watched = s.state == EngineState.RUNNING or (
            s.state == EngineState.TURNING
            and s.turn_phase is not None
            and s.turn_phase.value in {"starting", "ramp_up"}
        )
        actual = s.telemetry.fresh_speed(now)
        target = c.commanded_speed
        # A belt yet to start after a Start is the walker's to judge (wait_moving).
        idle = s.coach or c.belt != "running" or not watched or s.awaiting_motion
        if idle or s.pending is not None:
            self._progress_at = now
            return
        if actual is None or target <= 0:
            return
        rng = self.treadmill.capabilities.speed_range
        tolerance = max(0.3, 0.6 * rng.increment_kmh) if rng is not None else 0.3
        error = abs(actual - target)
        if error <= tolerance:
            if (
                c.speed_before_change > _STILL_KMH
                and abs(target - c.speed_before_change) > tolerance
            ):
                self.followed = True
            self._best_error = error
            self._progress_at = now
            return
        if target != self._best_target or error < self._best_error - 0.1:
            self._best_target = target
            self._best_error = error
            self._progress_at = now
        lagging_since = max(c.speed_changed_at, self._progress_at)
        if now - lagging_since < self.options.follow_grace_s:
            return
        self._progress_at = now
        if actual <= _STILL_KMH and not self.followed:
            return  # never started (the walker asks for the console start)
        if not self.followed:
            self.walker.enter_coach(
                "the treadmill does not follow speed commands: set the speed by hand"
            )
            return
        self._hold(
            HoldCause.SPEED_NOT_FOLLOWING,
            f"the belt runs at {actual:.1f} km/h, not the {target:.1f} km/h asked for",
            "Check the treadmill (speed lock, child lock, overload), then resume.",
        )

    def _watch_heart(self, now: float) -> None:
        limit = self.options.hr_max_bpm
        bpm = self.s.heart_rate()
        active = self.s.state in {EngineState.RUNNING, EngineState.TURNING}
        if limit is None or bpm is None or bpm <= limit or not active:
            self._hr_since = None
            return
        if self._hr_since is None:
            self._hr_since = now
        if now - self._hr_since >= self.options.hr_hold_s:
            self._hr_since = None
            self._hold(
                HoldCause.HEART_RATE,
                f"heart rate {bpm} bpm stayed above {limit} bpm for {self.options.hr_hold_s:g} s",
                "Walk it off slowly or rest; resume when your heart rate is down.",
            )
