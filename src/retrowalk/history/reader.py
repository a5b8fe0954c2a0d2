"""The one reader of session logs, which every command that reads a log goes through.

`read_log()` reads a whole log (export, report, next); the quick listing (history/entry.py)
reads the header and the tail through the same safe `open_log()` and line parser.

A log is opened only if it is a regular file (never a FIFO, a device or a directory, so a read
never blocks and never reads forever) of at most MAX_LOG_BYTES. A partial last line (the process
was killed while writing it) is skipped; any other line that is not strict JSON (NaN, Infinity,
numbers past a float) is an error naming the file and line.
"""

from __future__ import annotations

import os
import stat
from typing import IO, TYPE_CHECKING, Any

from retrowalk.errors import SessionError
from retrowalk.history import locks
from retrowalk.history import logformat as fmt
from retrowalk.history.model import (
    Gap,
    Header,
    LoggedEvent,
    LogState,
    Sample,
    SessionLog,
    Summary,
    number,
)

if TYPE_CHECKING:
    from pathlib import Path

MAX_LOG_BYTES = 64 * 1024 * 1024  # a day of walking is about 24 MB in format 2

_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFDIR: "a directory",
    stat.S_IFSOCK: "a socket",
}


def read_log(path: Path) -> SessionLog:
    """Return the whole session log at `path`; SessionError naming file and line if it is not."""
    with open_log(path) as file:
        running = is_locked(file)
        data = file.read(MAX_LOG_BYTES + 1)
    if len(data) > MAX_LOG_BYTES:
        raise SessionError(f"{path}: {_too_large(len(data))}")
    return parse_log(path, data, running=running)


def parse_log(path: Path, data: bytes, *, running: bool = False) -> SessionLog:
    """Return the session log held in `data` (the bytes of the file at `path`)."""
    raw_lines = data.split(b"\n")
    partial_last = not data.endswith(b"\n")
    lines: list[tuple[int, dict[str, Any]]] = []
    for number_, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        try:
            lines.append((number_, fmt.loads_line(raw, f"{path}:{number_}")))
        except SessionError:
            if number_ == len(raw_lines) and partial_last:
                break  # the last line, cut short when the process was killed
            raise
    if not lines or lines[0][1].get("kind") != fmt.HEADER:
        raise SessionError(f"{path}:1: no session header (not a retrowalk session log)")
    version = fmt.check_format(lines[0][1], f"{path}:1")
    return _assemble(path, Header.from_line(lines[0][1], version), lines[1:], running=running)


def open_log(path: Path) -> IO[bytes]:
    """Open a log for reading: a regular file, never blocking; SessionError saying why not."""
    try:
        _check_kind(path, path.stat())
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise SessionError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        _check_kind(path, os.fstat(fd))  # the file opened is the one checked
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def is_locked(file: IO[bytes]) -> bool:
    """Return whether a live process holds the log's lock (the recorder, while it writes)."""
    return locks.is_held(file.fileno())


def check_size(path: Path, size: int) -> None:
    """Raise SessionError if a log of `size` bytes is too large to be a session log."""
    if size > MAX_LOG_BYTES:
        raise SessionError(f"{path}: {_too_large(size)}")


def _check_kind(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
        raise SessionError(f"{path}: not a session log: {kind}, not a regular file")
    check_size(path, info.st_size)


def _too_large(size: int) -> str:
    return (
        f"too large for a session log ({size / 1e6:.1f} MB; at most {MAX_LOG_BYTES / 1e6:.0f} MB)"
    )


def _assemble(
    path: Path, header: Header, lines: list[tuple[int, dict[str, Any]]], *, running: bool
) -> SessionLog:
    samples: list[Sample] = []
    events: list[LoggedEvent] = []
    gaps: list[Gap] = []
    summary: Summary | None = None
    decoder = fmt.SampleDecoder()
    backward = fmt.BackwardClock()
    clock: list[tuple[float, float]] = []
    for line_number, line in lines:
        where = f"{path}:{line_number}"
        kind = line.get("kind")
        if kind in {fmt.SAMPLE, fmt.DELTA}:
            if (tie := _clock_tie(line)) is not None:
                clock.append(tie)
            fields = decoder.decode(line, where)
            backward.add(fields)
            samples.append(Sample(fields))
        elif kind == fmt.EVENT:
            events.append(_event(line, where))
        elif kind == fmt.GAP:
            gaps.append(_gap(line))
            decoder.restart()
            backward.restart()
        elif kind == fmt.SUMMARY:
            summary = Summary.from_line(line)
        # Any other kind is from a later minor change of the format: skipped, not an error.
    if summary is not None:
        state = LogState.COMPLETE
    else:
        state = LogState.RUNNING if running else LogState.KILLED
    return SessionLog(
        path=path,
        header=header,
        samples=tuple(samples),
        events=tuple(events),
        gaps=tuple(gaps),
        summary=summary,
        state=state,
        backward_s=backward.backward_s,
        clock=tuple(clock),
    )


def _clock_tie(line: dict[str, Any]) -> tuple[float, float] | None:
    extra = line.get(fmt.RECORDER)
    if not isinstance(extra, dict):
        return None
    t, wall = number(extra.get("wall_t")), number(extra.get("wall"))
    return None if t is None or wall is None else (t, wall)


def _event(line: dict[str, Any], where: str) -> LoggedEvent:
    kind = line.get("type")
    t = number(line.get("t"))
    if not isinstance(kind, str) or t is None:
        raise SessionError(f"{where}: an event without a type name and a time (t)")
    fields = {k: v for k, v in line.items() if k != "kind"}
    return LoggedEvent(kind, t, fields)


def _gap(line: dict[str, Any]) -> Gap:
    start = number(line.get("from_t")) or 0.0
    end = number(line.get("to_t"))
    end = start if end is None else end
    lost = number(line.get("lost_s"))
    reason = line.get("reason")
    return Gap(
        start,
        end,
        max(0.0, end - start) if lost is None else lost,
        reason if isinstance(reason, str) else "",
    )
