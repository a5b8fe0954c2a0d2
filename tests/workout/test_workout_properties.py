"""Property tests: random valid workouts plan consistently, and no input crashes the loader."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrowalk import units
from retrowalk.errors import WorkoutError, WorkoutErrors
from retrowalk.workout import build_plan, parse_workout
from retrowalk.workout.fields import MAX_WINDOW_S
from retrowalk.workout.model import workout_json_schema
from retrowalk.workout.plan import Direction
from retrowalk.workout.size import MAX_PLANNED_S, MAX_STEPS, size_of
from retrowalk.workout.source import parse_tree

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SCHEMA = jsonschema.Draft202012Validator(workout_json_schema())

durations = st.one_of(
    st.integers(10, 1800).map(lambda s: f"{s // 60}:{s % 60:02d}"),
    st.integers(10, 900).map(lambda s: f"{s}s"),
    st.integers(1, 30).map(lambda m: f"{m}min"),
)
extents = st.one_of(durations, st.integers(50, 1000).map(lambda m: f"{m}m"))
speeds = st.integers(5, 60).map(lambda n: n / 10)
speed_values = st.one_of(
    speeds,
    speeds.map(lambda s: f"{s} km/h"),
    st.integers(5, 30).map(lambda n: f"{n / 10} mph"),
    st.tuples(speeds, speeds).map(lambda p: {"from": p[0], "to": p[1]}),
)


@st.composite
def walking(draw: st.DrawFn) -> dict[str, Any]:
    """Return one forward or backward interval."""
    direction = draw(st.sampled_from(["forward", "backward"]))
    interval: dict[str, Any] = {direction: draw(extents), "speed": draw(speed_values)}
    if draw(st.booleans()):
        low = 0 if direction == "backward" else -5
        interval["incline"] = draw(st.integers(low, 10))
    if draw(st.booleans()):
        interval["turn"] = {"window": f"{draw(st.integers(5, 60))}s"}
    if draw(st.booleans()):
        interval["label"] = draw(st.text("abc XYZ-", min_size=1, max_size=10))
    return interval


leaves = st.one_of(walking(), durations.map(lambda d: {"rest": d}))
intervals = st.recursive(
    leaves,
    lambda inner: st.builds(
        lambda n, body: {"repeat": n, "intervals": body},
        st.integers(1, 4),
        st.lists(inner, min_size=1, max_size=3),
    ),
    max_leaves=8,
)


def expected_steps(items: list[dict[str, Any]]) -> int:
    """Return how many steps a list of intervals unrolls to."""
    return sum(
        item["repeat"] * expected_steps(item["intervals"]) if "repeat" in item else 1
        for item in items
    )


def longest_s(items: list[dict[str, Any]]) -> float:
    """Return an upper bound of the planned time: each step as slow as it can be, and a turn."""
    total = 0.0
    for item in items:
        if "repeat" in item:
            total += item["repeat"] * longest_s(item["intervals"])
            continue
        extent = item.get("forward") or item.get("backward") or item["rest"]
        if str(extent).endswith("m") and not str(extent).endswith("min"):
            speed = item["speed"]
            slowest = min(speed.values()) if isinstance(speed, dict) else speed
            total += units.parse_distance(extent) / (units.parse_speed(slowest) / 3.6)
        else:
            total += units.parse_duration(extent)
        total += MAX_WINDOW_S
    return total


def within_limits(data: dict[str, Any]) -> bool:
    """Return whether a generated workout is surely within the size limits."""
    items = data["intervals"]
    return expected_steps(items) <= MAX_STEPS and longest_s(items) <= MAX_PLANNED_S


workouts = st.builds(
    lambda body, window, countdown: {
        "name": "Generated",
        "countdown": f"{countdown}s",
        "turn": {"window": f"{window}s"},
        "intervals": body,
    },
    st.lists(intervals, min_size=1, max_size=4),
    st.integers(5, 60),
    st.integers(0, 15),
).filter(within_limits)


def to_text(data: dict[str, Any]) -> str:
    """Return the workout as YAML text, the way a person's file would hold it."""
    return yaml.safe_dump(data, sort_keys=False)


