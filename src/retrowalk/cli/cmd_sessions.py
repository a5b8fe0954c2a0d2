"""`retrowalk sessions`: list past sessions, one line each."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from retrowalk.errors import EXIT_OK

if TYPE_CHECKING:
    import argparse

    from retrowalk.sinks.recorder import SessionSummary


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk sessions`."""
    p = subparsers.add_parser(
        "sessions",
        help="list recorded sessions",
        description="List recorded sessions (oldest first): date, workout, duration, distance, "
        "energy, and how each ended: finished, aborted, or incomplete (the process was killed).",
    )
    p.add_argument(
        "--dir",
        type=Path,
        default=None,
        metavar="D",
        help="session folder (default: the user data folder, or $RETROWALK_DATA_DIR/sessions)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List the sessions in the folder."""
    from retrowalk.sinks.recorder import list_sessions, sessions_dir  # noqa: PLC0415 - lazy CLI

    directory: Path = args.dir if args.dir is not None else sessions_dir()
    sessions = list_sessions(directory)
    if not sessions:
        print(f"no sessions recorded in {directory}")
        return EXIT_OK
    for session in sessions:
        print(format_line(session))
    print(f"{len(sessions)} session(s) in {directory}", file=sys.stderr)
    return EXIT_OK


def format_line(session: SessionSummary) -> str:
    """Return the one-line description of a session."""
    from retrowalk.cli.console import clock  # noqa: PLC0415 - lazy CLI

    if session.ended == "corrupt":
        return f"{session.path.name}  UNREADABLE: {session.error}"
    date = session.started.strftime("%Y-%m-%d %H:%M") if session.started else "????-??-?? ??:??"
    duration = clock(session.elapsed_s) if session.elapsed_s is not None else "-"
    distance = f"{session.distance_m:.0f} m" if session.distance_m is not None else "-"
    energy = f"{session.energy_kcal:.0f} kcal" if session.energy_kcal is not None else "-"
    ended = session.ended
    if session.ended == "aborted" and session.reason:
        ended += f" ({session.reason})"
    elif session.ended == "incomplete":
        ended += " (killed)"
    return (
        f"{date}  {session.workout:<24.24}  {duration:>8}  {distance:>8}  {energy:>9}  {ended}"
        f"  {session.path.name}"
    )
