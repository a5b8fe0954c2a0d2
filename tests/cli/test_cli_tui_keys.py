"""Keys of the gym screen: a remote confirms, pauses and stops; a countdown waits for any key."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from retrowalk.cli.tui import RetrowalkApp
from retrowalk.cli.tui_keys import DEFAULT_REMOTE, RemoteKeys, keymap, parse_remote_keys
from retrowalk.cli.tui_view import ScreenOptions
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandKind, CommandResult, Origin
from retrowalk.engine.events import EngineState, StartAhead, TurnPhase, TurnStarted
from retrowalk.errors import ConfigError
from retrowalk.units import KMH_PER_MPH
from screen_plans import B, F, intro_plan, snapshot

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from textual.pilot import Pilot

PLAN = intro_plan()
K = CommandKind
CONFIG = Path("config.toml")


class Recorder:
    """The engine's submit as the app sees it: records each Command and accepts it."""

    def __init__(self) -> None:
        self.commands: list[Command] = []

    async def __call__(self, command: Command) -> CommandResult:
        """Record and accept."""
        self.commands.append(command)
        return CommandResult(command, accepted=True)

    def kinds(self) -> list[tuple[CommandKind, float | None]]:
        """Return what was sent, as (kind, value)."""
        return [(c.kind, c.value) for c in self.commands]


@contextlib.asynccontextmanager
async def screen(options: ScreenOptions) -> AsyncIterator[tuple[Pilot[None], Bus, Recorder]]:
    """Run the app headless with `options` against a bus the test fills by hand."""
    bus = Bus()
    recorder = Recorder()
    app = RetrowalkApp(bus.subscribe("tui"), recorder, plan=PLAN, title="Retro intro",
                       options=options)  # fmt: skip
    async with app.run_test(size=(100, 30)) as pilot:
        yield pilot, bus, recorder
        bus.close()


async def press(pilot: Pilot[None], *keys: str) -> None:
    """Press keys one after the other, letting the app handle each."""
    for key in keys:
        await pilot.press(key)
        await pilot.pause()


async def test_a_page_turner_confirms_a_turn_pauses_and_stops() -> None:
    """With --remote-keys: PageDown confirms a turn, PageUp pauses, the blank key (B) stops."""
    async with screen(ScreenOptions(remote_keys=DEFAULT_REMOTE)) as (pilot, bus, recorder):
        bus.publish(TurnStarted(t=1.0, before_step=3, from_direction=F, to_direction=B,
                                window_s=12.0, confirm=True))  # fmt: skip
        bus.publish(snapshot(PLAN, step_index=2, state=EngineState.TURNING,
                             turn_phase=TurnPhase.AWAITING_CONFIRM))  # fmt: skip
        await pilot.pause()
        await press(pilot, "pagedown", "pageup", "b", "full_stop", "right", "left")
        assert recorder.kinds() == [(K.CONFIRM, None), (K.PAUSE, None), (K.EMERGENCY_STOP, None),
                                    (K.EMERGENCY_STOP, None), (K.CONFIRM, None),
                                    (K.PAUSE, None)]  # fmt: skip
        assert {c.origin for c in recorder.commands} == {Origin.KEYBOARD}


async def test_keys_a_remote_takes_move_to_spare_keys() -> None:
    """Under --remote-keys the nudges move to + - ] [ and back to <; Enter and Esc stay."""
    async with screen(ScreenOptions(remote_keys=DEFAULT_REMOTE)) as (pilot, bus, recorder):
        bus.publish(snapshot(PLAN))
        await pilot.pause()
        await press(pilot, "plus", "minus", "right_square_bracket", "less_than_sign", "enter",
                    "escape")  # fmt: skip
        assert recorder.kinds() == [(K.NUDGE_SPEED, 0.1), (K.NUDGE_SPEED, -0.1),
                                    (K.NUDGE_INCLINE, 0.5), (K.BACK, None), (K.CONFIRM, None),
                                    (K.EMERGENCY_STOP, None)]  # fmt: skip


async def test_a_learned_remote_keeps_the_laptop_keys_it_does_not_use() -> None:
    """A remote learned as F7/F8 changes nothing else: arrows still nudge, B still goes back."""
    learned = RemoteKeys(confirm=("f8",), pause=("f7",), stop=("f9",))
    async with screen(ScreenOptions(remote_keys=learned)) as (pilot, bus, recorder):
        bus.publish(snapshot(PLAN))
        await pilot.pause()
        await press(pilot, "f8", "f7", "up", "b", "f9")
        assert recorder.kinds() == [(K.CONFIRM, None), (K.PAUSE, None), (K.NUDGE_SPEED, 0.1),
                                    (K.BACK, None), (K.EMERGENCY_STOP, None)]  # fmt: skip


async def test_every_key_makes_a_start_countdown_wait_and_esc_still_stops() -> None:
    """While the belt counts down to start by itself, any key pauses it; Esc stops the belt."""
    async with screen(ScreenOptions()) as (pilot, bus, recorder):
        bus.publish(snapshot(PLAN, state=EngineState.TURNING, t=50.0,
                             turn_phase=TurnPhase.START_COUNTDOWN))  # fmt: skip
        bus.publish(StartAhead(t=50.0, seconds=5))
        await pilot.pause()
        await press(pilot, "enter", "n", "up", "x", "space", "escape")
        assert recorder.kinds() == [(K.PAUSE, None)] * 5 + [(K.EMERGENCY_STOP, None)]


async def test_imperial_nudges_move_a_tenth_of_a_mile_an_hour() -> None:
    """In imperial units each speed press asks for 0.1 mph, sent in km/h."""
    async with screen(ScreenOptions(units="imperial")) as (pilot, bus, recorder):
        bus.publish(snapshot(PLAN))
        await pilot.pause()
        await press(pilot, "up", "down")
        step = 0.1 * KMH_PER_MPH
        assert recorder.kinds() == [(K.NUDGE_SPEED, step), (K.NUDGE_SPEED, -step)]


def test_keymap_without_a_remote_is_the_laptop_layout() -> None:
    """Without --remote-keys every key keeps its meaning (Esc/S/Ctrl+C stop, Enter confirms)."""
    keys = keymap(None)
    assert keys["emergency"] == "escape,s,ctrl+c"
    assert keys["confirm"] == "enter"
    assert keys["faster"] == "up"


def test_remote_keys_from_config_are_checked() -> None:
    """config.toml's [remote_keys]: known actions, key names, no key twice, no Q or Esc to pause."""
    keys = parse_remote_keys({"confirm": "pagedown", "pause": ["pageup"], "stop": ["b"]}, CONFIG)
    assert keys == RemoteKeys(("pagedown",), ("pageup",), ("b",), source="config.toml")
    bad = [
        ({"go": "pagedown"}, "unknown action 'go'; allowed: confirm, pause, stop"),
        ({"confirm": 3}, "remote_keys.confirm must be a key name"),
        ({"confirm": "Page Down"}, "'Page Down' is not a key name"),
        ({"confirm": "b", "stop": "b"}, "'b' is given to both confirm and stop"),
        ({"pause": "q"}, "'q' is kept for stopping or quitting"),
        ({}, "no keys; run `retrowalk keys learn`"),
    ]
    for table, message in bad:
        with pytest.raises(ConfigError, match=r"config\.toml: remote_keys") as caught:
            parse_remote_keys(table, CONFIG)
        assert message in str(caught.value)
