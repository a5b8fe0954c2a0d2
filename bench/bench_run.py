"""Figures of `retrowalk run` against the simulator (prints them; never asserts).

1. fast mode: wall time of a 60-minute workout (20 turn-arounds) through the full byte path,
   in process (imports done) and as a cold `retrowalk run` process. Target <= 1 s. Then the
   floor: the loop work that run did (callbacks, timers, passes of the loop, counted in one
   more run) replayed with callbacks that do nothing, and the session's ratio to it.
2. real time: when each step's speed command reaches the treadmill, minus when the plan
   scheduled it (p50/p99/max and the drift over the run). Target p99 <= 5 ms, no drift.
3. real time: emergency-stop command to the Stop write at the treadmill (p50/p99/max), on
   the machine as it is and again under load: `--load N` busy processes (default: one per
   core) spinning beside it. Target p99 <= 2 ms under load.

    .venv/bin/python bench/bench_run.py [--steps 40] [--step-s 2] [--stops 20] [--load N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import io
import itertools
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

from fresh import fresh_env, warm
from retrowalk.cli.main import main as cli_main
from retrowalk.device.scan import connect
from retrowalk.engine import clock
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandKind, Origin
from retrowalk.engine.events import EngineState, StepStarted
from retrowalk.engine.runner import Engine, EngineOptions
from retrowalk.ftms.control_point import decode_request
from retrowalk.ftms.models import ControlOp
from retrowalk.workout import Plan, build_plan, get_profile, load_workout
from retrowalk_sim.bleak_backend import LINK_LATENCY_S, SimulatedClient, SimWorld

if TYPE_CHECKING:
    from collections.abc import Iterator

HOUR_WORKOUT = """\
version: 1
name: Bench Hour
profile: standard
countdown: 5s
turn: {mode: stop, window: 12s, confirm: true}
intervals:
  - forward: 5:00
    speed: 4.5
  - repeat: 10
    intervals:
      - backward: 2:00
        speed: 2.5
      - forward: 3:00
        speed: 4.5
        incline: 2
  - forward: 5:00
    speed: 4.0
