"""One line of `retrowalk sessions`: a session's totals, from its summary or its last sample.

`summarize()` reads only the header line and the last few KB of a log (the summary line, or for
a killed run the samples since its last full sample), so listing a year of sessions is quick.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from retrowalk.errors import SessionError
from retrowalk.history import logformat as fmt
from retrowalk.history.model import Header, LogState, SessionLog, Summary, number, parse_time
from retrowalk.history.reader import is_locked, open_log, parse_log

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime
    from pathlib import Path

HEAD_BYTES = 4096  # a header line is about 800 bytes
MAX_HEADER_BYTES = 64 * 1024
TAIL_BYTES = 8192  # the summary line, or a minute of delta samples for a killed run


@dataclass(frozen=True)
class SessionEntry:
    """What the listing shows of one session."""

    path: Path
    started: datetime | None
    workout: str
    simulated: bool | None
    state: LogState
    ended: str  # "finished", "aborted", "interrupted", "incomplete" (killed) or "running"
    reason: str | None
    elapsed_s: float | None
    distance_m: float | None
    energy_kcal: float | None
    backward_s: float | None  # None where the log cannot tell
    lost_s: float  # seconds the recorder could not write
    format: int

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form (`sessions --json`, the index)."""
        return {
            "file": self.path.name,
            "started": self.started.isoformat() if self.started else None,
            "workout": self.workout,
            "simulated": self.simulated,
            "state": self.state.value,
            "ended": self.ended,
            "reason": self.reason,
            "elapsed_s": self.elapsed_s,
            "distance_m": self.distance_m,
            "energy_kcal": self.energy_kcal,
            "backward_s": self.backward_s,
            "lost_s": self.lost_s,
            "format": self.format,
        }

    @classmethod
    def from_dict(cls, directory: Path, data: dict[str, Any]) -> SessionEntry:
        """Return an entry from its JSON form; ValueError/KeyError/TypeError if it is not one."""
        simulated = data["simulated"]
        reason = data["reason"]
        return cls(
            path=directory / str(data["file"]),
            started=parse_time(data["started"]),
            workout=str(data["workout"]),
            simulated=simulated if isinstance(simulated, bool) else None,
            state=LogState(data["state"]),
            ended=str(data["ended"]),
            reason=reason if isinstance(reason, str) else None,
            elapsed_s=number(data["elapsed_s"]),
            distance_m=number(data["distance_m"]),
            energy_kcal=number(data["energy_kcal"]),
            backward_s=number(data["backward_s"]),
            lost_s=number(data["lost_s"]) or 0.0,
            format=int(data["format"]),
        )


def summarize(path: Path) -> SessionEntry:
    """Return the listing entry of the log at `path`; SessionError naming the file if unreadable."""
    with open_log(path) as file:
        header_line, header_end = _header_line(path, file)
        version = fmt.check_format(header_line, f"{path}:1")
        header = Header.from_line(header_line, version)
        if version == 1:
            # Format 1 has no running totals: read it whole, once (the index keeps the answer).
            file.seek(0)
            return _from_log(parse_log(path, file.read(), running=is_locked(file)))
        size = os.fstat(file.fileno()).st_size
        window = TAIL_BYTES
        while True:
            whole = window >= size - header_end
            tail = _tail_lines(path, file, header_end, size, window)
            last_line = next(tail, None)
            if last_line is None and not whole:
                window *= 4  # not one whole line yet: a long last line
                continue
            if last_line is not None and last_line.get("kind") == fmt.SUMMARY:
                return _from_summary(path, header, Summary.from_line(last_line))
            lines = itertools.chain([] if last_line is None else [last_line], tail)
            if (found := _resume(path, lines, whole=whole)) is not None:
                break
            window *= 4
        state = LogState.RUNNING if is_locked(file) else LogState.KILLED
    last, backward_s = found
    return _from_last(path, header, state, last, backward_s)


