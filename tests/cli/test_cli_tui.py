"""The gym screen driven headless: keys become the right Commands, banners follow the engine."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import pytest

from retrowalk.cli.tui import RetrowalkApp
from retrowalk.cli.tui_screens import QuitScreen, SummaryScreen
from retrowalk.cli.tui_widgets import BigDigits, PlanBar, digit_scale, scale_glyphs
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandKind, CommandResult, Origin
from retrowalk.engine.events import (
    Aborted,
    ChangeAhead,
    CoachMode,
    EngineState,
    Finished,
    Hold,
    HoldCause,
    StepStarted,
    TurnPhase,
    TurnStarted,
)
from screen_plans import B, F, intro_plan, snapshot, toasts

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from textual.pilot import Pilot


PLAN = intro_plan()
K = CommandKind


class Recorder:
    """The engine's submit as the app sees it: records each Command, accepts or refuses it."""

    def __init__(self, refuse: str = "", warn: str = "") -> None:
        self.commands: list[Command] = []
        self.refuse = refuse
        self.warn = warn  # accepted, with something the person must do

    async def __call__(self, command: Command) -> CommandResult:
        """Record and answer."""
        self.commands.append(command)
        if self.warn:
            return CommandResult(command, accepted=True, reason=self.warn)
        return CommandResult(command, accepted=not self.refuse, reason=self.refuse)


@contextlib.asynccontextmanager
async def screen(
    size: tuple[int, int] = (80, 24), refuse: str = ""
) -> AsyncIterator[tuple[RetrowalkApp, Pilot[None], Bus, Recorder]]:
    """Run the app headless against a bus the test fills by hand."""
    bus = Bus()
    recorder = Recorder(refuse)
    app = RetrowalkApp(bus.subscribe("tui"), recorder, plan=PLAN, title="Retro intro")
    async with app.run_test(size=size, notifications=True) as pilot:
        yield app, pilot, bus, recorder
        bus.close()


def text_of(app: RetrowalkApp, selector: str) -> str:
    """Return the visible text of a widget."""
    return str(app.query_one(selector).render())


STATE_SNAPSHOTS: dict[EngineState, dict[str, Any]] = {
    EngineState.WAITING_START: {"state": EngineState.WAITING_START, "step_index": None},
    EngineState.RUNNING: {},
    EngineState.PAUSED: {"state": EngineState.PAUSED},
    EngineState.TURNING: {
        "state": EngineState.TURNING,
        "turn_phase": TurnPhase.WINDOW,
        "turn_remaining_s": 7.0,
    },
    EngineState.HOLD: {
        "state": EngineState.HOLD,
        "hold_cause": HoldCause.CONSOLE_STOP,
        "hold_advice": "Press Enter to resume.",
    },
}

KEYS: list[tuple[str, CommandKind, float | None]] = [
    ("escape", K.EMERGENCY_STOP, None),
    ("s", K.EMERGENCY_STOP, None),
    ("ctrl+c", K.EMERGENCY_STOP, None),
    ("enter", K.CONFIRM, None),
    ("n", K.SKIP, None),
    ("b", K.BACK, None),
    ("up", K.NUDGE_SPEED, 0.1),
    ("down", K.NUDGE_SPEED, -0.1),
    ("right", K.NUDGE_INCLINE, 0.5),
    ("left", K.NUDGE_INCLINE, -0.5),
]


@pytest.mark.parametrize("state", list(STATE_SNAPSHOTS), ids=str)
async def test_every_key_sends_its_command_in_every_state(state: EngineState) -> None:
    """Each footer key sends its Command from the keyboard, whatever the engine's state."""
    async with screen() as (_app, pilot, bus, recorder):
        bus.publish(snapshot(PLAN, **STATE_SNAPSHOTS[state]))
        await pilot.pause()
        for key, kind, value in KEYS:
            await pilot.press(key)
            await pilot.pause()
            assert recorder.commands[-1] == Command(kind, Origin.KEYBOARD, value), key
        await pilot.press("space")
        await pilot.pause()
        space = K.RESUME if state is EngineState.PAUSED else K.PAUSE
        assert recorder.commands[-1] == Command(space, Origin.KEYBOARD)
        assert len(recorder.commands) == len(KEYS) + 1


