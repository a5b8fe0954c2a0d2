"""How big a workout is once its repeats are unrolled, computed from the repeat counts alone.

A 248-byte file can nest `repeat: 100` four deep: a hundred million steps. The plan is never
built for that: the number of steps and the planned time (walking, rests and turn windows) are
computed per block and multiplied by the repeat counts, and the first repeat (or interval) that
takes the workout past a limit is named. No real workout comes near the limits: the longest in
the library has 14 steps and lasts 36:24.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.errors import WorkoutError
from retrowalk.units import format_duration
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from retrowalk.workout.model import Interval, Workout
    from retrowalk.workout.plan import TurnSpec

MAX_STEPS = 5_000
MAX_PLANNED_S = 12 * 3600.0  # walking, rests and turn windows together
_UNROLLED = "once its repeats are unrolled"


@dataclass(frozen=True)
class Size:
    """The unrolled size of a run of intervals, and the walking directions at its two ends."""

    steps: int = 0
    seconds: float = 0.0  # planned time, turn windows inside the run included
    first: Direction | None = None  # first walking direction (rests do not turn the person)
    first_window_s: float = 0.0  # the turn window into that first walking step
    last: Direction | None = None

    def then(self, other: Size) -> Size:
        """Return the size of this run followed by `other` (a turn where the directions differ)."""
        seconds = self.seconds + other.seconds + self._turn_into(other)
        return Size(
            steps=self.steps + other.steps,
            seconds=seconds,
            first=self.first or other.first,
            first_window_s=self.first_window_s if self.first else other.first_window_s,
            last=other.last or self.last,
        )

    def times(self, count: int) -> Size:
        """Return the size of this run repeated `count` times, back to back."""
        return Size(
            steps=self.steps * count,
            seconds=self.seconds * count + self._turn_into(self) * (count - 1),
            first=self.first,
            first_window_s=self.first_window_s,
            last=self.last,
        )

    def _turn_into(self, other: Size) -> float:
        if self.last is None or other.first is None or self.last is other.first:
            return 0.0
        return other.first_window_s


class _TooLarge(Exception):  # noqa: N818 - internal signal, turned into a WorkoutError
    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message


def size_of(workout: Workout) -> Size:
    """Return the unrolled size of `workout`: its plan's step count and time with turns."""
    return _with_start_turn(_run(workout.intervals, "intervals", workout.turn_spec(), limit=False))


def size_problem(workout: Workout) -> WorkoutError | None:
    """Return the problem of a workout too large once unrolled (None when it fits the limits)."""
    try:
        size = _with_start_turn(
            _run(workout.intervals, "intervals", workout.turn_spec(), limit=True)
        )
        _check(size.steps, size.seconds, "intervals[0]", None)
    except _TooLarge as exc:
        return WorkoutError(exc.message, workout.locate(exc.path))
    return None


def _with_start_turn(size: Size) -> Size:
    """Add the turn a backward first interval starts with (the person starts facing forward)."""
    if size.first is not Direction.BACKWARD:
        return size
    return dataclasses.replace(size, seconds=size.seconds + size.first_window_s)


def _run(intervals: list[Interval], path: str, default: TurnSpec, *, limit: bool) -> Size:
    total = Size()
    for index, interval in enumerate(intervals):
        here = f"{path}[{index}]"
        total = total.then(_one(interval, here, default, limit=limit))
        if limit:
            _check(total.steps, total.seconds, here, None)
    return total


def _one(interval: Interval, path: str, default: TurnSpec, *, limit: bool) -> Size:
    if interval.repeat is not None and interval.intervals is not None:
        body = _run(interval.intervals, f"{path}.intervals", default, limit=limit)
        size = body.times(interval.repeat)
        if limit:
            _check(size.steps, size.seconds, f"{path}.repeat", interval.repeat)
        return size
    direction = interval.direction or Direction.REST
    extent = interval.extent
    seconds = extent.seconds or 0.0
    if extent.metres is not None and interval.speed is not None:
        seconds = extent.metres / (interval.speed.mean_kmh / 3.6)
    if direction is Direction.REST:
        return Size(steps=1, seconds=seconds)
    turn = interval.turn.apply_to(default) if interval.turn else default
    return Size(1, seconds, direction, turn.window_s, direction)


def _check(steps: int, seconds: float, path: str, count: int | None) -> None:
    """Raise _TooLarge naming `path` when the run up to it passes a limit."""
    made = f"repeating this {count} times makes" if count is not None else "the workout reaches"
    here = "" if count is not None else " here"
    if steps > MAX_STEPS:
        raise _TooLarge(
            path,
            f"{made} {steps:,} steps{here}; a workout has at most {MAX_STEPS:,} steps {_UNROLLED}",
        )
    if seconds > MAX_PLANNED_S:
        raise _TooLarge(
            path,
            f"{made} {format_duration(seconds)} of walking, rests and turns{here}; a workout "
            f"lasts at most {format_duration(MAX_PLANNED_S)} {_UNROLLED}",
        )
