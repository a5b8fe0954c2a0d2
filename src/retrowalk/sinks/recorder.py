"""The crash-safe session log: one JSON object per line, flushed to disk every second.

A session file (`<YYYYmmdd-HHMMSS>-<workout-slug>.jsonl` in `sessions_dir()`) holds, in order:

    {"kind": "header", "format": 1, "workout": {...}, "device": {...}, ...}
    {"kind": "sample", "t": 0.0, "state": "running", ...}      (a Snapshot, at 1 Hz)
    {"kind": "event", "type": "StepStarted", "t": 0.0, "origin": "engine", ...}
    ...
    {"kind": "summary", "ended": "finished", "elapsed_s": ..., ...}

Every line is written whole by one write call and the file is flushed and fsynced once a second
of workout time, so a killed process loses at most the last second; a reader ignores a partial
last line. A file without a summary line is a session that was killed ("incomplete").
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TextIO

import platformdirs

from retrowalk.engine.clock import sleep_until
from retrowalk.engine.events import (
    Aborted,
    Event,
    Finished,
    Snapshot,
    StepFinished,
    StepStarted,
    TurnEnded,
)
from retrowalk.errors import SessionError

if TYPE_CHECKING:
    from types import TracebackType

    from retrowalk.engine.bus import Channel, Item

DATA_DIR_ENV = "RETROWALK_DATA_DIR"
FORMAT_VERSION = 1
SAMPLE_INTERVAL_S = 1.0
FLUSH_INTERVAL_S = 1.0
# fsync guards against power loss, which happens in wall-clock time: in fast mode an hour of
# workout passes in a second and fsyncing per workout second would dominate the run.
FSYNC_MIN_WALL_S = 0.5


def sessions_dir() -> Path:
    """Return the folder of session logs (RETROWALK_DATA_DIR/sessions when that is set)."""
    base = os.environ.get(DATA_DIR_ENV)
    root = Path(base).expanduser() if base else Path(platformdirs.user_data_dir("retrowalk"))
    return root / "sessions"


def slugify(name: str) -> str:
    """Return a file-name-safe slug of a workout name."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:48] or "workout"


