"""`--sim-script FILE.yaml` and `--sim-trace FILE.jsonl`: a scripted fault run on the simulator.

- `load_scenario(path)`: read a scenario file with the workout loader's safe YAML reader; every
  problem is a `ScenarioError` or `WorkoutError` naming file:line (exit 2), before anything
  connects. The format is in `retrowalk_sim.scenario_data`.
- `check_trace_path(path)`: refuse a trace file that could not be written, before connecting.
- `treadmill_options(scenario, trace)`: what `SimWorld.add` gets for the run's treadmill.
- `anchor(world)`: start the simulated treadmill's session clock where the engine's starts (the
  engine's `t` is loop time minus the loop time at which `Engine.run` began), so the scenario's
  `at`, the trace's `t` and the session log's `t` are one clock.
- `write_trace(world, path)`: write the trace (whole or not at all) when the run is over.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TYPE_CHECKING

from retrowalk.errors import ConfigError, SourceLocation

if TYPE_CHECKING:
    from pathlib import Path

    from retrowalk_sim.bleak_backend import SimWorld
    from retrowalk_sim.scenario import Scenario


def load_scenario(path: Path) -> Scenario:
    """Return the scenario in `path`; raise a file:line error for anything wrong in it."""
    from retrowalk.workout.source import parse_tree, read_text  # noqa: PLC0415 - lazy CLI import
    from retrowalk_sim.scenario import ScenarioError  # noqa: PLC0415 - simulator on demand
    from retrowalk_sim.scenario_data import scenario_from_data  # noqa: PLC0415

    name = str(path)
    text = read_text(path)
    if not text.strip():
        raise ScenarioError(
            "the scenario is empty; give events: and/or tweaks:", SourceLocation(name)
        )
    tree = parse_tree(text, name)
    return scenario_from_data(tree.data, tree, source=name)


def check_trace_path(path: Path) -> None:
    """Raise ConfigError unless a trace file can be written at `path`."""
    folder = path.parent
    if path.is_dir():
        raise ConfigError(f"--sim-trace {path}: is a folder; give a file name such as run.jsonl")
    if not folder.is_dir():
        raise ConfigError(f"--sim-trace {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ConfigError(f"--sim-trace {path}: cannot write there (permission denied)")


def treadmill_options(scenario: Scenario | None, *, trace: bool) -> dict[str, object]:
    """Return the `SimWorld.add` keywords of the run's simulated treadmill."""
    if scenario is None and not trace:
        return {}
    return {"scenario": scenario, "trace": True, "origin": "anchor"}


def check_heart_rate(scenario: Scenario | None, *, strap: bool) -> None:
    """Refuse heart-rate actions when no simulated strap runs (they would do nothing)."""
    action = scenario.needs_hr_strap if scenario is not None else None
    if action is None or strap:
        return
    where = f"{scenario.source}:{action.line}: " if scenario and action.line else ""
    raise ConfigError(
        f"{where}{action.do} needs a simulated heart-rate strap: add --hr auto to the command"
    )


def anchor(world: SimWorld | None) -> None:
    """Start the session clock of every simulated treadmill waiting for it, now.

    Called right before the engine's task is created: the engine's clock starts on the same
    loop time (virtual time) or within a fraction of a millisecond of it (real time).
    """
    if world is None:
        return
    loop_time = asyncio.get_running_loop().time()
    for peripheral in world.peripherals:
        trace = peripheral.trace
        if trace is not None and not trace.anchored:
            trace.anchor(loop_time)


def write_trace(world: SimWorld, path: Path) -> None:
    """Write the first simulated treadmill's trace to `path`; say so on stderr if it fails."""
    trace = next((p.trace for p in world.peripherals if p.trace is not None), None)
    if trace is None:
        return
    try:
        trace.write_jsonl(path)
    except OSError as exc:
        print(
            f"retrowalk: could not write the simulator trace {path}: {exc.strerror or exc}",
            file=sys.stderr,
            flush=True,
        )
