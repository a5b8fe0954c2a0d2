"""The end-of-workout picture: the belt's speed over the session, its backward parts marked (pure).

`SpeedTrace` keeps one point a second from the engine's snapshots (an hour is 3,600 points);
`columns(n)` folds them into `n` columns of the whole session, each with its top speed and
what the person did then. A column that holds any backward walking is backward: a short
backward interval is never folded away. A turn-around marks its column too. A column's speed
is the top speed of what marks it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.cli.tui_timeline import TURN
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from retrowalk.engine.events import Snapshot

Kind = Direction | None  # a Direction, or TURN (None) for a turn-around


@dataclass(frozen=True)
class Column:
    """One column of the picture: the top belt speed in it, and what the person did."""

    speed_kmh: float
    kind: Kind


class SpeedTrace:
    """The belt speed and the walking direction, one point a second of engine time."""

    def __init__(self) -> None:
        self._points: list[tuple[float, Kind]] = []
        self._second = -1

    def add(self, snapshot: Snapshot) -> None:
        """Take a snapshot's belt speed and direction (the first of each second)."""
        second = int(snapshot.t)
        if second <= self._second or snapshot.step_index is None:
            return  # already have this second, or not started yet
        self._second = second
        kind: Kind = snapshot.direction or Direction.REST
        if snapshot.turn_phase is not None:
            kind = TURN
        self._points.append((snapshot.actual_speed_kmh or 0.0, kind))

    def __len__(self) -> int:
        return len(self._points)

    def columns(self, width: int) -> list[Column]:
        """Return at most `width` columns over the whole session, oldest first."""
        points = self._points
        count = min(width, len(points))
        out = []
        for n in range(count):
            part = points[n * len(points) // count : (n + 1) * len(points) // count]
            kinds = Counter(kind for _, kind in part)
            if Direction.BACKWARD in kinds:
                kind: Kind = Direction.BACKWARD
            elif TURN in kinds:
                kind = TURN
            else:
                kind = kinds.most_common(1)[0][0]
            # The column's speed is that of what it is marked: a backward column that also holds
            # the start of the next forward interval still shows the backward speed.
            out.append(Column(max(speed for speed, k in part if k == kind), kind))
        return out
