"""Expand a Workout into a Plan: repeats unrolled, turns inserted, totals and energy summed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrowalk.workout.energy import DEFAULT_BODY_MASS_KG, check_body_mass, kcal_per_min
from retrowalk.workout.plan import Direction, Plan, PlanTotals, Step, Transition

if TYPE_CHECKING:
    from collections.abc import Iterator

    from retrowalk.workout.model import Interval, Workout
    from retrowalk.workout.plan import TurnSpec


def build_plan(workout: Workout, *, body_mass_kg: float | None = None) -> Plan:
    """Return the flat plan of `workout`; energy for `body_mass_kg` (default 70 kg, flagged)."""
    mass = DEFAULT_BODY_MASS_KG if body_mass_kg is None else check_body_mass(body_mass_kg)
    default_turn = workout.turn_spec()
    steps: list[Step] = []
    transitions: list[Transition] = []
    clock = 0.0
    facing: Direction | None = None  # the walking direction the person faces; None at the start
    for path, interval, label in _flatten(workout.intervals, "intervals", None):
        direction = interval.direction
        assert direction is not None  # _flatten yields no repeats
        turn = interval.turn.apply_to(default_turn) if interval.turn else default_turn
        if direction is not Direction.REST:
            if direction != facing and (facing is not None or direction is Direction.BACKWARD):
                transitions.append(Transition(len(steps), facing, direction, turn, clock))
                clock += turn.window_s
            facing = direction
        step = _step(workout, interval, path, len(steps), clock, turn, label)
        steps.append(step)
        clock += step.planned_s
    return Plan(
        name=workout.name,
        source=workout.source,
        profile=workout.profile,
        countdown_s=workout.countdown,
        steps=tuple(steps),
        transitions=tuple(transitions),
        totals=_totals(steps, transitions, mass, is_default=body_mass_kg is None),
    )


def _flatten(
    intervals: list[Interval], path: str, label: str | None
) -> Iterator[tuple[str, Interval, str | None]]:
    """Yield (path, interval, label) in run order; a repeat's label labels unlabelled steps."""
    for index, interval in enumerate(intervals):
        here = f"{path}[{index}]"
        if interval.repeat is not None and interval.intervals is not None:
            for _ in range(interval.repeat):
                inner = interval.label or label
                yield from _flatten(interval.intervals, f"{here}.intervals", inner)
        else:
            yield here, interval, interval.label or label


def _step(  # noqa: PLR0913, PLR0917 - the fields of one Step
    workout: Workout,
    interval: Interval,
    path: str,
    index: int,
    start: float,
    turn: TurnSpec,
    label: str | None,
) -> Step:
    extent = interval.extent
    direction = interval.direction or Direction.REST
    speed = interval.speed if direction is not Direction.REST else None
    if extent.metres is not None and speed is not None:
        planned = extent.metres / (speed.mean_kmh / 3.6)
    else:
        planned = extent.seconds or 0.0
    return Step(
        index=index,
        direction=direction,
        start_s=start,
        planned_s=planned,
        duration_s=extent.seconds,
        distance_m=extent.metres,
        speed=speed,
        incline_pct=interval.incline or 0.0,
        label=label,
        cue=interval.cue,
        path=path,
        location=workout.locate(path),
        turn=turn,
    )


def _totals(
    steps: list[Step], transitions: list[Transition], mass: float, *, is_default: bool
) -> PlanTotals:
    walking = sum(s.planned_s for s in steps)
    turning = sum(t.turn.window_s for t in transitions)
    distance = 0.0
    kcal = turning / 60 * kcal_per_min(0.0, 0.0, Direction.REST, mass)
    for step in steps:
        mean = step.speed.mean_kmh if step.speed is not None else 0.0
        distance += step.distance_m if step.distance_m is not None else mean / 3.6 * step.planned_s
        # kcal/min is linear in speed at a fixed incline, so a ramp's mean speed is exact.
        kcal += step.planned_s / 60 * kcal_per_min(mean, step.incline_pct, step.direction, mass)
    return PlanTotals(
        duration_s=walking,
        duration_with_turns_s=walking + turning,
        backward_s=sum(s.planned_s for s in steps if s.direction is Direction.BACKWARD),
        turns=len(transitions),
        distance_m=distance,
        energy_kcal=kcal,
        body_mass_kg=mass,
        body_mass_is_default=is_default,
    )
