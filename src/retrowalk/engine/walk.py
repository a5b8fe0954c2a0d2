"""The walker: drives the plan step by step, turn by turn, and handles interrupts.

The plan runs as a sequence of segments (waiting for the start, a turn-around, a step), each in
its own task so an interrupt (pause, hold, skip, back, stop) can cancel it at any await. Between
segments the walker handles the pending interrupt. A segment always begins from what the belt
is doing: a step with the belt still waits for the person's go and starts it low; a turn with the
belt moving ramps it down and stops it first. So resuming is just running the segment again.
The walker owns a TurnRunner and a HoldRunner; every belt move goes through BeltMoves and the
Guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.engine import clock
from retrowalk.engine.commands import Origin
from retrowalk.engine.control import Halted, Unconfirmed
from retrowalk.engine.countdown import Countdown
from retrowalk.engine.events import (
    EngineState,
    StepFinished,
    StepStarted,
    TurnEnded,
)
from retrowalk.engine.holds import HoldRunner
from retrowalk.engine.turns import TurnRunner
from retrowalk.errors import DeviceError, SafetyError
from retrowalk.workout.plan import Direction, Step

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from retrowalk.engine.belt import BeltMoves
    from retrowalk.engine.options import EngineOptions
    from retrowalk.engine.session import Interrupt, Session

_EPS = 1e-6
_POLL_S = 0.5  # distance steps and speed ramps re-check this often


@dataclass(frozen=True)
class Outcome:
    """How the walk ended: finished, or aborted with a reason."""

    finished: bool
    reason: str = ""


class Walker:
    """Runs the whole plan, sharing state through `session`."""

    def __init__(self, session: Session, belt: BeltMoves, options: EngineOptions) -> None:
        self.s = session
        self.belt = belt
        self.guard = belt.guard
        self.control = belt.control
        self.options = options
        self.turns = TurnRunner(session, belt, belt.guard, options)
        self.holds = HoldRunner(session, belt, belt.guard, belt.control)
        self.countdown = Countdown(session)

    async def drive(self) -> Outcome:
        """Run the workout from WAITING_START to its last step; return how it ended."""
        s = self.s
        steps = s.plan.steps
        while True:
            if s.pending is not None:
                outcome = await self._handle_pending()
                if outcome is not None:
                    return outcome
                continue
            if s.started_at is None:
                await self._segment(self._wait_start)
                continue
            if s.index >= len(steps):
                break
            step = steps[s.index]
            if not s.step_started and self.turns.needs_turn(step):
                await self._segment(functools.partial(self.turns.turn, step))
            else:
                await self._segment(functools.partial(self._walk, step))
        if not s.keep_walking and not self.options.keep_walking:
            await self._segment(self._wind_down)
            s.pending = None
        return Outcome(finished=True)

    def finish_current(self) -> None:
        """Record the step in progress as skipped (the workout ends early)."""
        if self.s.step_started:
            if self.s.step_run_since is not None:
                self.s.step_accumulated_s += clock.now() - self.s.step_run_since
                self.s.step_run_since = None
            self._finish_step(skipped=True)

    # ---- segments ----------------------------------------------------------------------------

    async def _wait_start(self) -> None:
        """Wait for the person's confirmation to begin; the belt is still until then."""
        s = self.s
        s.set_state(EngineState.WAITING_START)
        if self.options.auto_confirm:
            self.guard.confirm(self.guard.permit or Origin.API)
        await self.belt.until(lambda: self.guard.permitted, math.inf)
        s.started_at = clock.now()
        if s.motion_writes:
            try:
                await self.control.request_control()
            except DeviceError as exc:
                self.belt.warn(f"could not request control of the treadmill: {exc}")

    async def _segment(self, segment: Callable[[], Coroutine[None, None, None]]) -> None:
        """Run one segment in its own task; turn device trouble into a hold or coach mode."""
        error: BaseException | None = None

        async def guarded() -> None:
            nonlocal error
            try:
                await segment()
            except (DeviceError, SafetyError, Unconfirmed, Halted) as exc:
                error = exc

        try:
            async with asyncio.TaskGroup() as tg:
                self.s.segment = tg.create_task(guarded(), name="retrowalk-segment")
        finally:
            self.s.segment = None
        if isinstance(error, DeviceError):
            self.holds.on_device_error(error)
        elif isinstance(error, SafetyError | Unconfirmed):
            self.holds.on_device_error(DeviceError(str(error)))

    async def _walk(self, step: Step) -> None:
        s = self.s
        if s.turn_started:
            # A turn interrupted after its window: the person already faces the new way.
            s.turn_started = False
            s.turn_phase = None
            s.publish(TurnEnded(t=s.elapsed(), direction=s.facing))
        s.set_state(EngineState.RUNNING)
        # A step following one that ended on its deadline is timed from that deadline, so
        # the work at its start (an incline write) and timer lateness never add up.
        due = s.take_due()
        if not s.step_started:
            self._start_step(step)
        try:
            if step.direction == Direction.REST:
                if self.control.belt == "running" or not self._seen_still():
                    due = None  # the rest begins once the belt stands still
                    await self._rest_belt()
                s.step_run_since = clock.now() if due is None else due
            else:
                await self._prepare_incline(step)
                if self.control.belt != "running":
                    due = None  # the step's time runs once the belt does
                    await self.belt.start(step)
                s.set_state(EngineState.RUNNING)
                s.step_run_since = clock.now() if due is None else due
            await self._step_loop(step)
            if step.duration_s is not None and s.step_run_since is not None:
                # Done on time: end exactly on the deadline, which the next step starts from.
                s.due = s.step_run_since + step.duration_s - s.step_accumulated_s
                s.step_accumulated_s = step.duration_s
                s.step_run_since = None
        finally:
            if s.step_run_since is not None:
                s.step_accumulated_s += clock.now() - s.step_run_since
                s.step_run_since = None
        self._finish_step(skipped=False)

    def _seen_still(self) -> bool:
        return self.guard.at_rest() or self.belt.blind()

    async def _rest_belt(self) -> None:
        if not self.s.motion_writes:
            self.belt.coach_say("rest: stop the belt", None, 0.0)
            return
        await self.belt.halt(pause=True)

    async def _prepare_incline(self, step: Step) -> None:
        target = self.s.target_incline(step)
        if not self.belt.can_incline() or not self.belt.incline_differs(target):
            return
        if step.direction != Direction.BACKWARD or self.control.belt != "running":
            await self.guard.set_incline(target, step.direction)
            return
        # Walking backward: the incline changes only with the belt stopped.
        self.belt.warn(f"stopping the belt to change the incline to {target:g} %")
        await self.belt.halt(pause=True)
        await self.guard.set_incline(target, step.direction)
        await self.belt.wait_incline(target)

    async def _step_loop(self, step: Step) -> None:
        s = self.s
        while True:
            next_ramp = self.control.speed_written_at + self.options.ramp_interval_s
            now = clock.now()
            if self._step_done(step):
                return
            self._countdown(step)
            wake = self._next_wake(step, now)
            desired = s.target_speed(step)
            if s.coach:
                self.belt.coach_step(step)
            elif desired is not None:
                want = self.guard.cap_speed(desired, step.direction)
                rising = want > self.control.commanded_speed
                if rising and self.belt.belt_still():
                    wake = min(wake, now + _POLL_S)  # never raise a still belt's target
                elif abs(want - self.control.commanded_speed) > _EPS:
                    if now >= next_ramp - _EPS:
                        await self.belt.ramp_once(want, step.direction)
                        next_ramp = clock.now() + self.options.ramp_interval_s
                    wake = min(wake, next_ramp)
            incline = s.target_incline(step)
            forward = step.direction == Direction.FORWARD
            if forward and self.belt.can_incline() and self.belt.incline_differs(incline):
                await self.guard.set_incline(incline, step.direction)
            s.wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(wake if math.isfinite(wake) else None):
                    await s.wake.wait()

    def _next_wake(self, step: Step, now: float) -> float:
        """Return when the step loop must look again: step end, a countdown second, a poll."""
        polled = step.distance_m is not None or (step.speed is not None and step.speed.is_ramp)
        wake = now + _POLL_S if polled else math.inf
        remaining = self.s.remaining_s()
        if remaining is not None:
            wake = min(wake, now + remaining, self.countdown.next_second(remaining, now))
        return wake

    def _step_done(self, step: Step) -> bool:
        s = self.s
        if step.distance_m is not None:
            return s.step_distance_m >= step.distance_m - 1e-3
        remaining = s.remaining_s()
        return remaining is not None and remaining <= _EPS

    def _countdown(self, step: Step) -> None:
        s = self.s
        remaining = s.remaining_s()
        if remaining is None:  # a distance step: estimate from the speed
            speed = self.guard.observed_speed() or self.control.commanded_speed
            left_m = s.remaining_m() or 0.0
            remaining = left_m / (speed / 3.6) if speed > 0.1 else math.inf
        stops = not (s.keep_walking or self.options.keep_walking)
        self.countdown.announce(step, remaining, ending_stops_belt=stops)

    async def _wind_down(self) -> None:
        if self.control.belt == "running" and self.s.motion_writes and not self.s.coach:
            await self.belt.ramp_to(self.belt.low_speed(None), self.s.facing)

    # ---- steps -------------------------------------------------------------------------------

    def _start_step(self, step: Step) -> None:
        s = self.s
        s.step_started = True
        s.step_accumulated_s = 0.0
        s.step_distance_m = 0.0
        s.step_progress_at = clock.now()
        s.speed_override = None
        s.incline_override = None
        self.countdown.reset()
        self.belt.forget_coach_targets()
        s.publish(
            StepStarted(
                t=s.elapsed(),
                index=step.index,
                count=len(s.plan.steps),
                direction=step.direction,
                label=step.label,
                cue=step.cue,
                duration_s=step.duration_s,
                distance_m=step.distance_m,
                speed_kmh=step.speed.start_kmh if step.speed else None,
                incline_pct=step.incline_pct,
            )
        )

    def _finish_step(self, *, skipped: bool) -> None:
        s = self.s
        step = s.step
        if step is None:
            return
        s.publish(
            StepFinished(
                t=s.elapsed(),
                index=step.index,
                skipped=skipped,
                elapsed_s=s.step_accumulated_s,
                distance_m=s.step_distance_m,
            )
        )
        if skipped:
            s.steps_skipped += 1
        else:
            s.steps_completed += 1
        s.step_started = False
        s.index += 1
        s.speed_override = None
        s.incline_override = None

    # ---- interrupts --------------------------------------------------------------------------

    async def _handle_pending(self) -> Outcome | None:
        s = self.s
        request = s.pending
        assert request is not None
        s.pending = None
        s.due = None  # an interrupt breaks the schedule: what follows starts from now
        if request.kind == "stop":
            return Outcome(finished=False, reason=_stop_reason(request))
        if request.kind == "skip":
            if s.step_started:
                self._finish_step(skipped=True)
            elif s.index < len(s.plan.steps):
                # Skipping during a turn skips the step it leads to: recorded, never walked.
                s.turn_started = False
                s.turn_phase = None
                self._start_step(s.plan.steps[s.index])
                self._finish_step(skipped=True)
            return None
        if request.kind == "back":
            target = max(0, s.index - 1)
            if s.step_started:
                self._finish_step(skipped=True)
            s.index = target
            s.turn_started = False
            s.turn_phase = None
            return None
        if request.kind == "pause":
            await self.holds.pause(request)
        else:
            await self.holds.hold(request)
        return None


def _stop_reason(request: Interrupt) -> str:
    return request.detail or f"stopped ({request.origin.value})"