def _from_log(log: SessionLog) -> SessionEntry:
    if log.summary is not None:
        entry = _from_summary(log.path, log.header, log.summary)
        if entry.backward_s is not None:
            return entry
        return dataclasses.replace(entry, backward_s=log.backward_s)
    last = log.last_sample
    fields = dict(last.fields) if last is not None else {}
    return _from_last(log.path, log.header, log.state, fields, log.backward_s)


def _from_summary(path: Path, header: Header, summary: Summary) -> SessionEntry:
    return SessionEntry(
        path, header.started, header.workout, header.simulated, LogState.COMPLETE,
        summary.ended, summary.reason, summary.elapsed_s, summary.distance_m,
        summary.energy_kcal, summary.backward_s, summary.lost_s, header.format,
    )  # fmt: skip


def _from_last(
    path: Path, header: Header, state: LogState, last: dict[str, Any], backward_s: float
) -> SessionEntry:
    ended = "running" if state == LogState.RUNNING else "incomplete"
    return SessionEntry(
        path, header.started, header.workout, header.simulated, state, ended, None,
        number(last.get("workout_elapsed_s")), number(last.get("distance_m")),
        number(last.get("energy_kcal")), backward_s, 0.0, header.format,
    )  # fmt: skip


def _header_line(path: Path, file: IO[bytes]) -> tuple[dict[str, Any], int]:
    data = file.read(HEAD_BYTES)
    while b"\n" not in data and len(data) < MAX_HEADER_BYTES:
        more = file.read(HEAD_BYTES)
        if not more:
            break
        data += more
    end = data.find(b"\n")
    if end < 0 and len(data) >= MAX_HEADER_BYTES:
        raise SessionError(f"{path}:1: the first line is too long for a session header")
    first = data if end < 0 else data[:end]
    if not first.strip():
        raise SessionError(f"{path}:1: no session header (not a retrowalk session log)")
    line = fmt.loads_line(first, f"{path}:1")
    if line.get("kind") != fmt.HEADER:
        raise SessionError(f"{path}:1: no session header (not a retrowalk session log)")
    return line, len(first) + 1


def _tail_lines(
    path: Path, file: IO[bytes], start_limit: int, size: int, window: int
) -> Iterator[dict[str, Any]]:
    """Yield the whole lines of the last `window` bytes after the header, parsed, last first."""
    start = max(start_limit, size - window)
    if start >= size:
        return
    file.seek(start)
    raw = file.read(size - start).split(b"\n")
    if start > start_limit:
        raw = raw[1:]  # the window began inside a line
    if raw and raw[-1] != b"":
        # The last line has no newline: the process died writing it, unless it is whole.
        with contextlib.suppress(SessionError):
            yield fmt.loads_line(raw[-1], f"{path}: the last line")
    for chunk in reversed(raw[:-1]):
        if chunk.strip():
            yield fmt.loads_line(chunk, f"{path}: a line near the end")


def _resume(
    path: Path, tail: Iterator[dict[str, Any]], *, whole: bool
) -> tuple[dict[str, Any], float] | None:
    """Return the last sample and the backward time, from the tail's last full sample on.

    None if the tail holds no full sample and is not the `whole` log (look further back).
    """
    samples: list[dict[str, Any]] = []
    for line in tail:
        if line.get("kind") in {fmt.SAMPLE, fmt.DELTA}:
            samples.append(line)
            if line.get("kind") == fmt.SAMPLE:
                break
    else:
        if not whole:
            return None
        if samples:
            raise SessionError(f"{path}: delta samples with no full sample before them")
        return {}, 0.0  # killed before its first sample
    samples.reverse()
    extra = samples[0].get(fmt.RECORDER)
    start = number(extra.get("backward_s")) if isinstance(extra, dict) else None
    decoder = fmt.SampleDecoder()
    clock = fmt.BackwardClock(start or 0.0)
    fields: dict[str, Any] = {}
    for line in samples:
        fields = decoder.decode(line, f"{path}: a sample near the end")
        clock.add(fields)
    return fields, clock.backward_s
