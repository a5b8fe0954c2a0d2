"""`retrowalk export SESSION...`: recorded sessions as FIT, TCX or CSV files.

Every session named is found, read and rendered before anything is written, so a wrong name, a
broken log or one with nothing to export is exit 2 with nothing written; each file is written
whole or not at all. After a real run,
`export_dir` in config.toml has run_session call `export_after_run()`, which writes the FIT
file and says so in one line, whatever happens: it never changes the run's exit code.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from retrowalk.cli.cmd_sessions import one_line, printable
from retrowalk.errors import EXIT_OK

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from retrowalk.history import SessionLog

SESSION_HELP = "a session log's path, a file name from `retrowalk sessions`, or last"
DIR_HELP = "session folder (default: the user data folder, or $RETROWALK_DATA_DIR/sessions)"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk export`."""
    p = subparsers.add_parser(
        "export",
        help="export sessions as FIT, TCX or CSV files",
        description="Write each SESSION as a file for Garmin Connect, Strava, intervals.icu or "
        "TrainingPeaks (FIT, TCX) or a spreadsheet (CSV), named after its log. Laps follow the "
        "workout's steps, each turn-around its own rest lap, and say which were walked "
        "backward; a run on the simulated treadmill is marked so in the file.",
        epilog='Set export_dir = "~/fit" in config.toml to get a FIT file after every real '
        "run. Exit codes: 0 written, 2 an unknown session, a log that cannot be read or a "
        "folder that cannot be written (then nothing is written).",
    )
    p.add_argument("sessions", nargs="+", metavar="SESSION", help=SESSION_HELP)
    p.add_argument(
        "--format", "-f", choices=("fit", "tcx", "csv"), default="fit", help="default: fit"
    )
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="DIR",
        help="folder to write into (default: export_dir in config.toml, else the current one)",
    )
    p.add_argument("--dir", type=Path, default=None, metavar="D", help=DIR_HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export every session named, after reading them all."""
    from retrowalk.config import load_config  # noqa: PLC0415 - lazy CLI import
    from retrowalk.errors import ExportError  # noqa: PLC0415
    from retrowalk.export import export_name, render  # noqa: PLC0415
    from retrowalk.export.files import check_folder, write_atomically  # noqa: PLC0415

    folder: Path | None = args.output
    if folder is None:
        configured = load_config().export_dir
        folder = Path(configured).expanduser() if configured else Path.cwd()
        if configured:  # made when missing, as after a real run
            with contextlib.suppress(OSError):
                folder.mkdir(parents=True, exist_ok=True)
        advice = "export_dir in config.toml names it; set a folder there, or give -o"
        check_folder(folder, advice if configured else "give -o an existing folder")
    check_folder(folder)
    logs = read_sessions(args.sessions, args.dir)
    # Every file is made before the first is written: a session with nothing to export
    # (it ended before its first step) stops the command with nothing written.
    files = [(folder / export_name(log, args.format), render(log, args.format)) for log in logs]
    names = [path.name for path, _ in files]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ExportError(
            f"two sessions would both be written as {printable(twice[0])} in "
            f"{printable(str(folder))}; export them one at a time into different folders"
        )
    for path, data in files:
        write_atomically(path, data)
        print(f"wrote {printable(str(path))}")
    return EXIT_OK


def read_sessions(names: Sequence[str], directory: Path | None) -> list[SessionLog]:
    """Return the logs of the sessions named (each once); ExportError (exit 2) for any wrong one.

    A session still being recorded is refused: its file would miss the end of the run.
    """
    from retrowalk.errors import ExportError, SessionError  # noqa: PLC0415
    from retrowalk.history import LogState, find_session, read_log  # noqa: PLC0415

    logs: list[SessionLog] = []
    seen: set[Path] = set()
    for name in names:
        try:
            entry = find_session(name, directory)
            if entry.path.resolve() in seen:
                continue
            log = read_log(entry.path)
        except ExportError:
            raise
        except SessionError as exc:
            raise ExportError(printable(str(exc))) from None
        if log.state == LogState.RUNNING:
            raise ExportError(
                f"{printable(str(log.path))}: still being recorded by a run; try again once it ends"
            )
        seen.add(log.path.resolve())
        logs.append(log)
    return logs


def export_after_run(log_path: Path, folder: Path) -> str:
    """Write the FIT file of a run just ended into `folder`; return the line that says so.

    Never raises: a failing export must not change how the run ends, and the log is kept.
    """
    from retrowalk.export import export  # noqa: PLC0415 - only after a real run
    from retrowalk.history import read_log  # noqa: PLC0415

    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = export(read_log(log_path), "fit", folder)
    except Exception as exc:  # noqa: BLE001 - whatever fails, the run's result stands
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return f"no FIT file written to {folder} ({one_line(reason)}); the session log is kept"
    return f"FIT file written: {path}"