@SETTINGS
@given(workouts)
def test_plan_totals_equal_the_sum_of_their_parts(data: dict[str, Any]) -> None:
    """Totals equal the sums over steps and turns, and the timeline has no gaps or overlaps."""
    plan = build_plan(parse_workout(to_text(data), "gen.yaml"))
    totals = plan.totals
    walking_s = sum(s.planned_s for s in plan.steps)
    turning_s = sum(t.turn.window_s for t in plan.transitions)
    assert abs(totals.duration_s - walking_s) < 1e-6
    assert abs(totals.duration_with_turns_s - (walking_s + turning_s)) < 1e-6
    backward = sum(s.planned_s for s in plan.steps if s.direction is Direction.BACKWARD)
    assert abs(totals.backward_s - backward) < 1e-6
    assert totals.turns == len(plan.transitions)
    clock = 0.0
    for step in plan.steps:
        turn = plan.transition_before(step.index)
        if turn is not None:
            assert abs(turn.start_s - clock) < 1e-6
            clock += turn.turn.window_s
        assert abs(step.start_s - clock) < 1e-6
        clock += step.planned_s
    assert abs(clock - totals.duration_with_turns_s) < 1e-6


@SETTINGS
@given(workouts)
def test_turns_exactly_where_walking_direction_changes(data: dict[str, Any]) -> None:
    """A turn precedes a step iff it walks against the last walking step (or starts backward)."""
    plan = build_plan(parse_workout(to_text(data), "gen.yaml"))
    facing: Direction | None = None
    for step in plan.steps:
        if step.direction is Direction.REST:
            assert plan.transition_before(step.index) is None
            continue
        needs_turn = step.direction is not facing and (
            facing is not None or step.direction is Direction.BACKWARD
        )
        assert (plan.transition_before(step.index) is not None) == needs_turn
        facing = step.direction


@SETTINGS
@given(workouts)
def test_the_size_computed_from_repeat_counts_is_the_plans(data: dict[str, Any]) -> None:
    """Steps and time with turns, computed without unrolling, equal the built plan's."""
    workout = parse_workout(to_text(data), "gen.yaml")
    plan = build_plan(workout)
    size = size_of(workout)
    assert size.steps == len(plan.steps)
    assert abs(size.seconds - plan.totals.duration_with_turns_s) < 1e-6


@SETTINGS
@given(st.integers(1, 100), st.lists(leaves, min_size=1, max_size=3))
def test_repeats_expand_to_n_copies(count: int, body: list[dict[str, Any]]) -> None:
    """`repeat: N` of a body gives N copies of the body's steps, or is refused past the limits."""
    once = build_plan(parse_workout(to_text({"name": "B", "intervals": body}), "b.yaml"))
    repeated_data = {"name": "R", "intervals": [{"repeat": count, "intervals": body}]}
    if count * once.totals.duration_s > MAX_PLANNED_S:  # too long even without a turn
        with pytest.raises(WorkoutErrors) as caught:
            parse_workout(to_text(repeated_data), "r.yaml")
        assert [p.location.path for p in caught.value.problems if p.location] == [
            "intervals[0].repeat"
        ]
        return
    if not within_limits(repeated_data):
        return  # near the limit, the turns decide: test_workout_size pins the exact bounds
    repeated = build_plan(parse_workout(to_text(repeated_data), "r.yaml"))
    assert len(repeated.steps) == count * len(once.steps)
    for step in repeated.steps:
        model = once.steps[step.index % len(once.steps)]
        assert (step.direction, step.planned_s, step.speed, step.incline_pct) == (
            model.direction,
            model.planned_s,
            model.speed,
            model.incline_pct,
        )


@SETTINGS
@given(workouts)
def test_nested_repeats_unroll_to_the_product_of_counts(data: dict[str, Any]) -> None:
    """The number of steps is the sum over intervals of the product of enclosing repeats."""
    plan = build_plan(parse_workout(to_text(data), "gen.yaml"))
    assert len(plan.steps) == expected_steps(data["intervals"])


@SETTINGS
@given(workouts)
def test_schema_accepts_every_valid_generated_workout(data: dict[str, Any]) -> None:
    """The JSON Schema of `retrowalk schema` accepts every workout the loader accepts."""
    text = to_text(data)
    parse_workout(text, "gen.yaml")
    SCHEMA.validate(parse_tree(text, "gen.yaml").data)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_no_text_crashes_the_loader(text: str) -> None:
    """Any text either loads or raises a WorkoutError; never another exception."""
    try:
        parse_workout(text, "fuzz.yaml")
    except WorkoutError as exc:
        rendered = exc.render()
    else:
        return
    assert rendered.startswith("fuzz.yaml")


@settings(max_examples=150, deadline=None)
@given(workouts, st.data())
def test_mutated_workouts_fail_cleanly(data: dict[str, Any], draw: st.DataObject) -> None:
    """A valid workout with one value replaced by junk loads or fails with located messages."""
    junk = draw.draw(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)))
    key = draw.draw(st.sampled_from(["countdown", "turn", "name", "intervals"]))
    data[key] = junk
    try:
        parse_workout(to_text(data), "mut.yaml")
    except WorkoutError as exc:
        lines = exc.render().splitlines()
    else:
        return
    assert all(line.startswith("mut.yaml:") for line in lines)