def footer(app: RetrowalkApp) -> list[str]:
    """Return the footer's entries as the person reads them ("Esc/S STOP")."""
    return [str(key.render()).strip() for key in app.screen.query("FooterKey")]


async def test_footer_lists_every_key() -> None:
    """The footer names every key: stop, pause, confirm, skip, back, nudges, quit."""
    async with screen(size=(100, 24)) as (app, pilot, _bus, _recorder):
        await pilot.pause()
        assert footer(app) == ["Esc/S STOP", "Spc Pause", "Enter OK", "N Skip", "B Back",
                               "↑↓ Speed", "→← Incline", "Q Quit"]  # fmt: skip


@pytest.mark.parametrize("key", ["escape", "s"])
async def test_emergency_stop_works_over_the_quit_question(key: str) -> None:
    """With the quit question open, Esc or S still stops the belt and closes the question."""
    async with screen() as (app, pilot, bus, recorder):
        bus.publish(snapshot(PLAN))
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        await pilot.press(key)
        await pilot.pause()
        assert recorder.commands == [Command(K.EMERGENCY_STOP, Origin.KEYBOARD)]
        assert not isinstance(app.screen, QuitScreen)


async def test_quit_question_blocks_motion_keys() -> None:
    """While asking "quit?", Enter, Space, arrows and N do not reach the engine; N answers no."""
    async with screen() as (app, pilot, bus, recorder):
        bus.publish(snapshot(PLAN, state=EngineState.HOLD))
        await pilot.press("q")
        await pilot.pause()
        for key in ("enter", "space", "up", "right", "b"):
            await pilot.press(key)
        await pilot.press("n")
        await pilot.pause()
        assert recorder.commands == []
        assert not isinstance(app.screen, QuitScreen)


async def test_quit_confirmed_stops_and_exits_when_the_engine_ends() -> None:
    """Q then Y sends STOP; the app exits as soon as the engine reports the workout ended."""
    async with screen() as (app, pilot, bus, recorder):
        bus.publish(snapshot(PLAN))
        await pilot.press("q", "y")
        await pilot.pause()
        assert recorder.commands == [Command(K.STOP, Origin.KEYBOARD)]
        assert app.is_running
        bus.publish(Aborted(t=50.0, reason="stopped by keyboard", elapsed_s=50.0,
                            distance_m=60.0, energy_kcal=3.0, belt_stopped=True))  # fmt: skip
        bus.close()
        await pilot.pause()
        assert not app.is_running


async def test_refused_stop_keeps_the_app_open_and_says_why() -> None:
    """If the engine refuses STOP, the app stays and shows the engine's reason."""
    async with screen(refuse="not now") as (app, pilot, bus, _recorder):
        bus.publish(snapshot(PLAN))
        await pilot.press("q", "y")
        await pilot.pause()
        assert await toasts(pilot) == ["not now"]
        assert app.is_running
        # The quit was withdrawn: at the end the summary shows instead of the app exiting.
        bus.publish(Finished(t=60.0, elapsed_s=60.0, distance_m=60.0, energy_kcal=3.0,
                             steps_completed=1, steps_skipped=0, belt_stopped=True))  # fmt: skip
        await pilot.pause()
        assert app.is_running
        assert isinstance(app.screen, SummaryScreen)


async def test_summary_after_finish_then_any_key_quits() -> None:
    """When the workout finishes the summary shows the totals; any key quits."""
    async with screen() as (app, pilot, bus, recorder):
        bus.publish(Finished(t=900.0, elapsed_s=1452.0, distance_m=1234.0, energy_kcal=98.0,
                             steps_completed=8, steps_skipped=0, belt_stopped=True))  # fmt: skip
        bus.close()
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        shown = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "WORKOUT COMPLETE" in shown
        assert "24:12" in shown
        assert "1.23 km" in shown
        assert "Energy est." in shown
        assert "WORKOUT ENDED" in text_of(app, "#direction")  # no stale direction behind it
        await pilot.press("x")
        await pilot.pause()
        assert not app.is_running
        assert recorder.commands == []


