# ruff: noqa: E501 - expected messages are kept whole, as a person sees them
"""Size limits: 5,000 steps and 12 hours at most, computed from the repeat counts, never unrolled."""

from __future__ import annotations

import tracemalloc

import pytest

from retrowalk.errors import WorkoutErrors
from retrowalk.workout import build_plan, parse_workout
from retrowalk.workout.size import MAX_PLANNED_S, MAX_STEPS


def nested(depth: int, count: int = 100) -> str:
    """Return a workout of `repeat: count` nested `depth` deep around two one-minute steps."""
    text = "name: Bomb\nintervals:\n"
    for level in range(depth):
        pad = "    " * level
        text += f"{pad}  - repeat: {count}\n{pad}    intervals:\n"
    pad = "    " * depth
    return text + f"{pad}  - {{backward: 1:00, speed: 2}}\n{pad}  - {{forward: 1:00, speed: 3}}\n"


def refusal(text: str) -> list[str]:
    """Return the problem lines of a workout that must be refused."""
    with pytest.raises(WorkoutErrors) as caught:
        parse_workout(text, "w.yaml")
    return [p.render() for p in caught.value.problems]


@pytest.mark.parametrize("depth", [3, 4, 18])
def test_nested_repeat_bombs_are_refused_in_bounded_memory(depth: int) -> None:
    """`repeat: 100` nested 3, 4 and 18 deep (the file's deepest) is refused in under 10 MB."""
    tracemalloc.start()
    try:
        lines = refusal(nested(depth))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * 1024 * 1024
    path = ".".join(["intervals[0]"] * (depth - 1))
    line = 3 + 2 * (depth - 2)
    assert lines == [
        (
            f"w.yaml:{line}:{13 + 4 * (depth - 2)}: {path}.repeat: repeating this 100 times makes "
            "20,000 steps; a workout has at most 5,000 steps once its repeats are unrolled"
        )
    ]


def test_the_step_limit_is_exact() -> None:
    """5,000 steps load and plan; one more is refused at the interval that makes 5,001."""
    rests = "".join("      - {rest: 5s}\n" for _ in range(50))
    text = f"name: T\nintervals:\n  - repeat: 100\n    intervals:\n{rests}"
    assert len(build_plan(parse_workout(text, "w.yaml")).steps) == MAX_STEPS
    assert refusal(text + "  - {forward: 10s, speed: 3}\n") == [
        (
            "w.yaml:55:5: intervals[1]: the workout reaches 5,001 steps here; a workout has at most "
            "5,000 steps once its repeats are unrolled"
        )
    ]


def test_the_time_limit_counts_walking_rests_and_turns() -> None:
    """Four 3-hour intervals make exactly 12 hours; a turn window more is refused where it comes."""
    forward = "  - {forward: 3:00:00, speed: 3}\n"
    plan = build_plan(parse_workout(f"name: T\nintervals:\n{forward * 4}", "w.yaml"))
    assert plan.totals.duration_with_turns_s == MAX_PLANNED_S
    backward = "  - {backward: 10s, speed: 2}\n"
    assert refusal(f"name: T\nintervals:\n{forward * 4}{backward}") == [
        (
            "w.yaml:7:5: intervals[4]: the workout reaches 12:00:22 of walking, rests and turns here; "
            "a workout lasts at most 12:00:00 once its repeats are unrolled"
        )
    ]


def test_repeats_that_add_up_name_the_one_that_passes_the_limit() -> None:
    """Three repeats of 2,000 steps: none is too large alone, the third passes 5,000."""
    block = "  - repeat: 100\n    intervals:\n" + "      - {rest: 5s}\n" * 20
    assert refusal(f"name: T\nintervals:\n{block * 3}") == [
        (
            "w.yaml:47:5: intervals[2]: the workout reaches 6,000 steps here; a workout has at most "
            "5,000 steps once its repeats are unrolled"
        )
    ]


def test_a_slow_distance_is_too_long_on_its_own() -> None:
    """50 km at 0.5 km/h plans as 100 hours: refused at that interval."""
    assert refusal("name: T\nintervals:\n  - {forward: 50km, speed: 0.5}\n") == [
        (
            "w.yaml:3:5: intervals[0]: the workout reaches 100:00:00 of walking, rests and turns here; "
            "a workout lasts at most 12:00:00 once its repeats are unrolled"
        )
    ]
