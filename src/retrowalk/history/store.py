"""The folder of session logs: where it is, what is in it, quickly.

`scan_sessions()` lists every `*.jsonl` in the folder, oldest first. It keeps a small index
beside the logs (`.index.json`: each log's entry under its size, modification time and inode)
so an unchanged log is never opened again; the index is only a cache, rebuilt from the logs
whenever it is missing, unreadable, or from another version, and never written where the folder
is read-only. A log still being written ("running") is never cached.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from retrowalk.errors import SessionError
from retrowalk.history.entry import SessionEntry, summarize
from retrowalk.history.model import LogState

DATA_DIR_ENV = "RETROWALK_DATA_DIR"
LOG_SUFFIX = ".jsonl"
INDEX_NAME = ".index.json"
INDEX_VERSION = 1
MAX_INDEX_BYTES = 16 * 1024 * 1024


def sessions_dir() -> Path:
    """Return the folder of session logs (RETROWALK_DATA_DIR/sessions when that is set)."""
    base = os.environ.get(DATA_DIR_ENV)
    root = Path(base).expanduser() if base else Path(platformdirs.user_data_dir("retrowalk"))
    return root / "sessions"


@dataclass(frozen=True)
class Skipped:
    """A file in the folder that is not a readable session log, and why."""

    path: Path
    reason: str  # names the file (and line), says what is wrong


@dataclass(frozen=True)
class SessionListing:
    """The readable sessions, oldest first, and the files skipped."""

    sessions: list[SessionEntry]
    skipped: list[Skipped]


def scan_sessions(directory: Path | None = None, *, use_index: bool = True) -> SessionListing:
    """Return every session in `directory` (default sessions_dir()); unreadable files skipped."""
    directory = sessions_dir() if directory is None else directory
    try:
        found = [e for e in os.scandir(directory) if e.name.endswith(LOG_SUFFIX)]
    except FileNotFoundError:
        return SessionListing([], [])
    except OSError as exc:
        raise SessionError(f"{directory}: cannot list the sessions: {exc.strerror}") from None
    index = _load_index(directory) if use_index else {}
    fresh: dict[str, dict[str, Any]] = {}
    sessions: list[SessionEntry] = []
    skipped: list[Skipped] = []
    for item in found:
        path = Path(item.path)
        try:
            info = item.stat()  # follows a symbolic link to what it names
        except OSError as exc:
            skipped.append(Skipped(path, f"{path}: cannot read: {exc.strerror}"))
            continue
        key = [info.st_size, info.st_mtime_ns, info.st_ino]
        entry = (
            _cached(directory, index.get(item.name), key) if stat.S_ISREG(info.st_mode) else None
        )
        if entry is None:
            try:
                entry = summarize(path)
            except SessionError as exc:
                skipped.append(Skipped(path, str(exc)))
                continue
        sessions.append(entry)
        if entry.state != LogState.RUNNING:
            fresh[item.name] = {"key": key, "entry": entry.to_dict()}
    if use_index and fresh != index:
        _save_index(directory, fresh)
    sessions.sort(key=lambda e: (e.started.timestamp() if e.started else 0.0, e.path.name))
    skipped.sort(key=lambda s: s.path.name)
    return SessionListing(sessions, skipped)


def list_sessions(directory: Path | None = None) -> list[SessionEntry]:
    """Return the readable sessions in `directory`, oldest first (scan_sessions() without skips)."""
    return scan_sessions(directory).sessions


def find_session(name: str, directory: Path | None = None) -> SessionEntry:
    """Return the session named by a path, a file name in the folder, or `last`."""
    candidate = Path(name).expanduser()
    if candidate.is_file():
        return summarize(candidate)
    sessions = list_sessions(directory)
    if name == "last":
        if not sessions:
            raise SessionError(f"no sessions recorded in {directory or sessions_dir()}")
        return sessions[-1]
    matches = [s for s in sessions if s.path.name in {name, name + LOG_SUFFIX}]
    if not matches:
        raise SessionError(
            f"no session {name!r}: give a log's path, a file name from `retrowalk sessions`, "
            "or last"
        )
    return matches[0]


def _cached(path: Path, record: object, key: list[int]) -> SessionEntry | None:
    if not isinstance(record, dict) or record.get("key") != key:
        return None
    try:
        entry = SessionEntry.from_dict(path.parent, record["entry"])
    except (KeyError, TypeError, ValueError):
        return None
    return entry if entry.path == path else None


def _load_index(directory: Path) -> dict[str, dict[str, Any]]:
    path = directory / INDEX_NAME
    try:
        with path.open("rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                return {}
            data = json.loads(file.read(MAX_INDEX_BYTES + 1))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict) or data.get("version") != INDEX_VERSION:
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def _save_index(directory: Path, entries: dict[str, dict[str, Any]]) -> None:
    # Write a new file and rename it over the old one: a reader sees the old or the new index.
    text = json.dumps({"version": INDEX_VERSION, "entries": entries}, separators=(",", ":"))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".index-", suffix=".tmp")
    except OSError:
        return  # a read-only folder: list without a cache
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        Path(tmp).replace(directory / INDEX_NAME)
    except OSError:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
