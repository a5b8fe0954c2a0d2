"""What the recorder counts: lines that did not reach the disk (a "gap"), and the summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from retrowalk.engine.events import (
    Aborted,
    Event,
    Finished,
    Snapshot,
    StepFinished,
    StepStarted,
    TurnEnded,
)
from retrowalk.history import logformat as fmt

SAMPLE_PERIOD_S = 1.0


@dataclass
class Span:
    """Lines counted by their workout time (`t`): first and last, samples and events."""

    first_t: float | None = None
    last_t: float | None = None
    samples: int = 0
    events: int = 0

    def __bool__(self) -> bool:
        return self.samples + self.events > 0

    @property
    def lost_s(self) -> float:
        """Seconds of workout whose samples are missing (one sample a second)."""
        return self.samples * SAMPLE_PERIOD_S

    def add(self, t: float, *, sample: bool) -> None:
        """Count one line at workout time `t`."""
        self.first_t = t if self.first_t is None else min(self.first_t, t)
        self.last_t = t if self.last_t is None else max(self.last_t, t)
        if sample:
            self.samples += 1
        else:
            self.events += 1

    def merge(self, other: Span) -> None:
        """Count `other`'s lines too."""
        if other.first_t is not None and other.last_t is not None:
            self.add(other.first_t, sample=False)
            self.add(other.last_t, sample=False)
            self.events -= 2
        self.samples += other.samples
        self.events += other.events

    def line(self, reason: str) -> dict[str, Any]:
        """Return the log's "gap" line for this span."""
        return {
            "kind": fmt.GAP,
            "from_t": self.first_t,
            "to_t": self.last_t,
            "lost_s": self.lost_s,
            "samples": self.samples,
            "events": self.events,
            "reason": reason,
        }


class Tally:
    """The steps, turns and end event of a session, for its summary line."""

    def __init__(self) -> None:
        self.end: Finished | Aborted | None = None
        self.steps_started = 0
        self.steps_completed = 0
        self.turns = 0

    def count(self, event: Event) -> None:
        """Count one engine event."""
        if isinstance(event, StepStarted):
            self.steps_started += 1
        elif isinstance(event, StepFinished):
            self.steps_completed += 0 if event.skipped else 1
        elif isinstance(event, TurnEnded):
            self.turns += 1
        elif isinstance(event, Finished | Aborted):
            self.end = event

    def summary(
        self,
        *,
        last: Snapshot | None,
        backward_s: float,
        written: tuple[int, int],
        lost_s: float,
        interrupted: bool,
    ) -> dict[str, Any]:
        """Return the summary line: the engine's end event, else the last sample; null if neither.

        `written` is the (samples, events) the log holds.
        """
        end = self.end
        out: dict[str, Any] = {
            "kind": fmt.SUMMARY,
            "ended": "finished" if isinstance(end, Finished) else "aborted",
            "reason": end.reason if isinstance(end, Aborted) else None,
            "finished_at": datetime.now(UTC).astimezone().isoformat(),
            "elapsed_s": end.elapsed_s if end else last.workout_elapsed_s if last else None,
            "distance_m": end.distance_m if end else last.distance_m if last else None,
            "energy_kcal": end.energy_kcal if end else last.energy_kcal if last else None,
            "backward_s": round(backward_s, fmt.DECIMALS),
            "steps_started": self.steps_started,
            "steps_completed": (
                end.steps_completed if isinstance(end, Finished) else self.steps_completed
            ),
            "steps_skipped": end.steps_skipped if isinstance(end, Finished) else None,
            "turns": self.turns,
            "belt_stopped": end.belt_stopped if end is not None else None,
            "samples": written[0],
            "events": written[1],
            "lost_s": lost_s,
        }
        if end is None:
            out["ended"] = "interrupted"
            out["reason"] = (
                "the recording stopped before the workout ended"
                if interrupted
                else "the engine stopped without a finish or abort event"
            )
        return out
