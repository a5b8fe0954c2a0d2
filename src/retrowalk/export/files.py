"""Writing an export: whole or not at all (a temporary file beside it, then a rename)."""

from __future__ import annotations

import contextlib
import os
import secrets
from typing import TYPE_CHECKING

from retrowalk.errors import ExportError

if TYPE_CHECKING:
    from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader sees the old file or the whole new one, never part.

    ExportError naming the path if it cannot be written; no temporary file is left behind. The
    file gets the permissions the umask gives a new file (mkstemp's would be owner-only).
    """
    folder = path.parent
    temporary = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise ExportError(f"{folder}: cannot write there: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise ExportError(f"{path}: cannot write it: {exc.strerror or exc}") from None


def check_folder(folder: Path, advice: str = "give -o an existing folder") -> None:
    """Raise ExportError unless `folder` is an existing folder that can be written."""
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ExportError(f"{folder} {what}: {advice}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"{folder}: cannot write there (permission denied)")
