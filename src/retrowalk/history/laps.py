"""A session cut into laps (one per workout step, each turn window its own) and its pauses.

Read from the engine's own events in a log: StepStarted / StepFinished, TurnStarted / TurnEnded,
Hold / Paused / Resumed and the end (Finished or Aborted). FIT and TCX laps, the report's
shading and the programme rule (`retrowalk next`) all build on these.

The laps cover the workout without a hole: it starts with the first step or turn and ends with
the engine's end event (a killed log: its last sample); the time between two of them (the belt
stopping after the last step) belongs to the lap before.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from retrowalk.history.logformat import REST
from retrowalk.history.model import number

if TYPE_CHECKING:
    from retrowalk.history.model import LoggedEvent, SessionLog

END_EVENTS = ("Finished", "Aborted")
_LAP_EVENTS = ("StepStarted", "StepFinished", "TurnStarted", "TurnEnded")
_PAUSE_EVENTS = ("Hold", "Paused", "Resumed")


@dataclass(frozen=True)
class Lap:
    """One workout step as walked, or one turn-around (a rest lap)."""

    index: int  # 0-based, in the order walked
    start_t: float  # engine time, seconds
    end_t: float
    direction: str  # "forward", "backward", or "rest" (a rest step or a turn window)
    label: str | None  # the step's label in the workout file
    step_index: int | None  # the plan's step; None for a turn window
    turn_to: str | None = None  # a turn window: the direction the person turns to
    skipped: bool = False  # the person skipped the rest of the step

    @property
    def turn(self) -> bool:
        """Whether this lap is a turn window."""
        return self.step_index is None

    @property
    def name(self) -> str:
        """FORWARD / BACKWARD / REST and the step's label: "BACKWARD: Backward"."""
        if self.turn:
            to = f" to {self.turn_to.upper()}" if self.turn_to else ""
            return f"REST: turn around{to}"
        label = self.label or f"step {(self.step_index or 0) + 1}"
        return f"{self.direction.upper()}: {label}"

    @property
    def duration_s(self) -> float:
        """Seconds from its start to its end."""
        return self.end_t - self.start_t


@dataclass(frozen=True)
class Pause:
    """A time the workout stood still: a HOLD, or a pause the person or a coach asked for."""

    kind: str  # "hold" or "pause"
    cause: str | None  # a hold's cause ("heart_rate", "console_stop", ...); None for a pause
    origin: str | None  # who caused it: "keyboard", "console", "device", "remote", ...
    start_t: float
    end_t: float  # when it was resumed, or the end of the session
    resumed: bool  # False: the session ended with it


def span(log: SessionLog) -> tuple[float, float]:
    """Return the engine times the workout started and ended at."""
    starts = log.events_of("StepStarted", "TurnStarted")
    first = log.samples[0].t if log.samples else 0.0
    start = starts[0].t if starts else first
    ends = log.events_of(*END_EVENTS)
    last = log.samples[-1].t if log.samples else start
    end = ends[-1].t if ends else last
    return start, max(start, end)


def laps(log: SessionLog) -> tuple[Lap, ...]:
    """Return the session's laps, in the order walked, covering span(log) without a hole."""
    start, end = span(log)
    found: list[Lap] = []
    current: Lap | None = None
    for event in log.events_of(*_LAP_EVENTS):
        if current is not None and _closes(current, event):
            skipped = event.fields.get("skipped") is True
            found.append(replace(current, end_t=max(event.t, current.start_t), skipped=skipped))
            current = None
        if event.type in {"StepStarted", "TurnStarted"}:
            if current is not None:
                found.append(replace(current, end_t=max(event.t, current.start_t)))
            current = _opened(len(found), event)
    if current is not None:
        found.append(replace(current, end_t=max(end, current.start_t)))
    # Contiguous: each lap runs to the next one's start; the first from the start, the last to
    # the end (a lap closed after the end event, never seen in a well-formed log, is cut).
    joined: list[Lap] = []
    for i, lap in enumerate(found):
        lap_start = start if i == 0 else joined[-1].end_t
        lap_end = found[i + 1].start_t if i + 1 < len(found) else end
        joined.append(replace(lap, index=i, start_t=lap_start, end_t=max(lap_start, lap_end)))
    return tuple(joined)


def pauses(log: SessionLog) -> tuple[Pause, ...]:
    """Return every hold and pause, in order; a hold that replaces another starts a new one."""
    _, end = span(log)
    found: list[Pause] = []
    current: Pause | None = None
    for event in log.events_of(*_PAUSE_EVENTS):
        if current is not None:
            ended = max(event.t, current.start_t)
            found.append(replace(current, end_t=ended, resumed=event.type == "Resumed"))
            current = None
        if event.type == "Hold":
            cause = event.fields.get("cause")
            current = _pause("hold", cause if isinstance(cause, str) else None, event)
        elif event.type == "Paused":
            current = _pause("pause", None, event)
    if current is not None:
        found.append(replace(current, end_t=max(end, current.start_t)))
    return tuple(found)


def lap_at(found: tuple[Lap, ...], t: float) -> Lap | None:
    """Return the lap that holds engine time `t` (the last one for its own end), or None."""
    starts = [lap.start_t for lap in found]
    i = bisect.bisect_right(starts, t) - 1
    if i < 0 or t > found[i].end_t:
        return None
    return found[i]


def _opened(index: int, event: LoggedEvent) -> Lap:
    fields = event.fields
    if event.type == "TurnStarted":
        to = fields.get("to_direction")
        return Lap(index, event.t, event.t, REST, None, None, to if isinstance(to, str) else None)
    direction = fields.get("direction")
    label = fields.get("label")
    step = number(fields.get("index"))
    return Lap(
        index,
        event.t,
        event.t,
        direction if isinstance(direction, str) else REST,
        label if isinstance(label, str) and label else None,
        int(step) if step is not None else 0,
    )


def _closes(lap: Lap, event: LoggedEvent) -> bool:
    if lap.turn:
        return event.type == "TurnEnded"
    return event.type == "StepFinished" and number(event.fields.get("index")) == lap.step_index


def _pause(kind: str, cause: str | None, event: LoggedEvent) -> Pause:
    origin = event.fields.get("origin")
    who = origin if isinstance(origin, str) else None
    return Pause(kind, cause, who, event.t, event.t, resumed=False)
