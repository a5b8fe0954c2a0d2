"""Session logs of real workouts walked on the simulator in fast mode, for exports and `next`.

`cli_run` is `retrowalk run WORKOUT --sim --fast --yes` in process. `held_run` walks a library
workout through the same parts `run` wires (simulated treadmill, engine, recorder) with a
simulated person who, in the first backward interval, stops the belt at the console (or whose
heart rate rises over the limit) and resumes after `hold_s`: a log with a HOLD in it.
`killed_copy` cuts a log where a SIGKILL could have (mid-line, no summary).
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

from bleak import BleakClient

from retrowalk.cli.main import main
from retrowalk.device.treadmill import FtmsTreadmill
from retrowalk.engine import clock
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandKind, Origin
from retrowalk.engine.events import Hold, StepStarted
from retrowalk.engine.runner import Engine, EngineOptions
from retrowalk.sinks.recorder import SessionRecorder
from retrowalk.workout import check_file
from retrowalk.workout.library import find_workout
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld
from session_logs import header_line, write_lines

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from datetime import datetime
    from pathlib import Path

    from retrowalk.engine.bus import Channel
    from retrowalk_sim.bleak_backend import SimPeripheral
    from retrowalk_sim.model import TreadmillModel


def cli_run(data_dir: Path, workout: str, *extra: str) -> Path:
    """Run `retrowalk run WORKOUT --sim --fast --yes EXTRA...` recording into `data_dir`."""
    before = set((data_dir / "sessions").glob("*.jsonl"))
    old = os.environ.get("RETROWALK_DATA_DIR")
    os.environ["RETROWALK_DATA_DIR"] = str(data_dir)
    try:
        code = main(["run", workout, "--sim", "--fast", "--yes", *extra])
    finally:
        if old is None:
            del os.environ["RETROWALK_DATA_DIR"]
        else:
            os.environ["RETROWALK_DATA_DIR"] = old
    assert code == 0, f"run {workout} ended with exit code {code}"
    [log] = set((data_dir / "sessions").glob("*.jsonl")) - before
    return log


class _Strap:
    """A heart-rate strap whose reading the simulated person's body sets."""

    def __init__(self) -> None:
        self.bpm = 105

    async def readings(self) -> AsyncIterator[int | None]:
        while True:
            yield self.bpm
            await asyncio.sleep(1.0)


def held_run(
    directory: Path, workout: str = "retro-intro", *, cause: str = "heart_rate", hold_s: float = 40
) -> Path:
    """Walk `workout` with a HOLD in its first backward interval; return the log's path.

    `cause` is heart_rate or console_stop; the person resumes `hold_s` after the HOLD.
    """
    return clock.run(lambda: _held(directory, workout, cause, hold_s), fast=True)


async def _held(directory: Path, workout: str, cause: str, hold_s: float) -> Path:
    plan, profile = check_file(find_workout(workout)).ready_to_run()
    strap = _Strap()
    world = SimWorld()
    peripheral = world.add(profile="home")
    options = EngineOptions(auto_confirm=True, hr_max_bpm=150, hr_hold_s=10.0)
    async with world:
        client = BleakClient(peripheral.device, backend=SimulatedClient)
        async with FtmsTreadmill(client) as treadmill:
            bus = Bus()
            engine = Engine(
                plan, treadmill, bus=bus, profile=profile, options=options,
                heart_rate=strap.readings(),
            )  # fmt: skip
            recording = bus.subscribe("recorder", snapshots="none")
            watching = bus.subscribe("person", snapshots="none")
            recorder = SessionRecorder(directory)
            header = _header(plan.name, peripheral.model.profile.local_name)
            async with recorder, asyncio.TaskGroup() as tg:
                tg.create_task(recorder.run(recording, header, latest=lambda: bus.latest))
                tg.create_task(_person(watching, engine, peripheral, strap, cause, hold_s))
                try:
                    await engine.run()
                finally:
                    bus.close()
    assert recorder.path is not None
    return recorder.path


