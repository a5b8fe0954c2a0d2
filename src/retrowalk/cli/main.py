"""The `retrowalk` command: one sub-command per module `retrowalk.cli.cmd_<name>`.

Each sub-command module has `add_parser(subparsers)` (which sets `func`) and a run function
that does its heavy imports inside, so start-up stays fast. Only the module of the sub-command
being run is imported: `retrowalk --help` lists every command from `COMMANDS` without
importing any of them. Expected failures (RetrowalkError) print one clear message and exit
with the error's code (2 for bad input); a traceback means a bug.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from typing import TYPE_CHECKING, Protocol, cast

from retrowalk import __version__

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

# Every sub-command and its line in `retrowalk --help`, in the order shown. Each module's own
# `add_parser` gives the same help text (a test holds them together).
COMMANDS: dict[str, str] = {
    "run": "run a workout on a treadmill or the simulator",
    "library": "list the bundled workouts",
    "validate": "check workout files and show their plan summary",
    "show": "show a workout's timeline and speed/incline chart",
    "schema": "print the JSON Schema of the workout format",
    "scan": "list nearby FTMS treadmills and other fitness machines",
    "sim": "serve the simulated treadmill on a Bluetooth HCI transport",
    "probe": "capture a treadmill into a file the simulator can replay",
    "decode": "decode FTMS bytes into JSON",
    "sessions": "list recorded sessions",
    "export": "export sessions as FIT, TCX or CSV files",
    "report": "chart a session: speed, incline, heart rate (PNG or SVG)",
    "next": "say which workout of a programme is due",
    "monitor": "watch every treadmill on an MQTT broker",
    "voice": "try the voice: speak a test sentence, name engine and output",
    "keys": "show the screen's keys; `keys learn` learns a remote's",
}

DESCRIPTION = (
    "Interval workouts alternating forward and backward walking on FTMS treadmills. "
    "Guidance, not medical advice: stop if anything hurts."
)


class CommandModule(Protocol):
    """What a sub-command module provides."""

    def add_parser(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        """Register the sub-command's parser; set `func` to its run function."""


def build_parser(full: Collection[str] | None = None) -> argparse.ArgumentParser:
    """Return the parser; the commands in `full` (default: every one) get their whole parser.

    The others are listed by name and help line only, so their modules are not imported.
    """
    parser = argparse.ArgumentParser(prog="retrowalk", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"retrowalk {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name, summary in COMMANDS.items():
        if full is not None and name not in full:
            subparsers.add_parser(name, help=summary, add_help=False)
            continue
        module = importlib.import_module(f"retrowalk.cli.cmd_{name}")
        cast("CommandModule", module).add_parser(subparsers)
        if name not in subparsers.choices:
            msg = f"retrowalk.cli.cmd_{name}.add_parser did not register a {name!r} command"
            raise RuntimeError(msg)
    return parser


_INTERRUPTED = 130  # errors.EXIT_INTERRUPTED, known before that module (and dataclasses) loads


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code; Ctrl-C at any moment is one line and 130."""
    try:
        return _run(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:  # also while a sub-command's modules are still being imported
        print("retrowalk: interrupted", file=sys.stderr)
        return _INTERRUPTED


def _run(args_list: list[str]) -> int:
    parser = build_parser(full=_command_of(args_list))
    args = parser.parse_args(args_list)  # --help and usage errors exit here
    # Imported after parsing: `retrowalk --help` needs none of it (dataclasses are slow to load).
    from retrowalk.errors import EXIT_OK, RetrowalkError  # noqa: PLC0415

    try:
        return int(args.func(args))
    except RetrowalkError as exc:
        print(f"retrowalk: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (`retrowalk validate ... | head`): not an error of ours. Point
        # stdout at devnull so the interpreter's final flush does not raise again.
        from retrowalk.cli.run_terminal import silence_stdout  # noqa: PLC0415 - rare path

        silence_stdout()
        return EXIT_OK


def _command_of(argv: Sequence[str]) -> set[str]:
    """Return the sub-command named on the command line (as a set: none, or one)."""
    # The top level has only flags (--help, --version), so the first word is the command.
    first = next((word for word in argv if not word.startswith("-")), None)
    return {first} if first in COMMANDS else set()


def entry() -> None:
    """Console-script entry point."""
    code = main()
    # All the run wrote is closed by now. The interpreter's last garbage collection would walk
    # every object the run left (a fast hour in a fresh process: 25 ms of its 0.9 s); frozen,
    # they are freed as ever when the modules are cleared, and the std streams still flushed.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()
