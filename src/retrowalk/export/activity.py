"""A session log as an activity: points at 1 Hz, laps with totals, pauses, real times.

The one shape every export (FIT, TCX, CSV) and the report draw from, built from the log by the
history package's reader and its laps (history/laps.py). Totals come from the log's summary
(the engine's own figures) where it has one, else from the last sample (a killed run); each
lap's distance and energy are what the samples gained over it, the last lap closing on the
session's totals, so the laps add up to the session.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from retrowalk import __version__
from retrowalk.errors import SessionError
from retrowalk.history.laps import Lap, Pause, laps, pauses, span
from retrowalk.history.logformat import REST
from retrowalk.history.model import number

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from retrowalk.history.model import Sample, SessionLog

KMH_PER_MPS = 3.6


@dataclass(frozen=True)
class Point:
    """One sample of the walk, in SI units where exports want them."""

    t: float  # engine time, seconds
    time: datetime  # UTC
    lap: int  # the index of the lap it falls in
    walking: str  # "forward", "backward" or "rest" (logformat's rule of backward time)
    speed_mps: float | None
    target_speed_kmh: float | None
    distance_m: float | None  # cumulative
    incline_pct: float | None
    target_incline_pct: float | None
    heart_rate_bpm: int | None
    energy_kcal: float | None  # cumulative
    state: str | None


@dataclass(frozen=True)
class Stats:
    """The fastest speed and the heart rate over some points (None where nothing was read)."""

    max_speed_mps: float | None
    avg_heart_rate: int | None
    max_heart_rate: int | None

    @classmethod
    def of(cls, points: Sequence[Point]) -> Stats:
        """Return the stats of `points`."""
        speeds = [p.speed_mps for p in points if p.speed_mps is not None]
        rates = [p.heart_rate_bpm for p in points if p.heart_rate_bpm is not None]
        return cls(
            max(speeds) if speeds else None,
            round(sum(rates) / len(rates)) if rates else None,
            max(rates) if rates else None,
        )


@dataclass(frozen=True)
class LapTotals:
    """A lap with its real times and what was walked in it."""

    lap: Lap
    start: datetime
    end: datetime
    timer_s: float  # its time less holds and pauses
    distance_m: float
    energy_kcal: float
    points: tuple[Point, ...]
    stats: Stats

    @property
    def active(self) -> bool:
        """Whether the person walked in it (not a rest step or a turn window)."""
        return self.lap.direction != REST

    @property
    def avg_speed_mps(self) -> float:
        """Distance over moving time."""
        return self.distance_m / self.timer_s if self.timer_s > 0 else 0.0


@dataclass(frozen=True)
class Activity:
    """A whole session, ready to export."""

    path: Path
    workout: str
    device: str | None
    simulated: bool | None  # None: the log does not say
    ended: str  # "finished", "aborted", "interrupted", "incomplete" (killed) or "running"
    start: datetime
    end: datetime
    timer_s: float  # time less holds and pauses
    distance_m: float
    energy_kcal: float
    backward_s: float
    laps: tuple[LapTotals, ...]
    points: tuple[Point, ...]
    pauses: tuple[Pause, ...]
    time_of: Callable[[float], datetime]  # the real time (UTC) of an engine time
    zone: tzinfo | None  # the walker's time zone, as the log's start says it
    stats: Stats

    @property
    def elapsed_s(self) -> float:
        """From the first step to the end, holds and pauses included."""
        return (self.end - self.start).total_seconds()


def activity(log: SessionLog) -> Activity:
    """Return the activity of `log`; SessionError if it cannot tell when it was walked."""
    if log.wall_time(0.0) is None:
        raise SessionError(f"{log.path}: the log does not say when it was walked (no start time)")
    start_t, end_t = span(log)

    def time_of(t: float) -> datetime:
        wall = log.wall_time(t)
        assert wall is not None  # checked above: the log has a start or a clock tie
        return wall.astimezone(UTC)

    found = laps(log)
    held = pauses(log)
    starts = [lap.start_t for lap in found]
    points = tuple(
        _point(sample, time_of, max(0, bisect.bisect_right(starts, sample.t) - 1))
        for sample in log.samples
        if start_t <= sample.t <= end_t
    )
    distance = _total(log, "distance_m", points)
    energy = _total(log, "energy_kcal", points)
    # Lap boundaries come from every sample, also those before the first point: the first lap
    # counts from the session's own zero and the last ends at its total, so the laps add up.
    totals = tuple(
        _lap_totals(
            lap,
            points,
            held,
            time_of,
            bounds=(
                _values_at(log.samples, lap.start_t),
                (distance, energy) if lap is found[-1] else _values_at(log.samples, lap.end_t),
            ),
        )
        for lap in found
    )
    summary = log.summary
    return Activity(
        path=log.path,
        workout=log.header.workout,
        device=_device_name(log),
        simulated=log.header.simulated,
        ended=summary.ended if summary is not None else _unfinished(log),
        start=time_of(start_t),
        end=time_of(end_t),
        timer_s=max(0.0, end_t - start_t - _paused_s(held, start_t, end_t)),
        distance_m=distance,
        energy_kcal=energy,
        backward_s=log.backward_s,
        laps=totals,
        points=points,
        pauses=held,
        time_of=time_of,
        zone=log.header.started.tzinfo if log.header.started is not None else None,
        stats=Stats.of(points),
    )


def _point(sample: Sample, time_of: Callable[[float], datetime], lap: int) -> Point:
    speed = sample.speed_kmh
    return Point(
        t=sample.t,
        time=time_of(sample.t),
        lap=lap,
        walking=sample.walking,
        speed_mps=None if speed is None else speed / KMH_PER_MPS,
        target_speed_kmh=sample.target_speed_kmh,
        distance_m=sample.distance_m,
        incline_pct=sample.incline_pct,
        target_incline_pct=number(sample.fields.get("target_incline_pct")),
        heart_rate_bpm=sample.heart_rate_bpm,
        energy_kcal=sample.energy_kcal,
        state=sample.state,
    )


def _lap_totals(
    lap: Lap,
    points: Sequence[Point],
    held: Sequence[Pause],
    time_of: Callable[[float], datetime],
    *,
    bounds: tuple[tuple[float, float], tuple[float, float]],
) -> LapTotals:
    """Return a lap's totals; `bounds` is (distance, energy) at its start and at its end."""
    (distance_start, energy_start), (distance_end, energy_end) = bounds
    inside = tuple(p for p in points if p.lap == lap.index)
    return LapTotals(
        lap=lap,
        start=time_of(lap.start_t),
        end=time_of(lap.end_t),
        timer_s=max(0.0, lap.duration_s - _paused_s(held, lap.start_t, lap.end_t)),
        distance_m=max(0.0, distance_end - distance_start),
        energy_kcal=max(0.0, energy_end - energy_start),
        points=inside,
        stats=Stats.of(inside),
    )


