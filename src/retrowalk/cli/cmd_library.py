"""`retrowalk library`: the bundled workouts, one line each, with profile, time and backward time.

The names are what `retrowalk run NAME`, `show NAME` and `validate NAME` take. Times include
the turn windows; the profile is the least safety profile each workout needs.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from retrowalk.errors import EXIT_BAD_INPUT, EXIT_OK

if TYPE_CHECKING:
    import argparse

    from retrowalk.workout.plan import Plan

_COLUMNS = ("WORKOUT", "PROFILE", "TIME", "BACKWARD", "TITLE")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk library`."""
    p = subparsers.add_parser(
        "library",
        help="list the bundled workouts",
        description="List the bundled workouts: the name to give `run`, `show` and `validate`, "
        "the least safety profile each needs, its time with turn-arounds, and its backward time.",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:  # noqa: ARG001 - the command takes no options
    """Print the library table; exit 2 (after the table) if a bundled file does not load."""
    from retrowalk.errors import WorkoutError  # noqa: PLC0415 - keep --help fast
    from retrowalk.workout import build_plan, load_workout  # noqa: PLC0415
    from retrowalk.workout.library import find_workout, library_names  # noqa: PLC0415

    rows: list[tuple[str, ...]] = []
    broken = 0
    for name in library_names():
        try:
            plan = build_plan(load_workout(find_workout(name)))
        except WorkoutError as exc:
            print(f"retrowalk: {exc}", file=sys.stderr)
            broken += 1
            continue
        rows.append(row(name, plan))
    print(table(rows))
    return EXIT_BAD_INPUT if broken else EXIT_OK


def row(name: str, plan: Plan) -> tuple[str, ...]:
    """Return one table row: name, profile, time with turns, backward time, title."""
    from retrowalk.units import format_duration  # noqa: PLC0415 - keep --help fast

    totals = plan.totals
    return (
        name,
        plan.profile,
        format_duration(totals.duration_with_turns_s),
        format_duration(totals.backward_s),
        plan.name,
    )


def table(rows: list[tuple[str, ...]]) -> str:
    """Return the rows under the column headings, each column as wide as its longest cell."""
    everything = [_COLUMNS, *rows]
    widths = [max(len(r[i]) for r in everything) for i in range(len(_COLUMNS) - 1)]
    lines = []
    for cells in everything:
        fixed = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=False))
        lines.append(f"{fixed}  {cells[-1]}")
    return "\n".join(lines)
