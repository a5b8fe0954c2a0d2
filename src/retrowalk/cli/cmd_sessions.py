"""`retrowalk sessions`: past sessions, one line each, or totals per ISO week."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from retrowalk.errors import EXIT_OK, ConfigError
from retrowalk.units import UNIT_SYSTEMS, UNITS_HELP

if TYPE_CHECKING:
    import argparse

    from retrowalk.history import SessionEntry, WeekTotals
    from retrowalk.units import UnitSystem

REASON_CHARS = 80


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk sessions`."""
    p = subparsers.add_parser(
        "sessions",
        help="list recorded sessions",
        description="List recorded sessions, oldest first, one line each: date, workout, "
        "duration, distance, energy, time walked backward, real or simulated, and how it "
        "ended: finished, aborted (why), running (still being recorded) or incomplete (killed). "
        "Files that are not readable session logs are skipped and named on stderr.",
    )
    p.add_argument(
        "--dir",
        type=Path,
        default=None,
        metavar="D",
        help="session folder (default: the user data folder, or $RETROWALK_DATA_DIR/sessions)",
    )
    p.add_argument("--real", action="store_true", help="hide runs on the simulated treadmill")
    p.add_argument("--since", metavar="DATE", help="only sessions started on or after YYYY-MM-DD")
    p.add_argument(
        "--week",
        action="store_true",
        help="totals per ISO week: sessions, minutes, backward minutes, distance, energy",
    )
    p.add_argument("--units", choices=UNIT_SYSTEMS, help=UNITS_HELP)
    p.add_argument(
        "--json", action="store_true", help="print JSON instead of lines (always metres and kcal)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List the sessions in the folder (or their weekly totals)."""
    from retrowalk.config import chosen_units, load_config  # noqa: PLC0415
    from retrowalk.history import scan_sessions, sessions_dir, week_totals  # noqa: PLC0415

    directory: Path = args.dir if args.dir is not None else sessions_dir()
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"--dir {directory} is not a folder")
    since = _since(args.since)
    listing = scan_sessions(directory)
    for skipped in listing.skipped:
        print(f"retrowalk: skipped {printable(skipped.reason)}", file=sys.stderr)
    sessions = [
        s
        for s in listing.sessions
        if not (args.real and s.simulated)
        and (since is None or (s.started is not None and s.started.date() >= since))
    ]
    if args.json:
        if args.week:
            document: object = [week.to_dict() for week in week_totals(sessions)]
        else:
            document = [{"path": str(s.path), **s.to_dict()} for s in sessions]
        print(json.dumps(document, indent=2))
        return EXIT_OK
    if not sessions:
        some = "no sessions match" if listing.sessions else "no sessions recorded"
        print(f"{some} in {printable(str(directory))}")
        return EXIT_OK
    units = chosen_units(args.units, load_config())
    if args.week:
        for week in week_totals(sessions):
            print(format_week(week, units))
    else:
        for session in sessions:
            print(format_line(session, units))
    print(f"{len(sessions)} session(s) in {printable(str(directory))}", file=sys.stderr)
    return EXIT_OK


def format_line(session: SessionEntry, units: UnitSystem = "metric") -> str:
    """Return the one-line description of a session (never more than one line)."""
    from retrowalk.units import format_distance, format_duration  # noqa: PLC0415 - lazy CLI

    date_ = session.started.strftime("%Y-%m-%d %H:%M") if session.started else "????-??-?? ??:??"
    duration = format_duration(session.elapsed_s) if session.elapsed_s is not None else "-"
    distance = format_distance(session.distance_m, units) if session.distance_m is not None else "-"
    energy = f"{session.energy_kcal:.0f} kcal" if session.energy_kcal is not None else "-"
    backward = "-" if session.backward_s is None else format_duration(session.backward_s)
    kind = {True: "sim", False: "real", None: "?"}[session.simulated]
    ended = session.ended
    if session.ended == "incomplete":
        ended += " (killed)"
    elif session.reason:
        ended += f" ({one_line(session.reason)})"
    if session.lost_s:
        ended += f", {format_duration(session.lost_s)} not recorded"
    return printable(
        f"{date_}  {session.workout:<24.24}  {duration:>8}  {distance:>9}  {energy:>9}  "
        f"{backward:>7} back  {kind:<4}  {ended}  {session.path.name}"
    )


def format_week(week: WeekTotals, units: UnitSystem = "metric") -> str:
    """Return one ISO week's totals on one line."""
    from retrowalk.units import format_distance, format_duration  # noqa: PLC0415 - lazy CLI

    count = f"{week.sessions} session{'s' if week.sessions != 1 else ''}"
    return (
        f"{week.label}  {count:>11}  {format_duration(week.minutes * 60):>8}  "
        f"{format_duration(week.backward_minutes * 60):>7} back  "
        f"{format_distance(week.distance_m, units):>9}  {week.energy_kcal:>5.0f} kcal"
    )


def one_line(text: str) -> str:
    """Return the first line of `text`, shortened to REASON_CHARS characters."""
    first = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    first = first.rstrip(":")
    more = len(text.strip().splitlines()) > 1
    if len(first) > REASON_CHARS:
        return first[: REASON_CHARS - 3].rstrip() + "..."
    return first + (" ..." if more else "")


def printable(text: str) -> str:
    """Return `text` with control characters (a newline in a file name) shown escaped."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _since(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"--since {printable(text)!r} is not a date; write YYYY-MM-DD, e.g. 2026-03-01"
        ) from None
