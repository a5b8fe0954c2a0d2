"""The plan: a workout expanded into a flat list of Steps and the Transitions between them.

CONTRACT (shared by engine, sinks and CLI): the dataclasses below are fixed. They are built by
retrowalk.workout.planner (`build_plan`); this module imports nothing of the workout package, so
the model, the planner and the safety check can all import it without a circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retrowalk.errors import SourceLocation


class Direction(StrEnum):
    """Which way the person faces on the belt; REST means the belt is paused."""

    FORWARD = "forward"
    BACKWARD = "backward"
    REST = "rest"


class TurnMode(StrEnum):
    """How a direction change is done: belt stopped, or (explicitly chosen) slowed."""

    STOP = "stop"
    SLOW = "slow"


@dataclass(frozen=True)
class TurnSpec:
    """How one turn-around is done."""

    mode: TurnMode = TurnMode.STOP
    window_s: float = 12.0
    confirm: bool = True
    slow_speed_kmh: float = 1.0


@dataclass(frozen=True)
class SpeedTarget:
    """A constant speed (`start_kmh == end_kmh`) or a linear ramp over the step, in km/h."""

    start_kmh: float
    end_kmh: float

    @property
    def is_ramp(self) -> bool:
        """Return whether the speed changes over the step."""
        return self.start_kmh != self.end_kmh

    @property
    def mean_kmh(self) -> float:
        """Return the mean speed of the step."""
        return (self.start_kmh + self.end_kmh) / 2

    @property
    def max_kmh(self) -> float:
        """Return the highest speed of the step."""
        return max(self.start_kmh, self.end_kmh)

    def at(self, fraction: float) -> float:
        """Return the target speed at `fraction` (0..1) of the step."""
        fraction = min(max(fraction, 0.0), 1.0)
        return self.start_kmh + (self.end_kmh - self.start_kmh) * fraction


@dataclass(frozen=True)
class Step:
    """One interval as the engine runs it.

    A step is measured by time (`duration_s`) or by distance (`distance_m`); exactly one is set.
    `planned_s` is the step's expected duration (for distance steps, distance / mean speed).
    `start_s` is the planned offset from the workout start, turn windows included.
    """

    index: int
    direction: Direction
    start_s: float
    planned_s: float
    duration_s: float | None
    distance_m: float | None
    speed: SpeedTarget | None
    incline_pct: float
    label: str | None
    cue: str | None
    path: str
    location: SourceLocation
    turn: TurnSpec = field(default_factory=TurnSpec)


@dataclass(frozen=True)
class Transition:
    """A turn-around before step `before_step`, from one walking direction to the other.

    `from_direction` is None for a backward first interval (the person starts facing the rear).
    """

    before_step: int
    from_direction: Direction | None
    to_direction: Direction
    turn: TurnSpec
    start_s: float


@dataclass(frozen=True)
class PlanTotals:
    """Totals of a plan. Energy is an estimate (see workout/energy.py)."""

    duration_s: float
    duration_with_turns_s: float
    backward_s: float
    turns: int
    distance_m: float
    energy_kcal: float
    body_mass_kg: float
    body_mass_is_default: bool


@dataclass(frozen=True)
class Plan:
    """A validated workout, expanded: steps in order, with the transitions between them."""

    name: str
    source: str
    profile: str
    countdown_s: float
    steps: tuple[Step, ...]
    transitions: tuple[Transition, ...]
    totals: PlanTotals

    def transition_before(self, step_index: int) -> Transition | None:
        """Return the turn-around that precedes step `step_index`, if any."""
        for transition in self.transitions:
            if transition.before_step == step_index:
                return transition
        return None
