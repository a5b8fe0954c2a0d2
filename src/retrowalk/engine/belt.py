"""The belt moves every segment shares: wait for the go, start low, ramp, stop and see it at rest.

Every write goes through the Guard. A start first waits for the person's confirmation (or, under
the advanced profile for a workout that chose `confirm: false`, a spoken countdown); a stop is
followed by a bounded wait for telemetry to show the belt at rest, and a belt that does not
stop puts the workout on hold (BELT_NOT_STOPPED), never into a turn window.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from typing import TYPE_CHECKING

from retrowalk.engine import clock
from retrowalk.engine.commands import Origin
from retrowalk.engine.events import (
    CoachMode,
    EngineState,
    HoldCause,
    Notice,
    StartAhead,
)
from retrowalk.engine.guard import STILL_KMH
from retrowalk.engine.session import Interrupt

if TYPE_CHECKING:
    from retrowalk.device.api import Capabilities
    from retrowalk.engine.control import Control
    from retrowalk.engine.guard import Guard
    from retrowalk.engine.options import EngineOptions
    from retrowalk.engine.session import Session
    from retrowalk.workout.plan import Direction, Step

_EPS = 1e-6
_INCLINE_WAIT_S = 20.0
_START_QUIET_S = 8.0  # a belt still this long after Start: ask for the console
_START_COUNTDOWN_S = 5
CONSOLE_START_WARNING = (
    "the treadmill accepted Start but the belt is not moving: press start on its console"
)
BLIND_STOP_WARNING = (
    "This treadmill does not report its speed: make sure the belt stands still before you turn"
)
NOT_STOPPED_ADVICE = (
    "Do not turn around. Hold the rails and stop the belt at the console or pull the safety "
    "key; resume once it stands still."
)


class BeltMoves:
    """Confirm, start, ramp and stop the belt through the guard."""

    def __init__(
        self,
        session: Session,
        guard: Guard,
        control: Control,
        options: EngineOptions,
        caps: Capabilities,
    ) -> None:
        self.s = session
        self.guard = guard
        self.control = control
        self.options = options
        self.caps = caps
        self._coach_told: tuple[float | None, float] | None = None

    # ---- the go ------------------------------------------------------------------------------

    async def confirmation(self, step: Step, *, in_turn: bool) -> None:
        """Return once a start of the still belt is confirmed for `step`."""
        s = self.s
        if self.guard.permitted:
            return
        if self.options.auto_confirm:
            self.guard.confirm(Origin.API)
            return
        if self.guard.countdown_allowed(confirm=step.turn.confirm):
            await self.start_countdown()
            return
        resumed = s.state
        if not in_turn:
            s.set_state(EngineState.WAITING_CONFIRM)
        await self.until(lambda: self.guard.permitted, math.inf)
        if not in_turn:
            s.set_state(resumed)

    async def start_countdown(self) -> None:
        """Say "starting in 5, 4, ..." and confirm; any interrupt cancels it (advanced only)."""
        start = clock.now()
        for n in range(_START_COUNTDOWN_S, 0, -1):
            self.s.publish(StartAhead(t=self.s.elapsed(), seconds=n))
            await clock.sleep_until(start + _START_COUNTDOWN_S - n + 1)
        self.guard.confirm(Origin.ENGINE)

    async def until(self, done: object, deadline: float) -> None:
        """Wait until `done()` is true (checked on every wake) or the deadline passes."""
        assert callable(done)
        s = self.s
        s.watching_telemetry += 1
        try:
            while not done() and clock.now() < deadline:
                s.wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout_at(deadline if math.isfinite(deadline) else None):
                        await s.wake.wait()
        finally:
            s.watching_telemetry -= 1

    # ---- starting ----------------------------------------------------------------------------

    def low_speed(self, target: float | None) -> float:
        """Return the low speed a start begins at: the option, never above the target."""
        low = self.options.start_speed_kmh
        rng = self.caps.speed_range
        if rng is not None:
            low = max(low, rng.minimum_kmh)
        if target is not None:
            low = min(low, target)
        return low

    async def start(self, step: Step, *, in_turn: bool = False) -> None:
        """Start the still belt low for `step`, once confirmed (the ramp to the target follows)."""
        s = self.s
        target = s.target_speed(step)
        if not s.motion_writes:
            self.coach_say("start the belt slowly", self.low_speed(target), None)
            return
        await self.confirmation(step, in_turn=in_turn)
        await self.guard.start()
        if not s.coach:
            await self.guard.set_speed(self.low_speed(target), step.direction)
        await self.wait_moving()

    async def wait_moving(self) -> None:
        """Wait (bounded) for the belt to move after a Start; ask for the console, then hold.

        Some machines acknowledge Start but wait for Start on their own console (FR30Z). A belt
        still reported standing after start_wait_s puts the workout on hold (BELT_NOT_STARTED);
        without telemetry the engine cannot tell and carries on by time.
        """
        started = clock.now()
        told = False
        self.s.awaiting_motion = True
        try:
            while clock.now() < started + self.options.start_wait_s:
                speed = self.guard.observed_speed()
                if speed is None and clock.now() >= started + _START_QUIET_S:
                    return  # no telemetry to go by: carry on by time
                if speed is not None and speed > STILL_KMH:
                    return
                if not told and clock.now() >= started + _START_QUIET_S:
                    told = True
                    self.warn(CONSOLE_START_WARNING)
                await clock.sleep_until(clock.now() + 0.25)
        finally:
            self.s.awaiting_motion = False
        if self.belt_still():
            # The belt reports standing still after the whole wait: the workout's clock
            # must not run over a belt that never started. Hold until the person resumes.
            self.s.interrupt(
                Interrupt(
                    "hold",
                    Origin.DEVICE,
                    cause=HoldCause.BELT_NOT_STARTED,
                    detail=f"the treadmill accepted Start but the belt did not move "
                    f"within {self.options.start_wait_s:g} s",
                    advice="The belt did not start. Press start on the treadmill's console, "
                    "then press Enter to resume.",
                )
            )
            await asyncio.sleep(0)  # the interrupt cancels this segment here

    # ---- ramps -------------------------------------------------------------------------------

    async def ramp_once(self, target: float, direction: Direction) -> None:
        """Move the speed one ramp step toward `target`."""
        current = self.control.commanded_speed
        delta = max(-self.options.ramp_step_kmh, min(self.options.ramp_step_kmh, target - current))
        await self.guard.set_speed(current + delta, direction)

    async def ramp_to(self, target: float, direction: Direction) -> None:
        """Ramp the speed to `target` in steps of ramp_step_kmh every ramp_interval_s."""
        if self.s.coach:
            return
        want = self.guard.cap_speed(target, direction)
        deadline = max(clock.now(), self.control.speed_written_at + self.options.ramp_interval_s)
        while abs(want - self.control.commanded_speed) > _EPS:
            await clock.sleep_until(deadline)
            if want > self.control.commanded_speed and self.belt_still():
                return  # never raise the target of a belt that is not moving: it would jump
            before = self.control.commanded_speed
            await self.ramp_once(want, direction)
            if abs(self.control.commanded_speed - before) < _EPS:
                return  # the machine's grid cannot get closer
            deadline += self.options.ramp_interval_s

    # ---- stopping ----------------------------------------------------------------------------

    async def halt(self, *, pause: bool, slow_kmh: float | None = None) -> None:
        """Ramp down, Stop (or Pause) and see the belt at rest; hold if it does not stop.

        With `slow_kmh` (a slow turn), ramp down to it and see the belt at or below it instead.
        """
        s = self.s
        if slow_kmh is not None:
            await self.ramp_to(slow_kmh, s.facing)
            reached = await self.guard.wait_rest(-math.inf, at_most_kmh=slow_kmh + 0.2)
        else:
            await self.ramp_to(self.low_speed(None), s.facing)
            await (self.guard.pause() if pause else self.guard.stop())
            if self.blind():
                # No speed is ever reported: give the belt its coast-down time, and say that
                # only the person can see whether it stands (the window still needs their go).
                await clock.sleep_until(clock.now() + self.guard.rest_bound(None))
                self.warn(BLIND_STOP_WARNING, safety=True)
                return
            reached = await self.guard.wait_rest(self.control.stop_sent_at)
        if not reached:
            await self.not_stopped()

    def blind(self) -> bool:
        """Return whether this machine never reported a speed (rest cannot be seen)."""
        return not math.isfinite(self.s.telemetry.at)

    async def not_stopped(self) -> None:
        """Hold: the belt was told to stop (or slow) and telemetry does not show it did."""
        speed = self.guard.observed_speed()
        seen = "no fresh telemetry" if speed is None else f"it still runs at {speed:.1f} km/h"
        self.s.interrupt(
            Interrupt(
                "hold",
                Origin.DEVICE,
                cause=HoldCause.BELT_NOT_STOPPED,
                detail=f"the belt was told to stop and {seen}",
                advice=NOT_STOPPED_ADVICE,
            )
        )
        await asyncio.sleep(0)  # the interrupt cancels this segment here

    async def wait_incline(self, target: float) -> None:
        """Wait (bounded) until the reported incline reaches `target`."""
        deadline = clock.now() + _INCLINE_WAIT_S
        while clock.now() < deadline:
            incline = self.s.telemetry.incline_pct
            if incline is None or abs(incline - target) <= 0.5:
                return
            await clock.sleep_until(min(deadline, clock.now() + 0.25))

    # ---- what the belt does ------------------------------------------------------------------

    def belt_still(self) -> bool:
        """Return whether the belt reports standing still (fresh telemetry only)."""
        return self.guard.at_rest()

    def can_incline(self) -> bool:
        """Return whether the engine sets inclines on this machine now."""
        return self.caps.can_set_incline and not self.s.coach

    def incline_differs(self, target: float) -> bool:
        """Return whether `target` differs from what the machine is set to (or reports)."""
        current = self.control.commanded_incline
        if current is None:
            current = self.s.telemetry.incline_pct
        return current is None or abs(current - target) > 0.05

    # ---- messages ----------------------------------------------------------------------------

    def warn(self, message: str, *, safety: bool = False) -> None:
        """Publish a Notice."""
        self.s.publish(Notice(t=self.s.elapsed(), message=message, safety=safety))

    def enter_coach(self, reason: str) -> None:
        """Switch to coach mode: the person sets speed and incline by hand."""
        if not self.s.coach:
            self.s.coach = True
            step = self.s.step
            speed = self.s.target_speed(step) if step is not None else None
            incline = self.s.target_incline(step) if step is not None else None
            self.coach_say(reason, speed, incline)

    def coach_say(self, reason: str, speed: float | None, incline: float | None) -> None:
        """Tell the person what to set."""
        self.s.publish(
            CoachMode(t=self.s.elapsed(), reason=reason, speed_kmh=speed, incline_pct=incline)
        )

    def coach_step(self, step: Step) -> None:
        """In coach mode, say the step's targets whenever they change by a noticeable amount."""
        speed = self.s.target_speed(step)
        incline = self.s.target_incline(step)
        told = self._coach_told
        if told is not None:
            old_speed, old_incline = told
            same_speed = (speed is None and old_speed is None) or (
                speed is not None and old_speed is not None and abs(speed - old_speed) < 0.25
            )
            if same_speed and abs(incline - old_incline) < 0.5:
                return
        self._coach_told = (speed, incline)
        what = "rest" if speed is None else f"set {speed:.1f} km/h, {incline:g} %"
        self.coach_say(f"{step.direction.value}: {what}", speed, incline)

    def forget_coach_targets(self) -> None:
        """A new step: say its targets even if they equal the last ones."""
        self._coach_told = None
