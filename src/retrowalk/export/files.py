"""Writing an export: whole or not at all (a temporary file beside it, then a rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from retrowalk.errors import ExportError


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader sees the old file or the whole new one, never part.

    ExportError naming the path if it cannot be written; no temporary file is left behind.
    """
    folder = path.parent
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ExportError(f"{folder}: cannot write there: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise ExportError(f"{path}: cannot write it: {exc.strerror or exc}") from None


def check_folder(folder: Path) -> None:
    """Raise ExportError unless `folder` is an existing folder that can be written."""
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ExportError(f"{folder} {what}: give -o an existing folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"{folder}: cannot write there (permission denied)")
