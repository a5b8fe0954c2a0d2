"""What a session log holds, typed: header, samples, events, gaps, summary and its state.

These are the reader's answers (history/reader.py); export, report, `sessions` and `next` build
on them. Each keeps the raw JSON object it came from in `fields`, so nothing in the log is out
of reach; the typed attributes are the ones every reader needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from retrowalk.history.logformat import BACKWARD, FORWARD, REST, WALKING_STATES

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


class LogState(StrEnum):
    """Whether a log is done being written."""

    COMPLETE = "complete"  # the recorder wrote its summary line
    KILLED = "killed"  # no summary and no live process holds the log: it ended without one
    RUNNING = "running"  # a live retrowalk holds the log's lock and is still writing it


@dataclass(frozen=True)
class Header:
    """The first line: when, which workout, which machine, simulated or not."""

    format: int  # the log format version (1 for logs written before versions were recorded)
    started: datetime | None
    workout: str
    simulated: bool | None  # None: the log does not say
    fields: Mapping[str, Any]

    @classmethod
    def from_line(cls, line: Mapping[str, Any], version: int) -> Header:
        """Return the header of a log from its first line."""
        workout = line.get("workout")
        name = workout.get("name") if isinstance(workout, dict) else None
        simulated = line.get("simulated")
        device = line.get("device")
        if not isinstance(simulated, bool) and isinstance(device, dict):
            simulated = device.get("simulated")
        return cls(
            format=version,
            started=parse_time(line.get("started")),
            workout=name if isinstance(name, str) and name else "?",
            simulated=simulated if isinstance(simulated, bool) else None,
            fields=line,
        )


@dataclass(frozen=True)
class Sample:
    """One 1 Hz sample: the Snapshot's fields at that moment (engine/events.py), whole."""

    fields: Mapping[str, Any]

    @property
    def t(self) -> float:
        """Seconds since the engine's clock started."""
        return float(self.fields["t"])

    @property
    def state(self) -> str | None:
        """The engine state ("running", "hold", "turning", ...)."""
        return _text(self.fields.get("state"))

    @property
    def direction(self) -> str | None:
        """The direction walked: forward, backward, rest, or None."""
        return _text(self.fields.get("direction"))

    @property
    def walking(self) -> str:
        """What the person did: "forward", "backward" or "rest" (turning, holding, before/after).

        The rule `backward_s` counts by (logformat.BackwardClock): walking is the running state.
        """
        direction = self.direction
        if self.state in WALKING_STATES and direction in {FORWARD, BACKWARD}:
            return direction
        return REST

    @property
    def step_index(self) -> int | None:
        """The 0-based step of the plan, or None before the first."""
        value = self.fields.get("step_index")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def speed_kmh(self) -> float | None:
        """The belt speed the treadmill reported."""
        return number(self.fields.get("actual_speed_kmh"))

    @property
    def target_speed_kmh(self) -> float | None:
        """The speed the plan asked for."""
        return number(self.fields.get("target_speed_kmh"))

    @property
    def incline_pct(self) -> float | None:
        """The incline the treadmill reported."""
        return number(self.fields.get("actual_incline_pct"))

    @property
    def distance_m(self) -> float | None:
        """Distance walked so far."""
        return number(self.fields.get("distance_m"))

    @property
    def energy_kcal(self) -> float | None:
        """Energy estimate so far."""
        return number(self.fields.get("energy_kcal"))

    @property
    def heart_rate_bpm(self) -> int | None:
        """The strap's reading, if one is paired."""
        value = self.fields.get("heart_rate_bpm")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def elapsed_s(self) -> float | None:
        """Workout time so far (from the start, holds included)."""
        return number(self.fields.get("workout_elapsed_s"))


@dataclass(frozen=True)
class LoggedEvent:
    """One engine event as `Event.to_dict()` wrote it: {"type": ..., "t": ..., "origin": ...}."""

    type: str
    t: float
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Gap:
    """Lines the recorder could not write (disk full, I/O error) and had to drop."""

    from_t: float  # the first and last moment (engine time) of what was dropped
    to_t: float
    lost_s: float  # seconds of workout the log has no samples for
    reason: str


@dataclass(frozen=True)
class Summary:
    """The last line of a complete log: how the session ended, its totals."""

    ended: str  # "finished", "aborted" or "interrupted" (the recording stopped first)
    reason: str | None
    elapsed_s: float | None
    distance_m: float | None
    energy_kcal: float | None
    backward_s: float | None  # None in logs of format 1
    belt_stopped: bool | None  # None: the engine never said (no end event was logged)
    lost_s: float  # seconds the recorder could not write
    fields: Mapping[str, Any]

    @classmethod
    def from_line(cls, line: Mapping[str, Any]) -> Summary:
        """Return the summary of a "summary" line."""
        ended = line.get("ended")
        belt = line.get("belt_stopped")
        return cls(
            ended=ended if isinstance(ended, str) and ended else "aborted",
            reason=_text(line.get("reason")),
            elapsed_s=number(line.get("elapsed_s")),
            distance_m=number(line.get("distance_m")),
            energy_kcal=number(line.get("energy_kcal")),
            backward_s=number(line.get("backward_s")),
            belt_stopped=belt if isinstance(belt, bool) else None,
            lost_s=number(line.get("lost_s")) or 0.0,
            fields=line,
        )


@dataclass(frozen=True)
class SessionLog:
    """A whole session log, read by `read_log()`."""

    path: Path
    header: Header
    samples: tuple[Sample, ...]
    events: tuple[LoggedEvent, ...]
    gaps: tuple[Gap, ...]
    summary: Summary | None
    state: LogState
    backward_s: float  # walked backward, by the one rule (logformat.BackwardClock)
    clock: tuple[tuple[float, float], ...] = ()  # (engine t, Unix time) ties, one a minute

    @property
    def last_sample(self) -> Sample | None:
        """The latest sample (for a killed log: how far it got)."""
        return self.samples[-1] if self.samples else None

    def events_of(self, *types: str) -> tuple[LoggedEvent, ...]:
        """Return the events of the given type names, in order."""
        return tuple(e for e in self.events if e.type in types)

    def wall_time(self, t: float) -> datetime | None:
        """Return the real time of engine time `t` (for exports); None if the log cannot tell.

        From the log's first tie of engine time to the wall clock (format 2), else from the
        header's start, counting engine seconds as seconds: monotonic, exact for real-time
        runs (simulated runs in scaled or virtual time get one engine second per second).
        """
        zone = self.header.started.tzinfo if self.header.started else None
        if self.clock:
            tie_t, wall = self.clock[0]
            return datetime.fromtimestamp(wall + (t - tie_t), tz=UTC).astimezone(zone)
        if self.header.started is None:
            return None
        return self.header.started + timedelta(seconds=t)


def number(value: object) -> float | None:
    """Return a JSON number as a float; None for anything else (booleans included)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def parse_time(value: object) -> datetime | None:
    """Return an ISO 8601 time as a datetime, None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
