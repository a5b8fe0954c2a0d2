"""The screen and the voice against the real Engine on the simulated treadmill, in virtual time."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from pathlib import Path
from typing import TYPE_CHECKING

from bleak import BleakClient
from textual.widgets import Sparkline, Static

from retrowalk.cli.tui import RetrowalkApp
from retrowalk.cli.tui_screens import SummaryScreen
from retrowalk.device.treadmill import FtmsTreadmill
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandKind, Origin
from retrowalk.engine.events import (
    ChangeAhead,
    EngineState,
    Event,
    Finished,
    TurnPhase,
    TurnStarted,
)
from retrowalk.engine.runner import Engine, EngineOptions
from retrowalk.sinks.cues import run_cues
from retrowalk.sinks.speaker import Speaker
from retrowalk.workout import load_plan
from retrowalk.workout.safety import get_profile
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from retrowalk.engine.bus import Channel
    from retrowalk.workout.plan import Plan
    from retrowalk_sim.model import TreadmillModel

INTRO = Path(__file__).resolve().parents[2] / "workouts" / "retro-intro.yaml"


class ClockedVoice:
    """A speech backend paced like espeak-ng (0.55 s + 60 ms a character) that logs start times."""

    name = "clocked"

    def __init__(self) -> None:
        self.log: list[tuple[float, str]] = []

    async def speak(self, text: str, *, priority: int) -> None:
        """Log the start, then take as long as espeak-ng would."""
        self.log.append((asyncio.get_running_loop().time(), text))
        await asyncio.sleep(0.55 + 0.06 * len(text))


@contextlib.asynccontextmanager
async def live(
    plan: Plan, options: EngineOptions
) -> AsyncIterator[tuple[Engine, Bus, TreadmillModel]]:
    """Yield an engine (not yet running) on a simulated home treadmill."""
    world = SimWorld()
    peripheral = world.add(profile="home")
    async with world:
        client = BleakClient(peripheral.device, backend=SimulatedClient)
        async with FtmsTreadmill(client) as treadmill:
            bus = Bus()
            engine = Engine(plan, treadmill, bus=bus, profile=get_profile("beginner"),
                            options=options)  # fmt: skip
            yield engine, bus, peripheral.model


async def until(predicate: Callable[[], bool], *, within_s: float = 1200.0) -> None:
    """Wait in virtual time until `predicate()` holds."""
    async with asyncio.timeout(within_s):
        while not predicate():  # noqa: ASYNC110 - polling app state the test does not own
            await asyncio.sleep(0.1)


def awaiting_confirm(app: RetrowalkApp) -> bool:
    """Return whether the screen shows a turn waiting for the person's Enter."""
    snap = app.view.snapshot
    return snap is not None and snap.turn_phase is TurnPhase.AWAITING_CONFIRM


async def test_start_turn_and_emergency_stop_from_the_keyboard() -> None:
    """Enter starts the belt, the turn counts down, Enter ends the turn, Esc stops and holds."""
    plan = load_plan(INTRO, profile="beginner")
    async with live(plan, EngineOptions()) as (engine, bus, model):
        app = RetrowalkApp(bus.subscribe("tui"), engine.submit, plan=plan,
                           title=plan.name)  # fmt: skip
        async with app.run_test(size=(100, 30)) as pilot, asyncio.TaskGroup() as tg:
            run = tg.create_task(engine.run())
            await until(lambda: app.view.state is EngineState.WAITING_START)
            assert str(app.query_one("#banner-title").render()) == "READY"
            assert not model.belt_running  # the belt never starts by itself
            await pilot.press("enter")
            await until(lambda: model.belt_running and app.view.state is EngineState.RUNNING)
            await until(lambda: app.view.countdown is not None)
            assert str(app.query_one("#banner-title").render()) == "SLOWING DOWN TO TURN IN"
            await until(lambda: awaiting_confirm(app))
            assert not model.belt_running
            assert str(app.query_one("#banner-title").render()) == "TURN AROUND"
            assert "Face the REAR" in str(app.query_one("#banner-lines").render())
            await pilot.press("enter")
            await until(lambda: app.view.state is EngineState.RUNNING and model.speed_kmh > 1.5)
            assert "BACKWARD" in str(app.query_one("#direction").render())
            await pilot.press("escape")
            await until(lambda: not model.belt_running, within_s=10.0)
            await until(lambda: app.view.state is EngineState.HOLD)  # stopped first, then held
            assert not model.belt_running
            await engine.submit(Command(CommandKind.STOP, Origin.KEYBOARD))  # Q, confirmed
            await until(lambda: isinstance(app.screen, SummaryScreen), within_s=10.0)
            await run
            await pilot.press("x")
            await pilot.pause()
        assert not app.is_running


