"""The simulated treadmill's own ground truth: belt, incline, control point writes, faults.

Public API:
- `Trace`: recorded by a `TreadmillModel` (`SimWorld.add(..., trace=True)` or with a scenario;
  `SimPeripheral.trace`). Queries, in seconds on the session clock:
  `belt_kmh_at(t)`, `incline_pct_at(t)` (exact: the belt moves in linear ramps and the trace keeps
  every ramp), `moving_intervals()` and `motion_starts()` (when the belt went from rest, at most
  `MOVING_KMH`, to motion), `samples()` (4 Hz and at every change), `writes()`, `faults()`,
  `entries()` (all three kinds in time order), `json_lines()`, `write_jsonl(path)`.
- `BeltSample(t, belt_kmh, incline_pct)`, `ControlWrite(t, data, answer)` (`answer` None when
  the machine sent none), `FaultEntry(t, fault, action)`.

The session clock: t = loop time - `origin`. `anchor(loop_time)` sets the origin (a scenario's
`at` counts from it); `SimWorld.add(origin="connect")`, the default, anchors it at the first
connection of a central. Before any anchor, t counts from the moment recording began.
`retrowalk run` anchors it where the engine's clock starts, so a trace and a session log share
one `t` (entries before 0 are the connection handshake).
`belt_kmh` is the real belt speed in km/h (on an mph machine, not the number it reports).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from retrowalk_sim.physics import MOVING_KMH, Ramp

if TYPE_CHECKING:
    from collections.abc import Callable

    from retrowalk_sim.scenario import Action

__all__ = ["BeltSample", "ControlWrite", "FaultEntry", "Trace", "TraceEntry"]

SAMPLE_HZ = 4.0


@dataclass(frozen=True)
class BeltSample:
    """Belt speed (real km/h) and deck incline at `t`."""

    t: float
    belt_kmh: float
    incline_pct: float

    def to_json(self) -> dict[str, object]:
        """Return the trace line's fields."""
        return {"t": _r(self.t), "belt_kmh": _r(self.belt_kmh), "incline_pct": _r(self.incline_pct)}


@dataclass(frozen=True)
class ControlWrite:
    """One control point write as it reached the machine, and the indication it answered."""

    t: float
    data: bytes
    answer: bytes | None

    def to_json(self) -> dict[str, object]:
        """Return the trace line's fields."""
        answer = None if self.answer is None else self.answer.hex()
        return {"t": _r(self.t), "write": self.data.hex(), "answer": answer}


@dataclass(frozen=True)
class FaultEntry:
    """A scenario action taking effect."""

    t: float
    fault: str
    action: Action | None = None

    def to_json(self) -> dict[str, object]:
        """Return the trace line's fields."""
        return {"t": _r(self.t), "fault": self.fault}


TraceEntry = BeltSample | ControlWrite | FaultEntry


