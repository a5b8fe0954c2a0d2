"""The engine's shared, mutable state of one workout, and the Snapshot built from it.

Only engine code touches a `Session`; sinks see it through frozen events and snapshots.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from retrowalk.engine import clock
from retrowalk.engine.commands import Origin
from retrowalk.engine.events import (
    EngineState,
    Event,
    HoldCause,
    Snapshot,
    StateChanged,
    TurnPhase,
)
from retrowalk.workout.energy import kcal_per_min
from retrowalk.workout.plan import Direction, Plan, Step

if TYPE_CHECKING:
    from retrowalk.engine.bus import Bus

FRESH_S = 3.0  # telemetry older than this is not trusted as "the belt's speed now"
MAX_CATCH_UP_S = 1.0  # a step starting later than this after its deadline is not shortened
# States in which the machine or a watchdog can put the workout on hold.
HOLDABLE = frozenset(
    {
        EngineState.RUNNING,
        EngineState.TURNING,
        EngineState.PAUSED,
        EngineState.WAITING_CONFIRM,
        EngineState.HOLD,
    }
)


@dataclass
class Interrupt:
    """A request that breaks into the running segment: pause, hold, skip, back or stop."""

    kind: str  # "stop" > "hold" > "pause" > "skip"/"back"
    origin: Origin
    cause: HoldCause | None = None
    detail: str = ""
    advice: str = ""

    @property
    def rank(self) -> float:
        """Return the priority: a higher rank replaces a lower pending interrupt."""
        if self.cause == HoldCause.EMERGENCY_STOP:
            return 3.5  # no other hold may hide an emergency stop; a stop (quit) still wins
        return {"stop": 4, "hold": 3, "pause": 2}.get(self.kind, 1)


@dataclass
class Telemetry:
    """What the machine last reported, and the totals integrated from it."""

    speed_kmh: float | None = None
    incline_pct: float | None = None
    heart_rate_bpm: int | None = None
    at: float = -math.inf
    distance_m: float = 0.0
    energy_kcal: float = 0.0

    def fresh_speed(self, now: float) -> float | None:
        """Return the reported speed if it is recent enough to trust."""
        return self.speed_kmh if now - self.at <= FRESH_S else None


@dataclass
class Session:
    """Everything the engine's tasks share about the workout in progress."""

    plan: Plan
    bus: Bus
    t0: float
    state: EngineState = EngineState.CONNECTING
    index: int = 0
    step_started: bool = False
    step_accumulated_s: float = 0.0  # running time of the step before the current run
    step_run_since: float | None = None  # loop time the step's current run began
    # The deadline the last timed step ended on: the next segment is scheduled from it, not
    # from when its end was noticed (timers fire late; that lateness must not accumulate).
    due: float | None = None
    step_distance_m: float = 0.0
    step_progress_at: float = 0.0  # when the step's distance last grew (or it began or resumed)
    speed_override: float | None = None  # nudge or console: kept for the rest of the step
    incline_override: float | None = None
    facing: Direction = Direction.FORWARD
    turn_started: bool = False
    turn_phase: TurnPhase | None = None
    turn_window_ends: float | None = None
    hold: Interrupt | None = None
    pending: Interrupt | None = None
    coach: bool = False
    motion_writes: bool = True  # start/stop/pause may be written (False: no control point)
    link_up: bool = True
    need_control: bool = False
    awaiting_motion: bool = False  # after a Start, until the belt moves (wait_moving)
    started_at: float | None = None
    steps_completed: int = 0
    steps_skipped: int = 0
    keep_walking: bool = False
    telemetry: Telemetry = field(default_factory=Telemetry)
    heart_rate_strap: int | None = None
    strap_connected: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # a command or interrupt arrived
    # Waits that read the belt's telemetry (rest, motion): while one runs, each record wakes it.
    # The step loop polls what it needs instead, so 4 records a second do not each run it.
    watching_telemetry: int = 0
    resume_requested: bool = False
    resume_origin: Origin | None = None
    segment: asyncio.Task[None] | None = None
    _suffix: list[float] = field(default_factory=list)
    _suffix_plan: Plan | None = None

    # ---- time and publishing -----------------------------------------------------------------

    def elapsed(self) -> float:
        """Return seconds since the engine's clock started (the `t` of every event)."""
        return clock.now() - self.t0

    def publish(self, event: Event) -> None:
        """Publish one event."""
        self.bus.publish(event)

    def set_state(self, state: EngineState) -> None:
        """Move to `state`, publishing StateChanged if it differs."""
        if state != self.state:
            previous, self.state = self.state, state
            self.publish(StateChanged(t=self.elapsed(), state=state, previous=previous))

    def interrupt(self, request: Interrupt) -> None:
        """Queue `request` (unless a stronger one waits) and break into the running segment."""
        if self.pending is None or request.rank >= self.pending.rank:
            self.pending = request
        self.wake.set()
        if self.segment is not None and not self.segment.done():
            self.segment.cancel()

    def hold_for(
        self, cause: HoldCause, detail: str, advice: str, origin: Origin = Origin.DEVICE
    ) -> None:
        """Put the workout on hold for `cause`, unless it is already held for it."""
        if self.state not in HOLDABLE:
            return
        same = self.hold is not None and self.hold.cause == cause
        if same and self.state == EngineState.HOLD and not self.resume_requested:
            return  # already held for this; a resume on its way must not lose a new cause
        self.interrupt(Interrupt("hold", origin, cause=cause, detail=detail, advice=advice))

    def take_due(self) -> float | None:
        """Return (and forget) the carried deadline, never later than now."""
        due, self.due = self.due, None
        now = clock.now()
        if due is None or now - due > MAX_CATCH_UP_S:
            return None  # far behind (a stalled write): start afresh rather than cut a step
        return min(due, now)

    # ---- the current step --------------------------------------------------------------------

    @property
    def step(self) -> Step | None:
        """Return the current step, or None before the start and after the end."""
        steps = self.plan.steps
        return steps[self.index] if self.step_started and self.index < len(steps) else None

    def step_elapsed(self) -> float:
        """Return the running time of the current step (pauses and holds not counted)."""
        run = 0.0 if self.step_run_since is None else clock.now() - self.step_run_since
        return self.step_accumulated_s + run

    def step_fraction(self) -> float:
        """Return how far through the current step the person is (0..1)."""
        step = self.step
        if step is None:
            return 0.0
        if step.distance_m:
            return min(1.0, self.step_distance_m / step.distance_m)
        if step.duration_s:
            return min(1.0, self.step_elapsed() / step.duration_s)
        return 0.0

    def target_speed(self, step: Step) -> float | None:
        """Return the speed the step asks for now (an override wins)."""
        if step.direction == Direction.REST or step.speed is None:
            return None
        if self.speed_override is not None:
            return self.speed_override
        return step.speed.at(self.step_fraction() if self.step is step else 0.0)

    def target_incline(self, step: Step) -> float:
        """Return the incline the step asks for (an override wins)."""
        return self.incline_override if self.incline_override is not None else step.incline_pct

    def remaining_s(self) -> float | None:
        """Return the time left in a timed step."""
        step = self.step
        if step is None or step.duration_s is None:
            return None
        return max(0.0, step.duration_s - self.step_elapsed())

    def remaining_m(self) -> float | None:
        """Return the distance left in a distance step."""
        step = self.step
        if step is None or step.distance_m is None:
            return None
        return max(0.0, step.distance_m - self.step_distance_m)

    # ---- integration -------------------------------------------------------------------------

    def integrate(self, dt: float, commanded_speed: float, now: float) -> None:
        """Add the `dt` seconds to `now` of distance and energy (reported, else commanded speed)."""
        if dt <= 0:
            return
        speed = self.telemetry.fresh_speed(now)
        if speed is None:
            speed = commanded_speed
        active = self.state in HOLDABLE
        metres = speed / 3.6 * dt
        self.telemetry.distance_m += metres
        step = self.step
        if step is not None and self.state == EngineState.RUNNING:
            self.step_distance_m += metres
        if not active:
            return
        direction = self.facing if speed > 0 else Direction.REST
        incline = self.telemetry.incline_pct or 0.0
        mass = self.plan.totals.body_mass_kg
        self.telemetry.energy_kcal += kcal_per_min(speed, incline, direction, mass) * dt / 60

    def _planned_from(self, index: int) -> float:
        """Return the planned time of steps `index`.. and their turn windows (cached per plan)."""
        if self._suffix_plan is not self.plan:
            steps, transitions = self.plan.steps, self.plan.transitions
            suffix = [0.0] * (len(steps) + 1)
            for i in range(len(steps) - 1, -1, -1):
                windows = sum(t.turn.window_s for t in transitions if t.before_step == i)
                suffix[i] = suffix[i + 1] + steps[i].planned_s + windows
            self._suffix, self._suffix_plan = suffix, self.plan
        return self._suffix[min(index, len(self._suffix) - 1)]

    # ---- snapshot ----------------------------------------------------------------------------

    def heart_rate(self) -> int | None:
        """Return the strap's reading, else the machine's."""
        if self.strap_connected:
            return self.heart_rate_strap
        return self.telemetry.heart_rate_bpm

    def snapshot(self, *, commanded_speed: float, commanded_incline: float | None) -> Snapshot:
        """Return the whole visible state now."""
        now = clock.now()
        steps = self.plan.steps
        step = self.step
        next_index = self.index + 1 if self.step_started else self.index
        upcoming = steps[next_index] if next_index < len(steps) else None
        remaining = self.remaining_s()
        if remaining is None and step is not None:
            remaining = max(0.0, step.planned_s * (1 - self.step_fraction()))
        workout_left = (remaining or 0.0) + self._planned_from(next_index)
        hold = self.hold
        target_speed: float | None = commanded_speed
        target_incline = commanded_incline
        if self.coach:  # the person sets them: show what the plan asks for
            target_speed = self.target_speed(step) if step is not None else None
            target_incline = self.target_incline(step) if step is not None else None
        turn_left = None
        if self.turn_window_ends is not None and self.turn_phase == TurnPhase.WINDOW:
            turn_left = max(0.0, self.turn_window_ends - now)
        return Snapshot(
            t=self.elapsed(),
            state=self.state,
            step_index=self.index if step is not None else None,
            step_count=len(steps),
            direction=step.direction if step is not None else None,
            label=step.label if step is not None else None,
            target_speed_kmh=target_speed,
            target_incline_pct=target_incline,
            actual_speed_kmh=self.telemetry.fresh_speed(now),
            actual_incline_pct=self.telemetry.incline_pct,
            step_elapsed_s=self.step_elapsed() if step is not None else 0.0,
            step_remaining_s=remaining if step is not None else None,
            step_remaining_m=self.remaining_m(),
            workout_elapsed_s=0.0 if self.started_at is None else now - self.started_at,
            workout_remaining_s=workout_left,
            distance_m=self.telemetry.distance_m,
            energy_kcal=self.telemetry.energy_kcal,
            heart_rate_bpm=self.heart_rate(),
            hold_cause=hold.cause if hold is not None else None,
            hold_advice=hold.advice if hold is not None else None,
            turn_phase=self.turn_phase,
            turn_remaining_s=turn_left,
            coach_mode=self.coach,
            next_direction=upcoming.direction if upcoming is not None else None,
            next_speed_kmh=upcoming.speed.start_kmh if upcoming and upcoming.speed else None,
            next_incline_pct=upcoming.incline_pct if upcoming is not None else None,
            next_label=upcoming.label if upcoming is not None else None,
        )
