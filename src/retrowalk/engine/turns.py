"""The turn-around and the belt moves every segment shares (start low, ramp, stop safely).

A turn: ramp down, FTMS Stop (or, only for a workout that chose `mode: slow`, a slow speed),
the turn window with the belt still, where the incline for the next step is set, the person's
confirmation when the workout asks for it, then Start, a low speed and a ramp to the target.
No speed above zero is written between the Stop and the Start.
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
    TurnEnded,
    TurnPhase,
    TurnPhaseChanged,
    TurnStarted,
)
from retrowalk.engine.session import Interrupt
from retrowalk.errors import DeviceError
from retrowalk.workout.plan import Direction, Step, TurnMode, TurnSpec

if TYPE_CHECKING:
    from retrowalk.device.api import Capabilities
    from retrowalk.engine.control import Control
    from retrowalk.engine.options import EngineOptions
    from retrowalk.engine.session import Session

_EPS = 1e-6
_STILL_KMH = 0.15  # a reported speed at or below this is a belt standing still
_INCLINE_WAIT_S = 20.0
_START_QUIET_S = 8.0  # a belt still this long after Start: ask for the console
CONSOLE_START_WARNING = (
    "the treadmill accepted Start but the belt is not moving: press start on its console"
)


class TurnRunner:
    """Turn-arounds and shared belt moves; the Walker builds the rest on top."""

    def __init__(
        self, session: Session, control: Control, options: EngineOptions, caps: Capabilities
    ) -> None:
        self.s = session
        self.control = control
        self.options = options
        self.caps = caps
        self._coach_told: tuple[float | None, float] | None = None

    # ---- the turn-around ---------------------------------------------------------------------

    def needs_turn(self, step: Step) -> bool:
        """Return whether the person must turn around before `step`."""
        return step.direction not in {Direction.REST, self.s.facing}

    def turn_spec(self, step: Step) -> TurnSpec:
        """Return how to turn before `step`: the plan's transition, else the step's own."""
        transition = self.s.plan.transition_before(step.index)
        return transition.turn if transition is not None else step.turn

    async def turn(self, step: Step) -> None:
        """Turn the person around before `step` (resumable: a rerun starts at the window)."""
        s = self.s
        spec = self.turn_spec(step)
        due = s.take_due()  # the previous step's deadline: the window may open on it
        s.set_state(EngineState.TURNING)
        if not s.turn_started:
            s.turn_started = True
            transition = s.plan.transition_before(step.index)
            source = transition.from_direction if transition is not None else s.facing
            s.publish(
                TurnStarted(
                    t=s.elapsed(),
                    before_step=step.index,
                    from_direction=source,
                    to_direction=step.direction,
                    window_s=spec.window_s,
                    confirm=spec.confirm,
                )
            )
        slow = spec.mode == TurnMode.SLOW and self.control.belt == "running"
        if self.control.belt == "running" and s.motion_writes:
            due = None  # the window opens once the belt is down: that takes its own time
            self.phase(TurnPhase.RAMP_DOWN)
            if slow and not s.coach:
                slow_kmh = min(spec.slow_speed_kmh, self.control.commanded_speed)
                await self.ramp_to(slow_kmh, s.facing)
            else:
                await self.ramp_to(self.low_speed(None), s.facing)
                self.phase(TurnPhase.STOPPING)
                await self.control.stop()
                await self.wait_still()
        elif not s.motion_writes:
            due = None
            self.phase(TurnPhase.STOPPING)
            self.coach_say("stop the belt and turn around", 0.0, None)
            await self.wait_still()
        await self._window(step, spec, clock.now() if due is None else due)
        self.phase(TurnPhase.STARTING)
        if not slow or self.control.belt != "running":
            await self.start_belt(step)
        self.phase(TurnPhase.RAMP_UP)
        target = s.target_speed(step)
        if target is not None and not s.coach:
            await self.ramp_to(target, step.direction)
        s.facing = step.direction
        s.turn_started = False
        s.turn_phase = None
        s.publish(TurnEnded(t=s.elapsed(), direction=step.direction))

    async def _window(self, step: Step, spec: TurnSpec, opens: float) -> None:
        s = self.s
        s.confirmed = False
        # The person turns in the window: from here on they face the new way, even if the
        # turn is interrupted before it ends (a skip then plans from where they face).
        s.facing = step.direction
        ends = opens + spec.window_s
        s.turn_window_ends = ends
        self.phase(TurnPhase.WINDOW, remaining_s=spec.window_s - (clock.now() - opens))
        target = s.target_incline(step)
        if self.can_incline() and self.incline_differs(target):
            await self.control.set_incline(target, step.direction)
        try:
            if spec.confirm:
                await self._until(lambda: s.confirmed, ends)
                if not s.confirmed and not self.options.auto_confirm:
                    self.phase(TurnPhase.AWAITING_CONFIRM)
                    await self._until(lambda: s.confirmed, math.inf)
            else:
                await clock.sleep_until(ends)
        finally:
            s.turn_window_ends = None

    async def _until(self, done: object, deadline: float) -> None:
        """Wait until `done()` is true (checked on every wake) or the deadline passes."""
        assert callable(done)
        s = self.s
        while not done() and clock.now() < deadline:
            s.wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(deadline if math.isfinite(deadline) else None):
                    await s.wake.wait()

    def phase(self, phase: TurnPhase, remaining_s: float | None = None) -> None:
        """Enter a turn phase and say so."""
        self.s.turn_phase = phase
        self.s.publish(TurnPhaseChanged(t=self.s.elapsed(), phase=phase, remaining_s=remaining_s))

    # ---- belt moves --------------------------------------------------------------------------

    def low_speed(self, target: float | None) -> float:
        """Return the low speed a start begins at: the option, never above the target."""
        low = self.options.start_speed_kmh
        rng = self.caps.speed_range
        if rng is not None:
            low = max(low, rng.minimum_kmh)
        if target is not None:
            low = min(low, target)
        return low

    async def start_belt(self, step: Step) -> None:
        """Start the belt at a low speed (the ramp to the target follows)."""
        s = self.s
        target = s.target_speed(step)
        if not s.motion_writes:
            self.coach_say("start the belt slowly", self.low_speed(target), None)
            return
        if s.need_control:
            await self.control.request_control()
            s.need_control = False
        await self.control.start()
        if not s.coach:
            await self.control.set_speed(
                self.low_speed(target), step.direction, actual=self.actual()
            )
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
                speed = self.actual()
                if speed is None and clock.now() >= started + _START_QUIET_S:
                    return  # no telemetry to go by: carry on by time
                if speed is not None and speed > _STILL_KMH:
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

    async def ramp_once(self, target: float, direction: Direction) -> None:
        """Move the speed one ramp step toward `target`."""
        current = self.control.commanded_speed
        delta = max(-self.options.ramp_step_kmh, min(self.options.ramp_step_kmh, target - current))
        await self.control.set_speed(current + delta, direction, actual=self.actual())

    async def ramp_to(self, target: float, direction: Direction) -> None:
        """Ramp the speed to `target` in steps of ramp_step_kmh every ramp_interval_s."""
        if self.s.coach:
            return
        want = self.control.limit_speed(target, direction)
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

    async def wait_still(self) -> None:
        """Wait (bounded) until the belt reports standing still."""
        deadline = clock.now() + self.options.belt_still_timeout_s
        while clock.now() < deadline:
            speed = self.s.telemetry.fresh_speed(clock.now())
            if speed is None or speed <= _STILL_KMH:
                return
            await clock.sleep_until(min(deadline, clock.now() + 0.25))

    async def wait_incline(self, target: float) -> None:
        """Wait (bounded) until the reported incline reaches `target`."""
        deadline = clock.now() + _INCLINE_WAIT_S
        while clock.now() < deadline:
            incline = self.s.telemetry.incline_pct
            if incline is None or abs(incline - target) <= 0.5:
                return
            await clock.sleep_until(min(deadline, clock.now() + 0.25))

    async def safe_stop(self, *, request_control: bool = False) -> None:
        """Try to stop the belt, bounded in time; never raises for device trouble."""
        try:
            async with asyncio.timeout(self.options.stop_timeout_s):
                if request_control:
                    await self.control.request_control()
                await self.control.stop()
        except (DeviceError, TimeoutError) as exc:
            self.warn(f"could not stop the belt: {exc}; stop it at the console")
            self.control.mark_stopped()

    def belt_still(self) -> bool:
        """Return whether the belt reports standing still (fresh telemetry only)."""
        speed = self.actual()
        return speed is not None and speed <= _STILL_KMH

    def actual(self) -> float | None:
        """Return the belt's reported speed, if fresh."""
        return self.s.telemetry.fresh_speed(clock.now())

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

    def warn(self, message: str) -> None:
        """Publish a Notice."""
        self.s.publish(Notice(t=self.s.elapsed(), message=message))

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