async def _person(  # noqa: PLR0917 - the parts the person acts on
    channel: Channel,
    engine: Engine,
    peripheral: SimPeripheral[TreadmillModel],
    strap: _Strap,
    cause: str,
    hold_s: float,
) -> None:
    """Stop (or tire) 30 s into the first backward interval; resume `hold_s` after the HOLD."""
    held = False
    async for item in channel:
        if isinstance(item, StepStarted) and item.direction == "backward" and not held:
            held = True
            await asyncio.sleep(30)
            if cause == "console_stop":
                peripheral.model.console_stop()
            else:
                strap.bpm = 175
        elif isinstance(item, Hold):
            await asyncio.sleep(hold_s)
            strap.bpm = 105
            await engine.submit(Command(CommandKind.RESUME, Origin.KEYBOARD))


def _header(workout: str, device: str) -> dict[str, Any]:
    return {
        "workout": {"name": workout, "file": f"{workout}.yaml"},
        "device": {"name": device, "simulated": True, "sim_profile": "home"},
        "body_mass_kg": 70.0,
    }


def killed_copy(log: Path, destination: Path, fraction: float = 0.6) -> Path:
    """Copy the first `fraction` of `log` to `destination`, cut mid-line as a SIGKILL leaves it."""
    data = log.read_bytes()
    cut = int(len(data) * fraction)
    while data[cut - 1 : cut] == b"\n":
        cut += 1  # cut inside a line, never just after one
    destination.write_bytes(data[:cut])
    return destination


def _event(kind: str, t: float, origin: str = "engine", **fields: Any) -> dict[str, Any]:
    return {"kind": "event", "type": kind, "t": t, "origin": origin, **fields}


def week_session(path: Path, started: datetime, week: int, how: str = "ok") -> Path:
    """Write a made-up log of the six-week starter's `week` (warm-up, a turn, backward).

    `how`: "ok"; "hr" (a HOLD for heart rate); "stop-back" / "stop-fwd" (a console stop in the
    backward / the forward interval); "pause-back" (the person pauses while backward); "coach"
    (a coach's remote pause while backward); "aborted"; "killed"; "sim" (on the simulator).
    """
    lines: list[dict[str, Any]] = [
        header_line(
            f"Retro 6-Week Starter, Week {week}", started.isoformat(), simulated=how == "sim"
        ),
        {"kind": "sample", "t": 1.0, "state": "running", "distance_m": 0.0},
        _event("StepStarted", 0.0, index=0, direction="forward", label="Warm-up"),
        _event("StepFinished", 300.0, index=0, skipped=False),
        _event("TurnStarted", 300.0, to_direction="backward"),
        _event("TurnEnded", 320.0, direction="backward"),
        _event("StepStarted", 320.0, index=1, direction="backward", label="Backward"),
    ]
    at = {"stop-back": 400.0, "pause-back": 400.0, "coach": 400.0, "hr": 400.0, "stop-fwd": 100.0}
    if how in {"stop-back", "stop-fwd"}:
        lines.append(_event("Hold", at[how], "console", cause="console_stop"))
    elif how == "hr":
        lines.append(_event("Hold", at[how], "device", cause="heart_rate"))
    elif how in {"pause-back", "coach"}:
        lines.append(_event("Paused", at[how], "keyboard" if how == "pause-back" else "remote"))
    if how in at:
        lines.append(_event("Resumed", at[how] + 30, "keyboard"))
    lines.append(_event("StepFinished", 460.0, index=1, skipped=False))
    if how == "killed":
        return write_lines(path, *lines, tail='{"kind": "sam')
    ended = "aborted" if how == "aborted" else "finished"
    lines.append(_event("Finished" if ended == "finished" else "Aborted", 600.0))
    summary = {"kind": "summary", "ended": ended, "reason": "stop" if how == "aborted" else None}
    return write_lines(path, *lines, summary | {"elapsed_s": 600.0})