async def test_full_intro_cue_timeline_against_the_engine() -> None:
    """Every change of retro-intro is counted down on the second before it, then instructed."""
    plan = load_plan(INTRO, profile="beginner")
    voice = ClockedVoice()
    received: list[tuple[float, Event]] = []  # (loop time, event) as the engine published

    async def collect(channel: Channel) -> None:
        loop = asyncio.get_running_loop()
        received.extend([(loop.time(), item) async for item in channel if isinstance(item, Event)])

    async with live(plan, EngineOptions(auto_confirm=True)) as (engine, bus, _model):
        cue_channel = bus.subscribe("cues")
        log_channel = bus.subscribe("log", snapshots="all")
        async with Speaker(voice) as speaker, asyncio.TaskGroup() as tg:
            tg.create_task(run_cues(cue_channel, speaker, plan=plan))
            tg.create_task(collect(log_channel))
            result = await engine.run()
            await asyncio.sleep(10)  # let the last cue be said
    assert isinstance(result, Finished)
    events = [event for _, event in received]
    turns = [t for t, event in received if isinstance(event, TurnStarted)]
    aheads = [e for e in events if isinstance(e, ChangeAhead)]
    assert len(turns) == 6
    for turn_at in turns:
        said = [
            (round(turn_at - t, 2), text)
            for t, text in voice.log
            if turn_at - 6 < t <= turn_at + 30
        ]
        countdown = [(lead, text) for lead, text in said if lead > 0]
        numbers = ["Slowing to turn in 5.", "4", "3", "2", "1"]
        assert [text for _, text in countdown] == numbers, said
        for n, (lead, _text) in zip(range(5, 0, -1), countdown, strict=True):
            assert n - 1 < lead <= n + 0.05, said  # within its own second
        after = [text for lead, text in said if lead <= 0]
        assert after[:2] == ["Slowing down. Hold the rails.", "Belt stopping. Hold the rails."]
        assert any(text.startswith("Belt stopped. Turn around now, to face the") for text in after)
        assert any(text.startswith("Belt starting slowly.") for text in after)
    texts = [text for _, text in voice.log]
    assert (
        texts.count(
            "Backward, 2.0 kilometres per hour. Walk backward, small steps, hands on the rails."
        )
        == 3
    )
    # The engine saw the belt at rest after the final Stop: that is said first, then the end.
    assert texts[-2:] == ["Belt stopped. You can step off.", "Workout complete. Well done."]
    assert speaker.dropped_stale <= len(aheads) // 5  # at most one stale number per countdown


async def test_the_summary_pictures_the_speed_with_its_backward_parts() -> None:
    """After retro-intro the summary shows its speed line and its 3 backward parts, in order."""
    plan = load_plan(INTRO, profile="beginner")
    async with live(plan, EngineOptions(auto_confirm=True)) as (engine, bus, _model):
        app = RetrowalkApp(bus.subscribe("tui"), engine.submit, plan=plan, title=plan.name)
        async with app.run_test(size=(80, 24)) as pilot:
            assert isinstance(await engine.run(), Finished)
            await until(lambda: isinstance(app.screen, SummaryScreen), within_s=10.0)
            await pilot.pause()
            screen = app.screen
            speed = str(screen.query_one("#summary-speed-title", Static).render())
            directions = str(screen.query_one("#summary-directions", Static).render())
            line = screen.query_one("#summary-speed", Sparkline)
    assert speed == "Speed        up to 4.0 km/h"  # retro-intro's fastest: forward 4.0
    assert len(directions) == len(line.data or []) == 50
    # forward, then three backward parts between forward ones, each after a turn
    parts = [glyph for glyph, _ in itertools.groupby(directions) if glyph != "┃"]
    assert parts == ["█", "▒", "█", "▒", "█", "▒", "█"]
    backward = [s for s, g in zip(line.data or [], directions, strict=True) if g == "▒"]
    forward = [s for s, g in zip(line.data or [], directions, strict=True) if g == "█"]
    assert max(backward) < 2.5 < max(forward)  # the backward columns are the slow ones
