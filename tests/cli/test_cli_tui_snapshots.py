"""The gym screen as reviewed: each moment at 80x24 and 160x48, in imperial, and without colour."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from retrowalk.cli.tui import RetrowalkApp
from retrowalk.cli.tui_keys import DEFAULT_REMOTE
from retrowalk.cli.tui_view import ScreenOptions
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandResult
from retrowalk.engine.events import (
    Aborted,
    BeltAtRest,
    CoachMode,
    EndAhead,
    EngineState,
    Finished,
    Hold,
    HoldCause,
    Notice,
    RestReason,
    StartAhead,
    StepStarted,
    TurnPhase,
    TurnStarted,
)
from screen_plans import B, F, intro_plan, snapshot

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from retrowalk.engine.bus import Item

PLAN = intro_plan()
END = PLAN.totals.duration_with_turns_s
BACKWARD_2 = StepStarted(t=PLAN.steps[3].start_s, index=3, count=8, direction=B, label="Backward 2",
                         cue=PLAN.steps[3].cue, duration_s=120.0, distance_m=None,
                         speed_kmh=2.0, incline_pct=0.0)  # fmt: skip


async def accept(command: Command) -> CommandResult:
    """Accept every command (no key is pressed in a snapshot)."""
    return CommandResult(command, accepted=True)


SCREENS: dict[str, list[Item]] = {
    "ready": [
        Notice(t=0.0, message="fitted to the machine: Backward 1: 2.0 -> 2.5 km/h"),
        Notice(t=0.0, message="fitted to the machine: Backward 2: 2.0 -> 2.5 km/h"),
        Notice(t=0.0, message="fitted to the machine: Backward 3: 2.0 -> 2.5 km/h"),
        snapshot(PLAN, state=EngineState.WAITING_START, step_index=None, direction=None,
                 target_speed_kmh=None, actual_speed_kmh=0.0, step_remaining_s=None,
                 step_elapsed_s=0.0, workout_elapsed_s=0.0, distance_m=0.0,
                 energy_kcal=0.0, heart_rate_bpm=None, t=0.5),
    ],
    "backward": [BACKWARD_2, snapshot(PLAN, step_index=3)],
    "turn": [
        TurnStarted(t=1.0, before_step=4, from_direction=B, to_direction=F, window_s=12.0,
                    confirm=True),
        snapshot(PLAN, step_index=3, state=EngineState.TURNING, turn_phase=TurnPhase.WINDOW,
                 turn_remaining_s=8.0, target_speed_kmh=0.0, actual_speed_kmh=0.0),
    ],
    "start-countdown": [
        TurnStarted(t=1.0, before_step=4, from_direction=B, to_direction=F, window_s=12.0,
                    confirm=False),
        snapshot(PLAN, step_index=3, state=EngineState.TURNING, t=840.0,
                 turn_phase=TurnPhase.START_COUNTDOWN, target_speed_kmh=0.0, actual_speed_kmh=0.0),
        StartAhead(t=840.0, seconds=4),
    ],
    "hold": [
        Hold(t=700.0, cause=HoldCause.SAFETY_KEY, detail="Fitness Machine Status 0x03",
             advice="Put the safety key back, then press Enter to resume."),
        BeltAtRest(t=702.0, why=RestReason.HOLD),
        snapshot(PLAN, step_index=3, state=EngineState.HOLD, hold_cause=HoldCause.SAFETY_KEY,
                 hold_advice="Put the safety key back, then press Enter to resume.",
                 target_speed_kmh=0.0, actual_speed_kmh=0.0, t=702.5),
    ],
    "belt-not-stopped": [
        snapshot(PLAN, step_index=3, t=700.0, actual_speed_kmh=2.1),
        Hold(t=715.0, cause=HoldCause.BELT_NOT_STOPPED, detail="still at 2.1 km/h after 15 s",
             advice="Do not turn. Hold the rails; press Esc again or stop at the console."),
        Notice(t=716.0, message="the belt is still moving: hold the rails", safety=True),
    ],
    "coach": [
        CoachMode(t=2.0, speed_kmh=2.0, incline_pct=0.0,
                  reason="the treadmill does not follow speed commands: set the speed by hand"),
        snapshot(PLAN, step_index=3, coach_mode=True),
    ],
    "end-ahead": [snapshot(PLAN, step_index=7, t=END - 5), EndAhead(t=END - 5, seconds=5)],
    "finished": [
        snapshot(PLAN, step_index=7, t=END - 1, step_elapsed_s=179.0, step_remaining_s=1.0,
                 actual_speed_kmh=3.4),
        BeltAtRest(t=END + 2, why=RestReason.END),
        Finished(t=END + 2, elapsed_s=END + 2, distance_m=1234.0, energy_kcal=98.0,
                 steps_completed=8, steps_skipped=0, belt_stopped=True),
    ],
    "stopped": [
        snapshot(PLAN, step_index=3, actual_speed_kmh=4.2, t=745.0),
        Aborted(t=746.0, reason="emergency stop", elapsed_s=746.0, distance_m=800.0,
                energy_kcal=50.0, belt_stopped=True),
    ],
}  # fmt: skip

OPTIONS: dict[str, ScreenOptions] = {
    "ready": ScreenOptions(remote_keys=DEFAULT_REMOTE, voice="espeak-ng on the sound server"),
    "start-countdown": ScreenOptions(remote_keys=DEFAULT_REMOTE),
}


def shoot(snap_compare, name: str, size: tuple[int, int], options: ScreenOptions | None) -> bool:  # type: ignore[no-untyped-def]
    """Fill a fresh app with the screen's items and compare it with the reviewed picture."""
    bus = Bus()
    app = RetrowalkApp(bus.subscribe("tui"), accept, plan=PLAN, title="Retro intro",
                       options=options)  # fmt: skip

    async def fill(pilot: Pilot[None]) -> None:
        for item in SCREENS[name]:
            bus.publish(item)
        await pilot.pause()

    return bool(snap_compare(app, terminal_size=size, run_before=fill))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(SCREENS))
def test_screen_snapshots(snap_compare, name: str, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """Each moment of a workout looks as reviewed, at 80x24 and at 160x48."""
    assert shoot(snap_compare, name, size, OPTIONS.get(name))


@pytest.mark.parametrize("name", ["backward", "coach"])
def test_imperial_screen(snap_compare, name: str) -> None:  # type: ignore[no-untyped-def]
    """In imperial units targets, actuals, the next step and distance read in mph and miles."""
    assert shoot(snap_compare, name, (80, 24), ScreenOptions(units="imperial"))


@pytest.mark.parametrize("name", ["backward", "turn", "belt-not-stopped"])
def test_screen_without_colour(snap_compare, monkeypatch: pytest.MonkeyPatch, name: str) -> None:  # type: ignore[no-untyped-def]
    """With NO_COLOR the direction, the bar's parts and the warnings still read apart."""
    monkeypatch.setenv("NO_COLOR", "1")
    assert shoot(snap_compare, name, (80, 24), None)