class Trace:
    """Ground truth of one simulated treadmill (see the module docstring)."""

    def __init__(self) -> None:
        self.origin: float | None = None
        self._anchored = False
        self._belt: list[Ramp] = []  # every ramp the belt followed, by start (loop) time
        self._incline: list[Ramp] = []
        self._writes: list[tuple[float, bytes, bytes | None]] = []
        self._faults: list[tuple[float, str, Action | None]] = []
        self._end: float | None = None
        self._listeners: list[Callable[[float], None]] = []

    # ---- the clock ---------------------------------------------------------------------------

    def anchor(self, loop_time: float) -> None:
        """Set the session clock's 0 to `loop_time` (and start a scenario waiting for it).

        Raises RuntimeError once a scenario action has taken effect: its time was on the old clock.
        """
        if self._faults:
            raise RuntimeError("a scenario action already took effect: anchor the trace before")
        self.origin = loop_time
        self._anchored = True
        for listener in self._listeners:
            listener(loop_time)

    @property
    def anchored(self) -> bool:
        """Return whether `anchor()` was called (the first connection anchors otherwise)."""
        return self._anchored

    def on_anchor(self, listener: Callable[[float], None]) -> None:
        """Call `listener(origin)` when the trace is anchored (a scenario starts on it)."""
        self._listeners.append(listener)

    # ---- recording (the model calls these) ---------------------------------------------------

    def belt(self, ramp: Ramp, scale: float = 1.0) -> None:
        """The belt follows `ramp` from its t0 (`scale` turns machine units into km/h)."""
        _append(self._belt, ramp.copy(scale))

    def incline(self, ramp: Ramp) -> None:
        """The deck follows `ramp` from its t0."""
        _append(self._incline, ramp.copy())

    def write(self, now: float, data: bytes) -> int:
        """A control point write reached the machine; return its index for `answered`."""
        self._writes.append((now, bytes(data), None))
        return len(self._writes) - 1

    def answered(self, index: int, data: bytes) -> None:
        """The machine indicated `data` in answer to write `index`."""
        now, written, _ = self._writes[index]
        self._writes[index] = (now, written, bytes(data))

    def fault(self, now: float, fault: str, action: Action | None = None) -> None:
        """A scenario action took effect."""
        self._faults.append((now, fault, action))

    def close(self, now: float) -> None:
        """Recording ends (the world powered off)."""
        if self._end is None:
            self._end = now

    # ---- queries -----------------------------------------------------------------------------

    def belt_kmh_at(self, t: float) -> float:
        """Return the real belt speed at session time `t` (0 before anything was recorded)."""
        return _value_at(self._belt, self._loop(t))

    def incline_pct_at(self, t: float) -> float:
        """Return the deck incline at session time `t`."""
        return _value_at(self._incline, self._loop(t))

    def moving_intervals(self) -> list[tuple[float, float]]:
        """Return the (start, end) session times over which the belt moved (end inf: still)."""
        intervals: list[tuple[float, float]] = []
        for i, ramp in enumerate(self._belt):
            until = self._belt[i + 1].t0 if i + 1 < len(self._belt) else math.inf
            span = _above(ramp, MOVING_KMH, until)
            if span is None:
                continue
            start, end = self._session(span[0]), self._session(span[1])
            if intervals and math.isclose(intervals[-1][1], start, abs_tol=1e-9):
                intervals[-1] = (intervals[-1][0], end)
            else:
                intervals.append((start, end))
        return intervals

    def motion_starts(self) -> list[float]:
        """Return every session time at which the belt went from rest to motion."""
        return [start for start, _ in self.moving_intervals()]

    def writes(self) -> list[ControlWrite]:
        """Return every control point write, in order."""
        return [ControlWrite(self._session(t), d, a) for t, d, a in self._writes]

    def faults(self) -> list[FaultEntry]:
        """Return every scenario action that took effect, in order."""
        return [FaultEntry(self._session(t), f, a) for t, f, a in self._faults]

    def samples(self, end: float | None = None) -> list[BeltSample]:
        """Return belt and incline at 4 Hz (on the session clock) and at every change."""
        if not self._belt:
            return []
        first = self._belt[0].t0
        last = self._last_time() if end is None else self._loop(end)
        knees = _knees(self._belt) | _knees(self._incline)
        origin = self._origin()
        k0 = math.ceil(round((first - origin) * SAMPLE_HZ, 6))
        k1 = math.floor(round((last - origin) * SAMPLE_HZ, 6))
        grid = {origin + k / SAMPLE_HZ for k in range(k0, k1 + 1)}
        times = sorted(x for x in knees | grid if first <= x <= last)
        out: list[BeltSample] = []
        for x in times:
            t = self._session(x)
            if out and round(out[-1].t, 3) == round(t, 3):
                out.pop()  # two instants within a millisecond: keep the later value
            belt, incline = _value_at(self._belt, x), _value_at(self._incline, x)
            out.append(BeltSample(t, belt, incline))
        return out

    def entries(self) -> list[TraceEntry]:
        """Return faults, writes and samples merged in time order (a fault before its effect)."""
        rank = {FaultEntry: 0, ControlWrite: 1, BeltSample: 2}
        merged: list[TraceEntry] = [*self.faults(), *self.writes(), *self.samples()]
        merged.sort(key=lambda e: (round(e.t, 6), rank[type(e)]))
        return merged

    def json_lines(self) -> list[str]:
        """Return the trace as JSON Lines (one object per line, no newline characters)."""
        return [json.dumps(entry.to_json()) for entry in self.entries()]

    def write_jsonl(self, path: Path | str) -> None:
        """Write the trace to `path` as JSON Lines, whole or not at all (atomic replace)."""
        target = Path(path)
        text = "".join(line + "\n" for line in self.json_lines())
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                stream.write(text)
            Path(tmp).replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
            raise

    # ---- clock arithmetic --------------------------------------------------------------------

    def _origin(self) -> float:
        if self.origin is not None:
            return self.origin
        return self._belt[0].t0 if self._belt else 0.0

    def _session(self, loop_time: float) -> float:
        return loop_time - self._origin()

    def _loop(self, t: float) -> float:
        return t + self._origin()

    def _last_time(self) -> float:
        if self._end is not None:
            return self._end
        with contextlib.suppress(RuntimeError):
            return asyncio.get_running_loop().time()
        times = [r.t0 for r in self._belt] + [t for t, _, _ in self._writes]
        return max(times, default=0.0)


def _append(ramps: list[Ramp], ramp: Ramp) -> None:
    """Add a ramp; one starting at the same instant as the last replaces it."""
    if ramps and ramps[-1].t0 >= ramp.t0:
        ramps.pop()
    ramps.append(ramp)


def _knees(ramps: list[Ramp]) -> set[float]:
    """Return every instant a ramp begins, or reaches its goal before the next one begins."""
    knees = {r.t0 for r in ramps}
    for i, ramp in enumerate(ramps):
        until = ramps[i + 1].t0 if i + 1 < len(ramps) else math.inf
        if ramp.reach_time() < until:
            knees.add(ramp.reach_time())
    return knees


def _value_at(ramps: list[Ramp], x: float) -> float:
    i = bisect.bisect_right(ramps, x, key=lambda r: r.t0) - 1
    return 0.0 if i < 0 else ramps[i].at(x)


def _above(ramp: Ramp, level: float, until: float) -> tuple[float, float] | None:
    """Return the part of [ramp.t0, until) where the ramp's value is above `level`."""
    start, goal, t0 = ramp.start, ramp.goal, ramp.t0
    if until <= t0 or (start <= level and goal <= level):
        return None
    if start > level and goal > level:
        return t0, until
    crossing = t0 + abs(level - start) / ramp.rate if ramp.rate > 0 else math.inf
    if start <= level:  # rising through the level
        return (crossing, until) if crossing < until else None
    return t0, min(crossing, until)  # falling through it


def _r(value: float) -> float:
    return round(value, 3) + 0.0  # + 0.0: never "-0.0"
