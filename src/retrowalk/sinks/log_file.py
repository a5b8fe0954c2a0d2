"""The session log on disk: created on the first write, appended in whole lines, locked.

`LogFile` keeps lines in memory until `write_pending()` hands them to the OS (the recorder does
once a second, so a killed process loses at most that second); `sync()` is the fsync, which may
run in a worker thread while the event loop goes on appending. While the log is being written a
live process holds an exclusive `flock` on it, which is how `retrowalk sessions` tells "running"
from "killed". A small unlinked reserve file is held open beside it, so that on a full disk
closing it frees room for the summary line.

`check_recordable()` is the pre-flight check of the run: a folder that can be written, with room.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from retrowalk.errors import RecordingRefused
from retrowalk.history import locks
from retrowalk.history.store import sessions_dir

if TYPE_CHECKING:
    from collections.abc import Callable

MIN_FREE_BYTES = 5_000_000  # a few MB: an hour of log is about 0.8 MB
RESERVE_BYTES = 16 * 1024  # room for the summary line (and a gap line) on a full disk


@dataclass(frozen=True)
class LogIO:
    """The system calls a log is written with: the seam where tests inject I/O failures."""

    write: Callable[[int, bytes], int] = os.write
    fsync: Callable[[int], None] = os.fsync


def slugify(name: str) -> str:
    """Return a file-name-safe slug of a workout name."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:48] or "workout"


def check_recordable(
    directory: Path | None = None, *, min_free_bytes: int = MIN_FREE_BYTES
) -> Path:
    """Return the session folder if a log can be written there; RecordingRefused (exit 2) if not."""
    directory = sessions_dir() if directory is None else directory
    advice = "point RETROWALK_DATA_DIR at a writable folder, or run with --no-record"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".probe-")
        try:
            os.write(fd, b"retrowalk\n")
        finally:
            os.close(fd)
            Path(probe).unlink()
        free = shutil.disk_usage(directory).free
    except OSError as exc:
        raise RecordingRefused(
            f"cannot record the session: {directory} cannot be written "
            f"({exc.strerror or exc}); {advice}"
        ) from None
    if free < min_free_bytes:
        raise RecordingRefused(
            f"cannot record the session: only {free / 1e6:.1f} MB free in {directory} (a session "
            f"log needs {min_free_bytes / 1e6:.0f} MB); free some space, {advice}"
        )
    return directory


class LogFile:
    """One append-only log file; created by the first `write_pending()` that succeeds.

    Single use. Only `sync()` may run in another thread (it and `close()` share a lock).
    """

    def __init__(self, directory: Path, stem: str, *, io: LogIO | None = None) -> None:
        self.directory = directory
        self.stem = stem
        self.path: Path | None = None
        self._io = io if io is not None else LogIO()
        self._fd: int | None = None
        self._reserve: IO[bytes] | None = None
        self._pending = bytearray()
        self._partial = 0  # bytes of the first pending line already on disk (a short write)
        self._lock = threading.Lock()
        self._closed = False

    @property
    def pending_bytes(self) -> int:
        """Bytes appended but not yet written."""
        return len(self._pending)

    def append(self, line: bytes) -> None:
        """Queue one whole line (ending in a newline) for the next write."""
        self._pending += line

    def write_pending(self) -> None:
        """Write every queued byte (creating the file first); OSError if the OS refuses.

        After a failure the unwritten bytes stay queued, so the next call continues exactly
        where the file ends: a line cut by a short write is completed, never left broken.
        """
        if self._closed:
            raise OSError("the session log is closed")
        if self._fd is None:
            self._create()
        fd = self._fd
        assert fd is not None
        while self._pending:
            written = self._io.write(fd, bytes(self._pending))
            if written <= 0:
                raise OSError("the session log took no bytes")
            last_newline = self._pending.rfind(b"\n", 0, written)
            if last_newline < 0:
                self._partial += written  # still inside the same line
            else:
                self._partial = written - last_newline - 1
            del self._pending[:written]

    def discard_pending(self) -> None:
        """Drop the queued lines, but keep the rest of a line already partly on disk."""
        if self._partial:
            end = self._pending.find(b"\n")
            del self._pending[end + 1 :]
        else:
            self._pending.clear()

    def release_reserve(self) -> bool:
        """Free the reserved room (for the last lines on a full disk); False if none was held."""
        reserve, self._reserve = self._reserve, None
        if reserve is None:
            return False
        with contextlib.suppress(OSError):
            reserve.close()
        return True

    def sync(self) -> None:
        """Flush the file to the device (fsync); safe in a worker thread."""
        with self._lock:
            if self._fd is not None:
                self._io.fsync(self._fd)

    def close(self) -> None:
        """Sync and close the file (waits for a sync running in another thread)."""
        self.release_reserve()
        with self._lock:
            self._closed = True
            fd, self._fd = self._fd, None
            if fd is None:
                return
            try:
                self._io.fsync(fd)
            finally:
                os.close(fd)  # closing also drops the lock: the log is no longer "running"

    def _create(self) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        for attempt in range(1, 100):
            name = f"{self.stem}.jsonl" if attempt == 1 else f"{self.stem}-{attempt}.jsonl"
            path = self.directory / name
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, flags | getattr(os, "O_BINARY", 0), 0o644)
            except FileExistsError:
                continue  # never overwrite another session
            break
        else:
            raise OSError(f"no free session file name for {self.stem} in {self.directory}")
        locks.hold(fd)
        self._fd, self.path = fd, path
        self._reserve = _reserve(self.directory)


def _reserve(directory: Path) -> IO[bytes] | None:
    """Return an unlinked file holding RESERVE_BYTES of the disk, or None where none fits."""
    try:
        # Held open for the whole session on purpose: closing it is what frees the room.
        reserve = tempfile.TemporaryFile(dir=directory, prefix=".reserve-")  # noqa: SIM115
    except OSError:
        return None
    try:
        if hasattr(os, "posix_fallocate"):
            os.posix_fallocate(reserve.fileno(), 0, RESERVE_BYTES)
        else:
            reserve.write(bytes(RESERVE_BYTES))
            reserve.flush()
    except OSError:
        reserve.close()
        return None
    return reserve