class SessionRecorder:
    """Write one session log; `async with` opens nothing, `run()` owns the file from start to end.

    Single use: a recorder records one session and cannot be reopened.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self.path: Path | None = None
        self.samples = 0
        self.events = 0
        self.summary: dict[str, Any] | None = None  # the summary line, once written
        self._file: TextIO | None = None
        self._used = False
        self._next_sample_t: float | None = None
        self._last_snapshot: Snapshot | None = None
        self._end: Finished | Aborted | None = None
        self._turns = 0
        self._steps_started = 0
        self._steps_completed = 0
        self._last_fsync = 0.0
        self._dirty = False

    async def __aenter__(self) -> Self:
        if self._used:
            raise SessionError("a SessionRecorder records one session; create a new one")
        self._used = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close(interrupted=exc is not None)

    async def run(self, channel: Channel, header: dict[str, Any]) -> Path:
        """Record `channel` (subscribe it with snapshots="all") until it closes; return the file."""
        self._open(header)
        closed = False
        try:
            async with asyncio.TaskGroup() as tg:
                flusher = tg.create_task(self._flush_every_second(), name="recorder-flush")
                try:
                    async for item in channel:
                        self._record(item)
                    closed = True
                finally:
                    flusher.cancel()
        finally:
            # Cancelled (Ctrl-C) or done: keep what is already queued, then the summary.
            while (queued := channel.get_nowait()) is not None:
                self._record(queued)
            self._close(interrupted=not closed)
        assert self.path is not None
        return self.path

    # --- writing ------------------------------------------------------------------------

    def _open(self, header: dict[str, Any]) -> None:
        if self._file is not None or self.path is not None:
            raise SessionError("this recorder already recorded a session")
        directory = self.directory if self.directory is not None else sessions_dir()
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SessionError(f"cannot create the session folder {directory}: {exc}") from exc
        started = datetime.now(UTC).astimezone()
        workout = header.get("workout", {})
        name = str(workout.get("name", "workout")) if isinstance(workout, dict) else "workout"
        stem = f"{started:%Y%m%d-%H%M%S}-{slugify(name)}"
        for attempt in range(1, 100):
            path = directory / (f"{stem}.jsonl" if attempt == 1 else f"{stem}-{attempt}.jsonl")
            try:
                # "x": never overwrite another session; newline="\n" on every platform.
                self._file = path.open("x", encoding="utf-8", newline="\n")
            except FileExistsError:
                continue
            except OSError as exc:
                raise SessionError(f"cannot create the session log {path}: {exc}") from exc
            self.path = path
            break
        else:
            raise SessionError(f"cannot find a free session file name for {stem} in {directory}")
        line = {"kind": "header", "format": FORMAT_VERSION, "started": started.isoformat()}
        line.update(header)
        self._write(line)
        self._flush_now()

    def _record(self, item: Item) -> None:
        if isinstance(item, Snapshot):
            self._last_snapshot = item
            if self._next_sample_t is None or item.t >= self._next_sample_t:
                self._write({"kind": "sample", **vars(item)})
                self.samples += 1
                self._next_sample_t = (item.t // SAMPLE_INTERVAL_S + 1) * SAMPLE_INTERVAL_S
            return
        self._count(item)
        self._write({"kind": "event", "type": type(item).__name__, **vars(item)})
        self.events += 1

    def _count(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            self._steps_started += 1
        elif isinstance(event, StepFinished):
            self._steps_completed += 0 if event.skipped else 1
        elif isinstance(event, TurnEnded):
            self._turns += 1
        elif isinstance(event, Finished | Aborted):
            self._end = event

    def _write(self, line: dict[str, Any]) -> None:
        if self._file is None:
            return
        # The same JSON as Event.to_dict()/Snapshot.to_dict(), built faster: enum members are
        # str subclasses and tuples become lists natively; nested dataclasses go through
        # _nested (an hour of fast mode writes ~5000 lines in about a second).
        text = json.dumps(line, separators=(",", ":"), ensure_ascii=False, default=_nested)
        try:
            self._file.write(text + "\n")
            self._dirty = True
        except OSError as exc:
            raise SessionError(f"cannot write the session log {self.path}: {exc}") from exc

    def _flush_now(self) -> None:
        if self._file is not None and self._dirty:
            self._dirty = False
            try:
                self._file.flush()
                wall = time.monotonic()
                if wall - self._last_fsync >= FSYNC_MIN_WALL_S:
                    os.fsync(self._file.fileno())
                    self._last_fsync = wall
            except OSError as exc:
                raise SessionError(f"cannot write the session log {self.path}: {exc}") from exc

    async def _flush_every_second(self) -> None:
        # A timer, not the item stream: the log stays current even when nothing is published.
        deadline = asyncio.get_running_loop().time()
        while True:
            deadline += FLUSH_INTERVAL_S
            await sleep_until(deadline)
            self._flush_now()

    def _close(self, *, interrupted: bool) -> None:
        if self._file is None:
            return
        self.summary = self._summary(interrupted=interrupted)
        try:
            self._write(self.summary)
            self._file.flush()
            os.fsync(self._file.fileno())
        except (OSError, SessionError):
            pass  # nothing more can be saved; the reader tolerates what is there
        finally:
            self._file.close()
            self._file = None

    def _summary(self, *, interrupted: bool) -> dict[str, Any]:
        end = self._end
        snap = self._last_snapshot
        out: dict[str, Any] = {
            "kind": "summary",
            "ended": "finished" if isinstance(end, Finished) else "aborted",
            "reason": end.reason if isinstance(end, Aborted) else None,
            "finished_at": datetime.now(UTC).astimezone().isoformat(),
            "elapsed_s": _pick(end, "elapsed_s", snap, "workout_elapsed_s"),
            "distance_m": _pick(end, "distance_m", snap, "distance_m"),
            "energy_kcal": _pick(end, "energy_kcal", snap, "energy_kcal"),
            "steps_started": self._steps_started,
            "steps_completed": (
                end.steps_completed if isinstance(end, Finished) else self._steps_completed
            ),
            "steps_skipped": end.steps_skipped if isinstance(end, Finished) else None,
            "turns": self._turns,
            "belt_stopped": end.belt_stopped if end is not None else None,
            "samples": self.samples,
            "events": self.events,
        }
        if end is None:
            out["reason"] = (
                "interrupted before the workout ended"
                if interrupted
                else "the engine stopped without a finish or abort event"
            )
        return out


def _nested(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    return str(value)


def _pick(end: Event | None, attr: str, snap: Snapshot | None, snap_attr: str) -> float | None:
    if end is not None and hasattr(end, attr):
        return float(getattr(end, attr))
    if snap is not None:
        return float(getattr(snap, snap_attr))
    return None


@dataclass(frozen=True)
class SessionSummary:
    """One recorded session, as `retrowalk sessions` lists it."""

    path: Path
    started: datetime | None
    workout: str
    ended: str  # "finished", "aborted", "incomplete" (killed) or "corrupt"
    reason: str | None
    elapsed_s: float | None
    distance_m: float | None
    energy_kcal: float | None
    samples: int
    events: int
    error: str | None = None


def read_session(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return a session's header and its other lines; a partial last line is skipped.

    Raises SessionError naming the file and line when the file is not a session log.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise SessionError(f"{path}: cannot read: {exc.strerror}") from exc
    lines = text.split("\n")
    complete_last = text.endswith("\n")
    records: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines) and not complete_last:
                break  # the last second before a kill: written in part
            raise SessionError(f"{path}:{number}: not a JSON line ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise SessionError(f"{path}:{number}: expected a JSON object per line")
        records.append(record)
    if not records or records[0].get("kind") != "header":
        raise SessionError(f"{path}:1: no session header (not a retrowalk session log)")
    return records[0], records[1:]


def summarize(path: Path) -> SessionSummary:
    """Return the one-line summary of a session file; a corrupt file gives ended="corrupt"."""
    try:
        header, records = read_session(path)
    except SessionError as exc:
        return SessionSummary(path, None, "?", "corrupt", None, None, None, None, 0, 0, str(exc))
    workout = header.get("workout")
    name = str(workout.get("name", "?")) if isinstance(workout, dict) else "?"
    started = _parse_time(header.get("started"))
    samples = [r for r in records if r.get("kind") == "sample"]
    events = sum(1 for r in records if r.get("kind") == "event")
    summary = next((r for r in reversed(records) if r.get("kind") == "summary"), None)
    if summary is not None:
        return SessionSummary(
            path,
            started,
            name,
            str(summary.get("ended", "aborted")),
            summary.get("reason"),
            _num(summary.get("elapsed_s")),
            _num(summary.get("distance_m")),
            _num(summary.get("energy_kcal")),
            len(samples),
            events,
        )
    last = samples[-1] if samples else {}
    return SessionSummary(
        path,
        started,
        name,
        "incomplete",
        "the process ended without saving a summary (killed?)",
        _num(last.get("workout_elapsed_s")),
        _num(last.get("distance_m")),
        _num(last.get("energy_kcal")),
        len(samples),
        events,
    )


def list_sessions(directory: Path | None = None) -> list[SessionSummary]:
    """Return a summary of every session log in `directory` (default sessions_dir()), by start."""
    directory = sessions_dir() if directory is None else directory
    if not directory.is_dir():
        return []
    return sorted((summarize(p) for p in directory.glob("*.jsonl")), key=_start_order)


def _start_order(summary: SessionSummary) -> tuple[float, str]:
    # The header's start time (microseconds) orders two sessions of the same second; an
    # unreadable file sorts by its modification time.
    if summary.started is not None:
        return (summary.started.timestamp(), summary.path.name)
    try:
        return (summary.path.stat().st_mtime, summary.path.name)
    except OSError:
        return (0.0, summary.path.name)


def _num(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
