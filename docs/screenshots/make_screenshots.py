# ruff: noqa: INP001 - a script beside the images it makes, not a package
"""Regenerate the README screenshots: the real engine on the simulator, the app headless.

Run from the repository root: `.venv/bin/python docs/screenshots/make_screenshots.py`.
Writes SVG (Textual's own export) for each moment at 100x30, and a PNG when rsvg-convert exists.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from bleak import BleakClient

from retrowalk.cli.tui import RetrowalkApp
from retrowalk.device.treadmill import FtmsTreadmill
from retrowalk.engine.bus import Bus
from retrowalk.engine.clock import VirtualTimeEventLoop
from retrowalk.engine.events import EngineState, TurnPhase
from retrowalk.engine.runner import Engine, EngineOptions
from retrowalk.workout import load_plan
from retrowalk.workout.plan import Direction
from retrowalk.workout.safety import get_profile
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
SIZE = (100, 30)


async def until(check: Callable[[], bool]) -> None:
    """Wait in virtual time until `check()` holds."""
    async with asyncio.timeout(3600):
        while not check():  # noqa: ASYNC110 - polling the app, which the script does not own
            await asyncio.sleep(0.1)


def to_png(svg: Path) -> None:
    """Convert with rsvg-convert (non-breaking spaces made plain so it keeps the columns)."""
    exe = shutil.which("rsvg-convert")
    if exe is None:
        return
    text = svg.read_text(encoding="utf-8").replace("&#160;", " ")
    text = re.sub(r"<text ", '<text xml:space="preserve" ', text)
    plain = svg.with_suffix(".plain.svg")
    plain.write_text(text, encoding="utf-8")
    try:
        subprocess.run([exe, "-w", "1400", str(plain), "-o", str(svg.with_suffix(".png"))],  # noqa: S603 - fixed tool
                       check=True)  # fmt: skip
    finally:
        plain.unlink()


async def main() -> None:
    """Run retro-intro, saving the screen mid turn-around, mid backward interval and in HOLD."""
    plan = load_plan(ROOT / "workouts" / "retro-intro.yaml", profile="beginner")
    world = SimWorld()
    peripheral = world.add(profile="home")
    model = peripheral.model
    async with world:
        client = BleakClient(peripheral.device, backend=SimulatedClient)
        async with FtmsTreadmill(client) as treadmill:
            bus = Bus()
            engine = Engine(plan, treadmill, bus=bus, profile=get_profile("beginner"),
                            options=EngineOptions())  # fmt: skip
            app = RetrowalkApp(bus.subscribe("tui"), engine.submit, plan=plan, title=plan.name)
            async with app.run_test(size=SIZE) as pilot, asyncio.TaskGroup() as tg:
                run = tg.create_task(engine.run())

                def snap_is(check: Callable[..., bool]) -> Callable[[], bool]:
                    return lambda: app.view.snapshot is not None and check(app.view.snapshot)

                await until(lambda: app.view.state is EngineState.WAITING_START)
                await pilot.press("enter")
                await until(snap_is(lambda s: s.turn_phase is TurnPhase.WINDOW))
                await until(snap_is(lambda s: (s.turn_remaining_s or 99) < 11))
                await pilot.pause()
                app.save_screenshot("turn-around.svg", str(OUT))
                await until(snap_is(lambda s: s.turn_phase is TurnPhase.AWAITING_CONFIRM))
                await pilot.press("enter")

                def mid_backward() -> bool:
                    snap = app.view.snapshot
                    if snap is None or snap.direction is not Direction.BACKWARD:
                        return False
                    return snap.state is EngineState.RUNNING and snap.step_elapsed_s > 50

                await until(mid_backward)
                await pilot.pause()
                app.save_screenshot("backward.svg", str(OUT))
                model.pull_safety_key()
                await until(lambda: app.view.state is EngineState.HOLD)
                await asyncio.sleep(2)
                await pilot.pause()
                app.save_screenshot("hold.svg", str(OUT))
                await pilot.press("escape")
                await run
                await pilot.press("x")
    for name in ("turn-around", "backward", "hold"):
        to_png(OUT / f"{name}.svg")
        print(OUT / f"{name}.svg")


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=VirtualTimeEventLoop) as runner:
        runner.run(main())