async def test_hold_banner_shows_cause_and_advice() -> None:
    """Entering HOLD shows a HOLD banner naming the cause and what to do."""
    async with screen() as (app, pilot, bus, _recorder):
        bus.publish(snapshot(PLAN))
        await pilot.pause()
        assert app.query_one("#banner").has_class("hidden")
        bus.publish(Hold(t=1.0, cause=HoldCause.SAFETY_KEY, detail="status 0x03",
                         advice="Put the safety key back, then press Enter."))  # fmt: skip
        await pilot.pause()
        assert not app.query_one("#banner").has_class("hidden")
        assert app.query_one("#banner").has_class("-hold")
        assert text_of(app, "#banner-title") == "HOLD — safety key pulled"
        assert "Put the safety key back, then press Enter." in text_of(app, "#banner-lines")


async def test_turn_banners_count_down_before_and_during_the_turn() -> None:
    """A turn is announced with a countdown, then shown with the window's seconds left."""
    async with screen() as (app, pilot, bus, _recorder):
        bus.publish(snapshot(PLAN, step_index=2))
        bus.publish(ChangeAhead(t=snapshot(PLAN, step_index=2).t, seconds=4, next_index=3,
                                next_direction=B, next_speed_kmh=2.0, next_incline_pct=0.0,
                                turn=True))  # fmt: skip
        await pilot.pause()
        assert text_of(app, "#banner-title") == "SLOWING DOWN TO TURN IN"
        assert app.query_one("#banner-count", BigDigits).value == "4"
        assert "The belt will stop, then turn to face the REAR" in text_of(app, "#banner-lines")
        bus.publish(TurnStarted(t=1.0, before_step=3, from_direction=F, to_direction=B,
                                window_s=12.0, confirm=True))  # fmt: skip
        bus.publish(snapshot(PLAN, step_index=2, state=EngineState.TURNING,
                             turn_phase=TurnPhase.WINDOW, turn_remaining_s=9.4))  # fmt: skip
        await pilot.pause()
        assert text_of(app, "#banner-title") == "TURN AROUND"
        assert app.query_one("#banner-count", BigDigits).value == "9"
        assert "Face the REAR of the treadmill" in text_of(app, "#banner-lines")
        assert "TURNING → BACKWARD" in text_of(app, "#direction")
        assert app.query_one("#direction").has_class("-backward")


async def test_paused_ready_and_coach_banners() -> None:
    """PAUSED and READY have their banners; coach mode says what to set by hand."""
    async with screen() as (app, pilot, bus, _recorder):
        bus.publish(snapshot(PLAN, state=EngineState.WAITING_START, step_index=None))
        await pilot.pause()
        assert text_of(app, "#banner-title") == "READY"
        assert "Guidance, not medical advice" in text_of(app, "#advice")
        bus.publish(StepStarted(t=0.0, index=0, count=8, direction=F, label="Warm-up", cue=None,
                                duration_s=300.0, distance_m=None, speed_kmh=4.0,
                                incline_pct=0.0))  # fmt: skip
        bus.publish(snapshot(PLAN, state=EngineState.PAUSED))
        await pilot.pause()
        assert text_of(app, "#banner-title") == "PAUSED"
        assert app.query_one("#advice").has_class("hidden")  # said once, before the start
        bus.publish(CoachMode(t=2.0, reason="this treadmill has no control point",
                              speed_kmh=2.0, incline_pct=0.0))  # fmt: skip
        bus.publish(snapshot(PLAN, coach_mode=True))
        await pilot.pause()
        coach = text_of(app, "#coach")
        assert "COACH MODE" in coach
        assert "speed 2.0 km/h, incline 0.0 %" in coach
        assert "no control point" in coach