"""


def short_steps_plan(folder: Path, steps: int, step_s: float) -> Plan:
    """Return a forward-only plan alternating 3.0 and 3.5 km/h every `step_s` seconds.

    The workout format asks for intervals of 10 s or more; the bench shortens the planned
    steps afterwards to get many scheduling points in little real time.
    """
    lines = ["version: 1", "name: Bench Short Steps", "profile: standard", "countdown: 0s"]
    lines.append("intervals:")
    for i in range(steps):
        lines += ["  - forward: 10s", f"    speed: {3.0 + 0.5 * (i % 2):.1f}"]
    path = folder / "bench-steps.yaml"
    path.write_text("\n".join(lines) + "\n")
    plan = build_plan(load_workout(path))
    short = tuple(
        dataclasses.replace(s, start_s=i * step_s, planned_s=step_s, duration_s=step_s)
        for i, s in enumerate(plan.steps)
    )
    total = steps * step_s
    totals = dataclasses.replace(plan.totals, duration_s=total, duration_with_turns_s=total)
    return dataclasses.replace(plan, steps=short, totals=totals)


def percentiles(values: list[float]) -> str:
    """Return p50/p99/max of `values` (seconds) in milliseconds."""
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"p50 {1000 * statistics.median(ordered):.2f} ms, p99 {1000 * p99:.2f} ms, "
        f"max {1000 * ordered[-1]:.2f} ms (n={len(ordered)})"
    )


# --- 1. fast mode --------------------------------------------------------------------------


def bench_fast(folder: Path) -> None:
    path = folder / "bench-hour.yaml"
    path.write_text(HOUR_WORKOUT)
    plan = build_plan(load_workout(path))
    argv = ["run", str(path), "--sim", "--fast", "--yes"]
    with contextlib.redirect_stdout(io.StringIO()):
        cli_main(argv)  # warm: imports, first-use caches
        started = time.perf_counter()
        code = cli_main(argv)
        in_process = time.perf_counter() - started
    env = fresh_env(str(folder))
    warm(env)
    colds = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 - our own CLI with fixed arguments
            [sys.executable, "-m", "retrowalk", *argv],
            env=env,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        colds.append(time.perf_counter() - started)
    cold = statistics.median(colds)
    minutes = plan.totals.duration_with_turns_s / 60
    print(f"1. fast mode, {minutes:.0f}-minute workout, {plan.totals.turns} turns (exit {code}):")
    print(
        f"   in process {in_process:.2f} s; fresh `retrowalk run` process {cold:.2f} s "
        f"(median of 3, from bytecode)"
    )
    print("   (target <= 1 s)")
    work = count_loop_work(argv)
    floor = min(timed_floor(work) for _ in range(3))
    print(
        f"   floor: {work.callbacks:,} callbacks ({work.timers:,} of them timers) in "
        f"{work.passes:,} passes of the loop, each doing nothing, take {floor:.2f} s;"
    )
    print(f"   the session is {in_process / floor:.1f}x its floor")


@dataclasses.dataclass
class LoopWork:
    """What one run asked of the event loop."""

    callbacks: int = 0  # handles run (task steps, future callbacks, timers)
    timers: int = 0  # timers scheduled (call_at, through call_later and sleep)
    passes: int = 0  # passes of the loop (_run_once)


def count_loop_work(argv: list[str]) -> LoopWork:
    """Run `retrowalk argv` once more, counting the loop's work (patched asyncio, restored)."""
    work = LoopWork()
    handle_run = asyncio.events.Handle._run  # noqa: SLF001 - counting asyncio's own work
    call_at = asyncio.base_events.BaseEventLoop.call_at
    run_once = getattr(asyncio.base_events.BaseEventLoop, "_run_once")  # noqa: B009 - private

    def counted_run(self: asyncio.Handle) -> None:
        work.callbacks += 1
        handle_run(self)

    def counted_call_at(self: asyncio.BaseEventLoop, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - asyncio's signature
        work.timers += 1
        return call_at(self, *args, **kwargs)

    def counted_run_once(self: asyncio.BaseEventLoop) -> None:
        work.passes += 1
        run_once(self)

    patches = {
        (asyncio.events.Handle, "_run"): counted_run,
        (asyncio.base_events.BaseEventLoop, "call_at"): counted_call_at,
        (asyncio.base_events.BaseEventLoop, "_run_once"): counted_run_once,
    }
    originals = {key: getattr(*key) for key in patches}
    try:
        for (owner, name), patch in patches.items():
            setattr(owner, name, patch)
        with contextlib.redirect_stdout(io.StringIO()):
            cli_main(argv)
    finally:
        for (owner, name), original in originals.items():
            setattr(owner, name, original)
    return work


def timed_floor(work: LoopWork) -> float:
    """Return the wall time of `work` on a virtual-time loop with callbacks that do nothing.

    A chain of timers 0.25 s of virtual time apart (each a jump of the clock, as in a session),
    each followed by its share of the other callbacks through call_soon.
    """

    async def replay() -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        timers = max(1, work.timers)
        share, extra = divmod(max(0, work.callbacks - timers), timers)
        fired = 0

        def nothing() -> None:
            pass

        def timer() -> None:
            nonlocal fired
            fired += 1
            for _ in range(share + (fired <= extra)):
                loop.call_soon(nothing)
            if fired < timers:
                loop.call_later(0.25, timer)
            else:
                done.set_result(None)

        loop.call_later(0.25, timer)
        await done

    started = time.perf_counter()
    clock.run(replay, fast=True)
    return time.perf_counter() - started


# --- 2. command time minus scheduled time -----------------------------------------------


async def bench_schedule(folder: Path, steps: int, step_s: float) -> None:
    plan = short_steps_plan(folder, steps, step_s)
    world = SimWorld()
    peripheral = world.add(profile="home")
    bus = Bus()
    channel = bus.subscribe("bench", snapshots="all")
    starts: dict[int, float] = {}
    async with world, connect(None, world=world) as treadmill:
        engine = Engine(
            plan,
            treadmill,
            bus=bus,
            profile=get_profile("standard"),
            options=EngineOptions(auto_confirm=True),
        )

        async def watch() -> None:
            async for item in channel:
                if isinstance(item, StepStarted):
                    starts[item.index] = asyncio.get_running_loop().time()

        async with asyncio.TaskGroup() as tg:
            tg.create_task(watch())
            await engine.run()
    writes = [(t, decode_request(data)) for t, data in peripheral.model.control_point_writes]
    speed_writes = [t for t, r in writes if r.op == ControlOp.SET_TARGET_SPEED]
    # Steps are scheduled on absolute deadlines (a pause or hold shifts them by its length), so
    # step i+1 is due `step_s` after step i's command. The first steps overlap the start ramp:
    # skipped.
    commands = [
        next(t for t in speed_writes if t >= starts[i] - 0.001)
        for i in range(_SETTLED, len(plan.steps))
    ]
    late = [b - a - step_s for a, b in itertools.pairwise(commands)]
    drift = commands[-1] - commands[0] - (len(commands) - 1) * step_s
    print(f"2. real time, {len(late)} steps of {step_s:g} s: speed command at the treadmill")
    print("   minus when it was due (previous command + step duration):")
    print(f"   {percentiles(late)}")
    print(f"   drift over {len(late)} steps: {1000 * drift:+.2f} ms (the sum of the above)")


_SETTLED = 5  # the start ramp (1 km/h up to 3 km/h, 0.5 per second) is over by step 5


# --- 3. emergency stop -------------------------------------------------------------------


@contextlib.contextmanager
def busy(processes: int) -> Iterator[None]:
    """Keep `processes` CPU-bound processes spinning for the duration (load for section 3)."""
    spin = [sys.executable, "-c", "while True: pass"]
    children = [subprocess.Popen(spin) for _ in range(processes)]  # noqa: S603 - fixed argv
    try:
        time.sleep(0.5)  # let them reach the scheduler's steady state
        yield
    finally:
        for child in children:
            child.kill()
            child.wait()


async def bench_emergency(folder: Path, stops: int, load: int) -> None:
    path = folder / "bench-estop.yaml"
    path.write_text(
        "version: 1\nname: Bench E-stop\nprofile: standard\ncountdown: 0s\n"
        "intervals:\n  - forward: 60:00\n    speed: 2.0\n"
    )
    plan = build_plan(load_workout(path))
    rng = random.Random(7)
    runs = [await _one_emergency_stop(plan, rng.uniform(0.2, 0.8)) for _ in range(stops)]
    radio = LINK_LATENCY_S / 2  # the simulator's modelled air time of one write
    where = f"with {load} busy processes beside it" if load else "on the machine as it is"
    print(f"3. real time, emergency stop command -> Stop write, {stops} runs,")
    print(f"   {where} (load average {os.getloadavg()[0]:.2f}):")
    print(f"   handed to the Bluetooth stack: {percentiles([r.handed for r in runs])}")
    print("   (target p99 <= 2 ms under load)")
    print(f"   at the treadmill: {percentiles([r.arrived for r in runs])}; less the simulated")
    print(f"   radio ({1000 * radio:g} ms): {percentiles([r.arrived - radio for r in runs])}")
    print("   (the radio's timer fires late when the loop waits for a busy core)")


@dataclasses.dataclass(frozen=True)
class StopDelay:
    """One emergency stop: seconds from the command to the Stop write."""

    handed: float  # retrowalk gave the bytes to bleak (its own path ends there)
    arrived: float  # the simulated treadmill received them


async def _one_emergency_stop(plan: Plan, walk_s: float) -> StopDelay:
    """Walk at 2 km/h for `walk_s`, press emergency stop; return the delays to the Stop write."""
    loop = asyncio.get_running_loop()
    world = SimWorld()
    model = world.add(profile="home", tweaks={"start_delay_s": 0.5}).model
    stop = bytes([ControlOp.STOP_OR_PAUSE])
    handed: list[float] = []
    delay: list[StopDelay] = []
    write = SimulatedClient.write_gatt_char

    async def timed_write(client: SimulatedClient, char: Any, data: Any, response: bool) -> None:  # noqa: ANN401, FBT001 - bleak's signature
        if bytes(data[:1]) == stop:
            handed.append(loop.time())
        await write(client, char, data, response)

    async with world, connect(None, world=world) as treadmill:
        engine = Engine(
            plan,
            treadmill,
            bus=Bus(),
            profile=get_profile("standard"),
            options=EngineOptions(auto_confirm=True),
        )

        async def press() -> None:
            while not (engine.state == EngineState.RUNNING and model.speed_kmh >= 1.9):  # noqa: ASYNC110 - polls the simulator, which has no event for it
                await asyncio.sleep(0.05)
            await asyncio.sleep(walk_s)
            count = len(model.control_point_writes)
            handed.clear()
            asked = loop.time()
            await engine.submit(Command(CommandKind.EMERGENCY_STOP, Origin.KEYBOARD))
            while not any(data[:1] == stop for _, data in model.control_point_writes[count:]):  # noqa: ASYNC110 - likewise
                await asyncio.sleep(0.0005)
            written = next(t for t, data in model.control_point_writes[count:] if data[:1] == stop)
            delay.append(StopDelay(handed=handed[0] - asked, arrived=written - asked))
            # The emergency stop holds the workout (the person resumes or quits): quit.
            await engine.submit(Command(CommandKind.STOP, Origin.KEYBOARD))

        with mock.patch.object(SimulatedClient, "write_gatt_char", timed_write):
            async with asyncio.TaskGroup() as tg:
                tg.create_task(press())
                await engine.run()
    return delay[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--step-s", type=float, default=2.0)
    parser.add_argument("--stops", type=int, default=20)
    parser.add_argument(
        "--load", type=int, default=os.cpu_count() or 1, help="busy processes for section 3"
    )
    args = parser.parse_args()
    if args.steps < _SETTLED + 2 or args.stops < 1 or args.load < 0:
        parser.error(
            f"--steps must be at least {_SETTLED + 2} (the first {_SETTLED} are the start "
            "ramp), --stops at least 1 and --load at least 0"
        )
    print(
        f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["RETROWALK_DATA_DIR"] = str(folder)
        os.environ["RETROWALK_CONFIG"] = os.devnull
        bench_fast(folder)
        clock.run(lambda: bench_schedule(folder, args.steps, args.step_s))
        clock.run(lambda: bench_emergency(folder, args.stops, 0))
        if args.load:
            with busy(args.load):
                clock.run(lambda: bench_emergency(folder, args.stops, args.load))
    return 0


if __name__ == "__main__":
    sys.exit(main())
