"""The one way tests make a plan: a small workout written in the format, through the real planner.

`plan_of()` turns (direction, amount, km/h, incline %[, label]) rows into workout YAML and builds
it with `retrowalk.workout.build_plan`, so every plan a test uses has the planner's own turn
rule, start times, totals and source locations. Safety profiles are not checked here: a test of
the engine may walk a plan that `validate` would refuse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrowalk.workout import build_plan, parse_workout
from retrowalk.workout.plan import Direction, TurnMode

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from retrowalk.workout.plan import Plan

Row = (
    tuple[Direction, float, float | None, float]
    | tuple[Direction, float, float | None, float, str | None]
)


def plan_of(
    rows: Sequence[Row],
    *,
    name: str = "test",
    source: str = "test.yaml",
    profile: str = "standard",
    countdown_s: float = 5.0,
    window_s: float = 12.0,
    mode: TurnMode = TurnMode.STOP,
    confirm: bool = False,
    distance_steps: Iterable[int] = (),
    cues: Mapping[Direction, str] | None = None,
) -> Plan:
    """Return the planner's plan of `rows`: seconds (or metres for `distance_steps`) per step."""
    return build_plan(
        parse_workout(
            workout_yaml(
                rows,
                name=name,
                profile=profile,
                countdown_s=countdown_s,
                window_s=window_s,
                mode=mode,
                confirm=confirm,
                distance_steps=frozenset(distance_steps),
                cues=cues or {},
            ),
            source,
        )
    )


def workout_yaml(
    rows: Sequence[Row],
    *,
    name: str,
    profile: str,
    countdown_s: float,
    window_s: float,
    mode: TurnMode,
    confirm: bool,
    distance_steps: frozenset[int],
    cues: Mapping[Direction, str],
) -> str:
    """Return the workout file that `plan_of` builds (one interval per row)."""
    turn = f"{{mode: {mode.value}, window: {window_s:g}s, confirm: {str(confirm).lower()}"
    turn += ", slow_speed: 1.0}" if mode == TurnMode.SLOW else "}"
    lines = [
        "version: 1",
        f"name: {name}",
        f"profile: {profile}",
        f"countdown: {countdown_s:g}s",
        f"turn: {turn}",
        "intervals:",
    ]
    for index, (direction, amount, kmh, incline, *rest) in enumerate(rows):
        label = rest[0] if rest else f"{direction.value} {index + 1}"
        extent = f"{amount:g}m" if index in distance_steps else f"{amount:g}s"
        lines.append(f"  - {direction.value}: {extent}")
        if kmh is not None:
            lines.append(f"    speed: {kmh:g}")
        if direction != Direction.REST:
            lines.append(f"    incline: {incline:g}")
        if label is not None:
            lines.append(f"    label: {label}")
        if direction in cues:
            lines.append(f"    cue: {cues[direction]}")
    return "\n".join(lines) + "\n"