async def test_backward_interval_shows_targets_actuals_and_next() -> None:
    """Mid backward interval: direction, targets, actuals, time left, next step and totals."""
    async with screen() as (app, pilot, bus, _recorder):
        bus.publish(snapshot(PLAN, step_index=3))
        await pilot.pause()
        assert "BACKWARD" in text_of(app, "#direction")
        assert "▼" in text_of(app, "#direction")
        assert app.query_one("#speed BigDigits", BigDigits).value == "2.0"
        assert app.query_one("#speed").border_subtitle == "actual 1.9"
        assert app.query_one("#left BigDigits", BigDigits).value == "1:15"
        assert "FORWARD" in text_of(app, "#next")
        assert "4.0 km/h" in text_of(app, "#next")
        stats = text_of(app, "#stats")
        assert "0.41 km" in stats
        assert "Energy est." in stats
        assert "112 bpm" in stats


def test_digits_scale_with_the_terminal() -> None:
    """Digits stay 3 rows at 80x24 and grow on a full screen; strokes stay joined."""
    assert digit_scale(80, 24) == 1
    assert digit_scale(160, 48) == 3
    assert scale_glyphs(["╺━┓", " ━┫", "╺━┛"], 2) == ["╺━━━┓", "    ┃", "  ━━┫", "    ┃", "╺━━━┛"]


async def test_level_plan_shows_planned_incline_and_turn_position() -> None:
    """An incline the engine never wrote shows the plan's; a turn marks its place on the bar."""
    async with screen() as (app, pilot, bus, _recorder):
        bus.publish(snapshot(PLAN, step_index=1, target_incline_pct=None))
        await pilot.pause()
        assert app.query_one("#incline BigDigits", BigDigits).value == "0.0"
        bus.publish(TurnStarted(t=1.0, before_step=2, from_direction=B, to_direction=F,
                                window_s=12.0, confirm=True))  # fmt: skip
        bus.publish(snapshot(PLAN, step_index=None, state=EngineState.TURNING,
                             turn_phase=TurnPhase.WINDOW, turn_remaining_s=4.0))  # fmt: skip
        await pilot.pause()
        turn_start = PLAN.transition_before(2).start_s  # type: ignore[union-attr]
        assert app.query_one("#plan", PlanBar).position_s == turn_start + 8.0


async def test_escape_after_the_end_still_stops_the_belt_and_quits() -> None:
    """After the end (belt left running), Esc still sends an emergency stop, then quits."""
    async with screen() as (app, pilot, bus, recorder):
        bus.publish(Finished(t=900.0, elapsed_s=900.0, distance_m=800.0, energy_kcal=50.0,
                             steps_completed=8, steps_skipped=0, belt_stopped=False))  # fmt: skip
        await pilot.pause()
        shown = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "STILL RUNNING: press Esc" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert recorder.commands == [Command(K.EMERGENCY_STOP, Origin.KEYBOARD)]
        assert not app.is_running


async def test_escape_after_the_end_stays_when_the_belt_could_not_be_stopped() -> None:
    """Esc after the end, the belt still seen moving: the screen stays up and says so."""
    async with screen() as (app, pilot, bus, recorder):
        recorder.warn = "the belt is still moving: stop it at the console or pull the safety key"
        bus.publish(Finished(t=900.0, elapsed_s=900.0, distance_m=800.0, energy_kcal=50.0,
                             steps_completed=8, steps_skipped=0, belt_stopped=False))  # fmt: skip
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert recorder.commands == [Command(K.EMERGENCY_STOP, Origin.KEYBOARD)]
        assert app.is_running
        assert await toasts(pilot) == [recorder.warn]


async def test_ctrl_q_asks_instead_of_quitting_at_once() -> None:
    """Textual's own Ctrl+Q quit is replaced by the same question as Q (the belt must stop)."""
    async with screen() as (app, pilot, bus, recorder):
        bus.publish(snapshot(PLAN))
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        assert app.is_running
        assert recorder.commands == []
