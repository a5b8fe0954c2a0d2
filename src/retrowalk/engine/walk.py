"""The walker: drives the plan step by step, turn by turn, and handles interrupts.

The plan runs as a sequence of segments (a turn-around, a step), each in its own task so an
interrupt (pause, hold, skip, back, stop) can cancel it at any await. Between segments the
walker handles the pending interrupt. A segment always begins from what the belt is doing:
a step with the belt stopped starts it low and ramps; a turn with the belt moving ramps it
down and stops it first. So resuming is just running the interrupted segment again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.engine import clock
from retrowalk.engine.control import Halted
from retrowalk.engine.events import (
    ChangeAhead,
    EngineState,
    StepFinished,
    StepStarted,
    TurnEnded,
)
from retrowalk.engine.holds import HoldRunner
from retrowalk.errors import DeviceError
from retrowalk.workout.plan import Direction, Step

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from retrowalk.device.api import Capabilities
    from retrowalk.engine.control import Control
    from retrowalk.engine.options import EngineOptions
    from retrowalk.engine.session import Interrupt, Session

_EPS = 1e-6
_POLL_S = 0.5  # distance steps and speed ramps re-check this often


@dataclass(frozen=True)
class Outcome:
    """How the walk ended: finished, or aborted with a reason."""

    finished: bool
    reason: str = ""


class Walker(HoldRunner):
    """Runs the whole plan against `control`, sharing state through `session`."""

    def __init__(
        self, session: Session, control: Control, options: EngineOptions, caps: Capabilities
    ) -> None:
        super().__init__(session, control, options, caps)
        self._countdown_sent: set[int] = set()

    async def drive(self) -> Outcome:
        """Run the workout from WAITING_START to its last step; return how it ended."""
        s = self.s
        if not await self._wait_start():
            assert s.pending is not None
            return Outcome(finished=False, reason=_stop_reason(s.pending))
        steps = self.s.plan.steps
        while True:
            if s.pending is not None:
                outcome = await self._handle_pending()
                if outcome is not None:
                    return outcome
                continue
            if s.index >= len(steps):
                break
            step = steps[s.index]
            if not s.step_started and self.needs_turn(step):
                await self._segment(functools.partial(self.turn, step))
            else:
                await self._segment(functools.partial(self._walk, step))
        if not s.keep_walking and not self.options.keep_walking:
            await self._segment(self._wind_down)
            s.pending = None
        return Outcome(finished=True)

    async def _wait_start(self) -> bool:
        """Wait for the person's confirmation (True), or a stop (False)."""
        s = self.s
        s.set_state(EngineState.WAITING_START)
        while not (s.confirmed or self.options.auto_confirm):
            if s.pending is not None and s.pending.kind == "stop":
                return False
            s.wake.clear()
            await s.wake.wait()
        s.confirmed = False
        if s.pending is not None and s.pending.kind == "stop":
            return False
        s.pending = None
        s.started_at = clock.now()
        if s.motion_writes:
            try:
                await self.control.request_control()
            except DeviceError as exc:
                self.warn(f"could not request control of the treadmill: {exc}")
        return True

    # ---- segments ----------------------------------------------------------------------------

    async def _segment(self, segment: Callable[[], Coroutine[None, None, None]]) -> None:
        """Run one segment in its own task; turn device trouble into a hold or coach mode."""
        error: BaseException | None = None

        async def guarded() -> None:
            nonlocal error
            try:
                await segment()
            except (DeviceError, Halted) as exc:
                error = exc

        try:
            async with asyncio.TaskGroup() as tg:
                self.s.segment = tg.create_task(guarded(), name="retrowalk-segment")
        finally:
            self.s.segment = None
        if isinstance(error, DeviceError):
            self._on_device_error(error)

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
                s.step_run_since = clock.now() if due is None else due
                await self._rest_belt()
            else:
                await self._prepare_incline(step)
                if self.control.belt != "running":
                    due = None  # the step's time runs once the belt does
                    await self.start_belt(step)
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

    def _start_step(self, step: Step) -> None:
        s = self.s
        s.step_started = True
        s.step_accumulated_s = 0.0
        s.step_distance_m = 0.0
        s.speed_override = None
        s.incline_override = None
        self._countdown_sent = set()
        self._coach_told = None
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

    def finish_current(self) -> None:
        """Record the step in progress as skipped (the workout ends early)."""
        if self.s.step_started:
            if self.s.step_run_since is not None:
                self.s.step_accumulated_s += clock.now() - self.s.step_run_since
                self.s.step_run_since = None
            self._finish_step(skipped=True)

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

    async def _rest_belt(self) -> None:
        if self.control.belt == "running" and self.s.motion_writes:
            await self.ramp_to(self.low_speed(None), self.s.facing)
            await self.control.pause()
        elif not self.s.motion_writes:
            self.coach_say("rest: stop the belt", None, 0.0)

    async def _prepare_incline(self, step: Step) -> None:
        target = self.s.target_incline(step)
        if not self.can_incline() or not self.incline_differs(target):
            return
        if step.direction != Direction.BACKWARD or self.control.belt != "running":
            await self.control.set_incline(target, step.direction)
            return
        # Walking backward: the incline changes only with the belt stopped.
        self.warn(f"stopping the belt to change the incline to {target:g} %")
        await self.ramp_to(self.low_speed(None), step.direction)
        await self.control.pause()
        await self.control.set_incline(target, step.direction)
        await self.wait_incline(target)

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
            if self.s.coach:
                self.coach_step(step)
            elif desired is not None:
                want = self.control.limit_speed(desired, step.direction)
                rising = want > self.control.commanded_speed
                if rising and self.belt_still():
                    wake = min(wake, now + _POLL_S)  # never raise a still belt's target
                elif abs(want - self.control.commanded_speed) > _EPS:
                    if now >= next_ramp - _EPS:
                        await self.ramp_once(want, step.direction)
                        next_ramp = clock.now() + self.options.ramp_interval_s
                    wake = min(wake, next_ramp)
            incline = s.target_incline(step)
            forward = step.direction == Direction.FORWARD
            if forward and self.can_incline() and self.incline_differs(incline):
                await self.control.set_incline(incline, step.direction)
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
            wake = min(wake, now + remaining)
            for n in range(1, math.ceil(self.s.plan.countdown_s) + 1):
                if remaining - n > _EPS:
                    wake = min(wake, now + remaining - n)
        return wake

    def _step_done(self, step: Step) -> bool:
        s = self.s
        if step.distance_m is not None:
            return s.step_distance_m >= step.distance_m - 1e-3
        remaining = s.remaining_s()
        return remaining is not None and remaining <= _EPS

    def _countdown(self, step: Step) -> None:
        s = self.s
        steps = s.plan.steps
        if s.index + 1 >= len(steps):
            return
        remaining = s.remaining_s()
        if remaining is None:  # a distance step: estimate from the speed
            speed = s.telemetry.fresh_speed(clock.now()) or self.control.commanded_speed
            left_m = s.remaining_m() or 0.0
            remaining = left_m / (speed / 3.6) if speed > 0.1 else math.inf
        upcoming = steps[s.index + 1]
        facing = step.direction if step.direction != Direction.REST else s.facing
        for n in range(math.ceil(s.plan.countdown_s), 0, -1):
            if n in self._countdown_sent or remaining > n + _EPS:
                continue
            self._countdown_sent.add(n)
            if remaining <= n - 1 + _EPS:
                continue  # that second is already past
            s.publish(
                ChangeAhead(
                    t=s.elapsed(),
                    seconds=n,
                    next_index=upcoming.index,
                    next_direction=upcoming.direction,
                    next_speed_kmh=upcoming.speed.start_kmh if upcoming.speed else None,
                    next_incline_pct=upcoming.incline_pct,
                    turn=upcoming.direction not in {Direction.REST, facing},
                )
            )

    async def _wind_down(self) -> None:
        if self.control.belt == "running" and self.s.motion_writes and not self.s.coach:
            await self.ramp_to(self.low_speed(None), self.s.facing)

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
            await self._pause(request)
        else:
            await self._hold(request)
        return None


def _stop_reason(request: Interrupt) -> str:
    return request.detail or f"stopped ({request.origin.value})"
