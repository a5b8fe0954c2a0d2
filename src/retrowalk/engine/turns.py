"""The turn-around: ramp down, Stop, a window opened only on a belt seen at rest, the go, a start.

A turn: ramp down, FTMS Stop (or, only under the advanced profile for a workout that chose
`mode: slow`, a slow speed), a bounded wait until telemetry shows the belt at rest (or at the slow
speed), the turn window, where the incline for the next step is set, the person's confirmation
(or the advanced profile's spoken countdown), then Start, a low speed and a ramp to the target.
No speed above zero is written between the Stop and the Start. A belt that does not stop puts
the workout on hold: the window never opens on a moving belt.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from retrowalk.engine import clock
from retrowalk.engine.commands import Origin
from retrowalk.engine.events import (
    BeltAtRest,
    EngineState,
    RestReason,
    TurnEnded,
    TurnPhase,
    TurnPhaseChanged,
    TurnStarted,
)
from retrowalk.workout.plan import Direction, Step, TurnMode, TurnSpec

if TYPE_CHECKING:
    from retrowalk.engine.belt import BeltMoves
    from retrowalk.engine.guard import Guard
    from retrowalk.engine.options import EngineOptions
    from retrowalk.engine.session import Session

_COACH_REPEAT_S = 20.0  # coach mode: say "stop the belt" again this often


class TurnRunner:
    """Turns the person around before a step whose direction differs from theirs."""

    def __init__(
        self, session: Session, belt: BeltMoves, guard: Guard, options: EngineOptions
    ) -> None:
        self.s = session
        self.belt = belt
        self.guard = guard
        self.options = options

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
        running = self.belt.control.belt == "running"
        slow = self._slow(spec) and running
        if running and s.motion_writes:
            due = None  # the window opens once the belt is down: that takes its own time
            self.phase(TurnPhase.RAMP_DOWN)
            if slow and not s.coach:
                await self.belt.halt(pause=False, slow_kmh=self._slow_kmh(spec))
            else:
                self.phase(TurnPhase.STOPPING)
                await self.belt.halt(pause=False)
                s.publish(BeltAtRest(t=s.elapsed(), why=RestReason.TURN))
        elif not s.motion_writes:
            due = None
            self.phase(TurnPhase.STOPPING)
            await self._coach_stop()
        elif not self.guard.at_rest() and not self.belt.blind():
            due = None  # commanded still, but not seen still: see it stop first
            self.phase(TurnPhase.STOPPING)
            await self.belt.halt(pause=False)
        await self._window(step, spec, clock.now() if due is None else due)
        self.phase(TurnPhase.STARTING)
        if not slow or self.belt.control.belt != "running":
            await self.belt.start(step, in_turn=True)
        self.phase(TurnPhase.RAMP_UP)
        target = s.target_speed(step)
        if target is not None and not s.coach:
            await self.belt.ramp_to(target, step.direction)
        s.facing = step.direction
        s.turn_started = False
        s.turn_phase = None
        s.publish(TurnEnded(t=s.elapsed(), direction=step.direction))

    def phase(self, phase: TurnPhase, remaining_s: float | None = None) -> None:
        """Enter a turn phase and say so."""
        self.s.turn_phase = phase
        self.s.publish(TurnPhaseChanged(t=self.s.elapsed(), phase=phase, remaining_s=remaining_s))

    # ---- internals ---------------------------------------------------------------------------

    def _slow(self, spec: TurnSpec) -> bool:
        """Return whether this turn keeps the belt slow: only under the advanced profile."""
        return spec.mode == TurnMode.SLOW and self.guard.profile.name == "advanced"

    def _slow_kmh(self, spec: TurnSpec) -> float:
        return min(spec.slow_speed_kmh, self.belt.control.commanded_speed)

    async def _coach_stop(self) -> None:
        """Coach mode: ask the person to stop the belt until telemetry shows it still."""
        while not self.guard.at_rest() and not self.belt.blind():
            self.belt.coach_say("stop the belt, then turn around", 0.0, None)
            await self.belt.until(self.guard.at_rest, clock.now() + _COACH_REPEAT_S)

    async def _window(self, step: Step, spec: TurnSpec, opens: float) -> None:
        s = self.s
        # A confirmation counts only from the window on: one given before the belt stopped
        # (or before this turn) must not start it.
        self.guard.revoke()
        # The person turns in the window: from here on they face the new way, even if the
        # turn is interrupted before it ends (a skip then plans from where they face).
        s.facing = step.direction
        ends = opens + spec.window_s
        s.turn_window_ends = ends
        self.phase(TurnPhase.WINDOW, remaining_s=spec.window_s - (clock.now() - opens))
        target = s.target_incline(step)
        if self.belt.can_incline() and self.belt.incline_differs(target):
            await self.guard.set_incline(target, step.direction)
        try:
            if self.options.auto_confirm:
                await self.belt.until(lambda: self.guard.permitted, ends)
                self.guard.confirm(self.guard.permit or Origin.API)
            elif self.guard.countdown_allowed(confirm=spec.confirm):
                await self.belt.until(lambda: self.guard.permitted, ends)
                if not self.guard.permitted:
                    self.phase(TurnPhase.START_COUNTDOWN)
                    await self.belt.start_countdown()
            else:
                await self.belt.until(lambda: self.guard.permitted, ends)
                if not self.guard.permitted:
                    self.phase(TurnPhase.AWAITING_CONFIRM)
                    await self.belt.until(lambda: self.guard.permitted, math.inf)
        finally:
            s.turn_window_ends = None
