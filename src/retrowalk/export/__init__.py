"""Exports of recorded sessions: FIT, TCX and CSV files, and the report chart.

    activity(log) -> Activity          a session log as points, laps with totals, pauses
    render(log, "fit"|"tcx"|"csv")     the bytes of one export (its writer imported lazily)
    export(log, fmt, folder) -> Path   written whole or not at all, named after the log

It builds on the history package's reader (history/) and imports nothing of engine, device,
sinks or cli. fit-tool (FIT) and matplotlib (the report) are imported only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrowalk.errors import ExportError

if TYPE_CHECKING:
    from pathlib import Path

    from retrowalk.history import SessionLog

FORMATS = ("fit", "tcx", "csv")


def render(log: SessionLog, fmt: str) -> bytes:
    """Return the export of `log` in `fmt`; ExportError for a log with nothing to export."""
    from retrowalk.export.activity import activity  # noqa: PLC0415 - one import per format

    walked = activity(log)
    if not walked.laps:
        raise ExportError(f"{log.path}: nothing to export: the session ended before its first step")
    if fmt == "fit":
        from retrowalk.export.fit import fit_bytes  # noqa: PLC0415 - fit-tool takes 0.2 s to load

        return fit_bytes(walked)
    if fmt == "tcx":
        from retrowalk.export.tcx import tcx_bytes  # noqa: PLC0415

        return tcx_bytes(walked)
    if fmt == "csv":
        from retrowalk.export.csv_file import csv_bytes  # noqa: PLC0415

        return csv_bytes(walked)
    raise ExportError(f"unknown export format {fmt!r}; allowed: {', '.join(FORMATS)}")


def export_name(log: SessionLog, fmt: str) -> str:
    """Return the file name of an export: the log's name with the format's suffix."""
    return f"{log.path.stem}.{fmt}"


def export(log: SessionLog, fmt: str, folder: Path) -> Path:
    """Write the export of `log` into `folder` (whole or not at all); return its path."""
    from retrowalk.export.files import write_atomically  # noqa: PLC0415

    data = render(log, fmt)
    path = folder / export_name(log, fmt)
    write_atomically(path, data)
    return path
