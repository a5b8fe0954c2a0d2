"""The `retrowalk` command: one sub-command per module in this package.

Each sub-command module has `add_parser(subparsers)` and `run(args) -> int`; heavy imports happen
inside `run`, so `retrowalk --help` stays fast. Expected failures (RetrowalkError) print one clear
message and exit with the error's code (2 for bad input); a traceback means a bug.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import TYPE_CHECKING, Protocol, cast

from retrowalk import __version__
from retrowalk.errors import EXIT_INTERRUPTED, EXIT_OK, RetrowalkError

if TYPE_CHECKING:
    from collections.abc import Sequence

# Order is the order shown in --help.
COMMANDS = (
    "run",
    "validate",
    "show",
    "schema",
    "scan",
    "decode",
    "sessions",
    "monitor",
    "voice",
    "keys",
)


class CommandModule(Protocol):
    """What a sub-command module provides."""

    def add_parser(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        """Register the sub-command's parser; set `func` to its run function."""


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="retrowalk",
        description="Interval workouts alternating forward and backward walking on FTMS "
        "treadmills. Guidance, not medical advice: stop if anything hurts.",
    )
    parser.add_argument("--version", action="version", version=f"retrowalk {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMANDS:
        module_name = f"retrowalk.cli.cmd_{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # a sub-command not built yet
            if exc.name != module_name:
                raise
            continue
        cast("CommandModule", module).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except RetrowalkError as exc:
        print(f"retrowalk: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("retrowalk: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`retrowalk validate ... | head`): not an error of ours. Point
        # stdout at devnull so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