def _values_at(samples: Sequence[Sample], t: float) -> tuple[float, float]:
    return _at(samples, t, "distance_m"), _at(samples, t, "energy_kcal")


def _at(points: Sequence[Point] | Sequence[Sample], t: float, name: str) -> float:
    """Return a cumulative value at engine time `t`, straight between the samples around it."""
    known = [(p.t, v) for p in points if (v := getattr(p, name)) is not None]
    if not known:
        return 0.0
    times = [k[0] for k in known]
    i = bisect.bisect_left(times, t)
    if i == 0:
        return float(known[0][1])
    if i == len(known):
        return float(known[-1][1])
    (t0, v0), (t1, v1) = known[i - 1], known[i]
    return float(v0 + (v1 - v0) * (t - t0) / (t1 - t0)) if t1 > t0 else float(v1)


def _total(log: SessionLog, name: str, points: Sequence[Point]) -> float:
    value = getattr(log.summary, name) if log.summary is not None else None
    if isinstance(value, float):
        return value
    return _at(points, float("inf"), name)


def _paused_s(held: Sequence[Pause], start: float, end: float) -> float:
    return sum(max(0.0, min(end, p.end_t) - max(start, p.start_t)) for p in held)


def _device_name(log: SessionLog) -> str | None:
    device = log.header.fields.get("device")
    name = device.get("name") if isinstance(device, dict) else None
    return name if isinstance(name, str) and name else None


def _unfinished(log: SessionLog) -> str:
    return "running" if log.state.value == "running" else "incomplete"


def version_parts() -> tuple[int, int, int]:
    """Return retrowalk's version as three numbers (what FIT and TCX files record)."""
    parts = [int(p) if p.isdigit() else 0 for p in __version__.split(".")[:3]]
    major, minor, patch = [*parts, 0, 0, 0][:3]
    return major, minor, patch
