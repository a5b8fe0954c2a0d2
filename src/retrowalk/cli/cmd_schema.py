"""`retrowalk schema`: print the JSON Schema of the workout format for editors."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk schema`."""
    p = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of the workout format",
        description="Print the JSON Schema of workout files (format version 1). Save it and "
        "point your editor at it, e.g. with the first line "
        "'# yaml-language-server: $schema=./workout.schema.json'.",
    )
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print (or write) the schema; return 0."""
    from pathlib import Path  # noqa: PLC0415 - keep --help fast

    from retrowalk.errors import ConfigError  # noqa: PLC0415
    from retrowalk.workout.model import workout_json_schema  # noqa: PLC0415

    text = json.dumps(workout_json_schema(), indent=2) + "\n"
    if args.output is None:
        print(text, end="")
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    return 0
