"""How a run ended, from the engine's own events: the summary it prints and its exit code.

The session follows a bus channel (events only) with an `EventTally` (sinks.tally): the
engine's final Finished or Aborted event, the steps done, the turns made. `run_summary()` builds
the summary from that alone, never from what a sink (the recorder) happened to write: a data
folder that cannot be written changes nothing in it. The belt is reported stopped only when the
engine says it stopped it.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

from retrowalk.cli.console import RunSummary, format_summary
from retrowalk.cli.run_terminal import say, silence_stdout
from retrowalk.engine.events import Aborted, Finished
from retrowalk.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK

if TYPE_CHECKING:
    from pathlib import Path

    from retrowalk.sinks.tally import EventTally
    from retrowalk.units import UnitSystem
    from retrowalk.workout.plan import Plan

# Said when the engine published no end at all: it was stopped before it ran a single line.
NEVER_STARTED = "stopped before the workout began"


def run_summary(
    tally: EventTally,
    plan: Plan,
    *,
    session_log: Path | None,
    keep_walking: bool,
    units: UnitSystem = "metric",
) -> RunSummary:
    """Return the end-of-run summary of `plan` as the engine reported it in `tally`."""
    end = tally.end
    return RunSummary(
        workout=plan.name,
        ended="finished" if isinstance(end, Finished) else "aborted",
        reason=end.reason if isinstance(end, Aborted) else (None if end else NEVER_STARTED),
        elapsed_s=0.0 if end is None else end.elapsed_s,
        distance_m=0.0 if end is None else end.distance_m,
        energy_kcal=0.0 if end is None else end.energy_kcal,
        steps_done=tally.steps_done,
        steps_total=len(plan.steps),
        turns=tally.turns,
        belt_stopped=end is not None and end.belt_stopped,
        session_log=session_log,
        keep_walking=keep_walking,
        units=units,
    )


def exit_code(summary: RunSummary, interrupted: int) -> int:
    """Return 0 finished, 1 aborted, or 128 + the signal that stopped the run (130 Ctrl-C)."""
    if interrupted:
        # As shells report a signal: 128 + its number (130 INT, 143 TERM, 129 HUP).
        return EXIT_INTERRUPTED if interrupted == signal.SIGINT else 128 + interrupted
    return EXIT_OK if summary.ended == "finished" else EXIT_FAILURE


def report(summary: RunSummary, *, shown: bool) -> None:
    """Print the summary; if the output closed mid-run (`shown` False), one line on stderr."""
    if shown:
        _print_summary(summary)
    else:
        say(_closed_output_line(summary))


def _print_summary(summary: RunSummary) -> None:
    try:
        print(format_summary(summary), flush=True)
    except (OSError, ValueError):  # closed just now: the session log has the summary
        silence_stdout()  # and the interpreter's last flush must not fail on it again


def _closed_output_line(summary: RunSummary) -> str:
    """Return the one line said on stderr when the output closed mid-run."""
    closed = "the output was closed (broken pipe or closed terminal)"
    how = "the workout had finished" if summary.ended == "finished" else "the workout was stopped"
    if summary.belt_stopped:
        belt = "belt stopped"
    elif summary.keep_walking and summary.ended == "finished":
        belt = "belt still running (you chose to keep walking)"
    else:
        belt = "belt NOT confirmed stopped: stop it at its console"
    saved = f"session saved in {summary.session_log}" if summary.session_log else "not recorded"
    return f"{closed}: {how}; {belt}; {saved}"
