"""`retrowalk next`: which workout of a programme is due, and why, from the session history.

`retrowalk run next` runs it: run_options resolves the workout "next" through `due_workout()`.
The bundled programme is the six-week starter (workouts/programmes/); the rule is
history/progress.py's.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from retrowalk.cli.cmd_export import DIR_HELP
from retrowalk.cli.cmd_sessions import printable
from retrowalk.errors import EXIT_OK

if TYPE_CHECKING:
    import argparse

    from retrowalk.history.entry import SessionEntry
    from retrowalk.history.programme import Programme
    from retrowalk.history.progress import Due

DEFAULT_PROGRAMME = "retro-6-week-starter"
WHY_SHOWN = 4  # the last lines of the history that decided it
STANDARD_OR_LESS = {"beginner", "standard", "supervised"}


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk next`."""
    p = subparsers.add_parser(
        "next",
        help="say which workout of a programme is due",
        description="Say which week's workout of the programme is due and why, from the "
        "real (not simulated) sessions recorded: a week is due until completed twice without "
        "a HOLD for heart rate or a stop by you in a backward interval; more than 10 days "
        "without a session repeats the last completed week; a week is never skipped. "
        "`retrowalk run next` runs it.",
    )
    p.add_argument(
        "--programme",
        default=DEFAULT_PROGRAMME,
        metavar="P",
        help=f"a programme file or a bundled programme's name (default: {DEFAULT_PROGRAMME})",
    )
    p.add_argument("--dir", type=Path, default=None, metavar="D", help=DIR_HELP)
    p.add_argument("--json", action="store_true", help="print JSON instead of lines")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the workout due now and the reasons."""
    if args.dir is not None and not args.dir.is_dir():
        from retrowalk.errors import ConfigError  # noqa: PLC0415

        raise ConfigError(f"--dir {printable(str(args.dir))}: no such folder of session logs")
    result = due_now(args.programme, args.dir)
    if args.json:
        print(json.dumps(to_json(result), indent=2))
        return EXIT_OK
    print(describe(result))
    return EXIT_OK


def due_now(programme: str = DEFAULT_PROGRAMME, directory: Path | None = None) -> Due:
    """Return what is due now in `programme`, from the sessions in `directory`."""
    from retrowalk.errors import SessionError  # noqa: PLC0415
    from retrowalk.history import read_log, scan_sessions  # noqa: PLC0415
    from retrowalk.history.progress import due, judge  # noqa: PLC0415

    loaded = load(programme)
    listing = scan_sessions(directory)
    for skipped in listing.skipped:
        print(f"retrowalk: skipped {printable(skipped.reason)}", file=sys.stderr)

    def judge_session(entry: SessionEntry) -> str | None:
        try:
            return judge(read_log(entry.path))
        except SessionError as exc:
            return f"its log cannot be read ({exc})"

    return due(loaded, listing.sessions, judge_session, datetime.now().astimezone())


def due_workout(programme: str = DEFAULT_PROGRAMME) -> Path:
    """Return the workout file due now (`retrowalk run next`); ConfigError when all is done."""
    from retrowalk.errors import ConfigError  # noqa: PLC0415

    result = due_now(programme)
    if result.week is None:
        raise ConfigError(
            f"{result.programme.name} is complete: every week is done; run any workout by name "
            "(`retrowalk library` lists them)"
        )
    return result.week.path


def load(name: str) -> Programme:
    """Read a programme given as a file or a bundled programme's name."""
    from retrowalk.errors import SourceLocation, WorkoutError, did_you_mean  # noqa: PLC0415
    from retrowalk.history.programme import load_programme  # noqa: PLC0415
    from retrowalk.workout.library import find_workout, library_dir  # noqa: PLC0415

    path = Path(name).expanduser()
    if not path.is_file():
        folder = library_dir() / "programmes"
        path = folder / f"{name.removesuffix('.yaml')}.yaml"
        if "/" in name or not path.is_file():
            known = sorted(p.stem for p in folder.glob("*.yaml"))
            raise WorkoutError(
                f"no such file, and not a bundled programme{did_you_mean(name, known)}; "
                f"bundled programmes: {', '.join(known) or '(none found)'}",
                SourceLocation(name),
            )
    return load_programme(path, find_workout)


def describe(result: Due) -> str:
    """Return the lines `retrowalk next` prints."""
    programme = result.programme
    total = len(programme.weeks)
    lines: list[str] = []
    week = result.week
    if week is None:
        lines.append(f"{programme.name}: complete, all {total} weeks done")
    else:
        lines.append(
            f"{programme.name}: week {week.number} of {total} is due: {week.workout} "
            f"({week.title}), {result.completions} of {programme.completions} completions so far"
        )
    lines.extend(f"  {line}" for line in result.why[-WHY_SHOWN:])
    if week is not None:
        profile = ""
        if week.profile is not None and week.profile not in STANDARD_OR_LESS:
            profile = f" --profile {week.profile}"
        lines.append(f"run it: retrowalk run next{profile}")
    return "\n".join(printable(line) for line in lines)


def to_json(result: Due) -> dict[str, object]:
    """Return the JSON form of `retrowalk next --json`."""
    week = result.week
    return {
        "programme": result.programme.name,
        "weeks": len(result.programme.weeks),
        "due_week": week.number if week else None,
        "workout": week.workout if week else None,
        "file": str(week.path) if week else None,
        "completions": result.completions,
        "completions_needed": result.programme.completions,
        "why": list(result.why),
        "sessions": [
            {
                "file": v.entry.path.name,
                "started": v.entry.started.isoformat() if v.entry.started else None,
                "week": v.week,
                "counted": v.counted,
                "reason": v.reason,
            }
            for v in result.verdicts
        ],
    }
