"""What the screen says: the workout bar, the position, "actual", notices, coach mode (pure)."""

from __future__ import annotations

from functools import reduce as fold
from typing import TYPE_CHECKING

from retrowalk.cli.tui_timeline import GLYPHS, TURN, Timeline, bar_cells
from retrowalk.cli.tui_view import ScreenOptions, View, reduce
from retrowalk.cli.tui_words import coach_line, direction_line, main_banner, metrics, notice_line
from retrowalk.engine.events import (
    Aborted,
    CoachMode,
    EngineState,
    Finished,
    Hold,
    HoldCause,
    Notice,
    StepStarted,
    TurnPhase,
    TurnStarted,
)
from screen_plans import B, F, R, intro_plan, make_plan, snapshot

if TYPE_CHECKING:
    from retrowalk.engine.bus import Item

PLAN = intro_plan()


def view_of(*items: Item) -> View:
    """Return the view after `items`."""
    return fold(reduce, items, View())


def test_every_turn_has_its_own_cell_on_the_bar() -> None:
    """retro-intro's 6 turns and a short workout's 8 are all marked, at 80 and 160 columns."""
    eight = make_plan([(F if n % 2 == 0 else B, 90.0, 3.0, 0.0, None) for n in range(9)])
    for plan, turns in ((PLAN, 6), (eight, 8)):
        for width in (78, 158):
            kinds = [kind for _, kind in bar_cells(plan, width)]
            assert kinds.count(TURN) == turns == len(plan.transitions)
            drawn = "".join(GLYPHS[kind][0] for kind in kinds)
            assert all(len(set(part)) == 1 for part in drawn.split("┃")), drawn  # one way each


def test_forward_backward_and_rest_differ_without_colour() -> None:
    """Each part of the bar has a glyph of its own, not only a colour."""
    plan = make_plan([(F, 120, 4.0, 0, None), (R, 60, None, 0, None), (B, 120, 2.0, 0, None)])
    glyphs = {GLYPHS[kind][0] for _, kind in bar_cells(plan, 80)}
    assert glyphs == {"█", "·", "▒", "┃"}


def test_the_marker_never_moves_back_and_stays_at_the_end() -> None:
    """Awaiting a confirmation after the window, and the end, never move the marker back."""
    turn = TurnStarted(t=1.0, before_step=1, from_direction=F, to_direction=B, window_s=12.0,
                       confirm=True)  # fmt: skip
    moments = [
        snapshot(PLAN, step_index=0, step_elapsed_s=299.0),
        turn,
        snapshot(PLAN, step_index=0, state=EngineState.TURNING, turn_phase=TurnPhase.WINDOW,
                 turn_remaining_s=1.0),
        snapshot(PLAN, step_index=0, state=EngineState.TURNING,
                 turn_phase=TurnPhase.AWAITING_CONFIRM),
        snapshot(PLAN, step_index=1, step_elapsed_s=30.0),
        Finished(t=9.0, elapsed_s=9.0, distance_m=1.0, energy_kcal=1.0, steps_completed=8,
                 steps_skipped=0, belt_stopped=True),
    ]  # fmt: skip
    view, timeline, seen = View(), Timeline(), []
    for item in moments:
        view = reduce(view, item)
        timeline = timeline.after(PLAN, view)
        seen.append(timeline.position_s)
    assert seen == sorted(seen)
    assert seen[3] == seen[2] == 300.0 + 11.0  # the window's 11th second, kept while waiting
    assert seen[-1] == PLAN.totals.duration_with_turns_s


def test_back_moves_the_marker_back_and_an_abort_keeps_it() -> None:
    """The person's own B (an earlier step starts) moves it back; an abort leaves it in place."""

    def step(index: int) -> StepStarted:
        s = PLAN.steps[index]
        return StepStarted(t=float(index), index=index, count=8, direction=s.direction,
                           label=None, cue=None, duration_s=s.duration_s, distance_m=None,
                           speed_kmh=2.0, incline_pct=0.0)  # fmt: skip

    view, timeline = View(), Timeline()
    for item in (step(2), snapshot(PLAN, step_index=2), step(1),
                 snapshot(PLAN, step_index=1, step_elapsed_s=5.0)):  # fmt: skip
        view = reduce(view, item)
        timeline = timeline.after(PLAN, view)
    assert timeline.position_s == PLAN.steps[1].start_s + 5.0
    view = reduce(view, Aborted(t=9.0, reason="stop", elapsed_s=9.0, distance_m=1.0,
                                energy_kcal=1.0, belt_stopped=True))  # fmt: skip
    assert timeline.after(PLAN, view).position_s == PLAN.steps[1].start_s + 5.0


def test_actual_is_cleared_when_telemetry_is_old_or_the_workout_over() -> None:
    """The actual speed is current telemetry only: not after the end, not from an old snapshot."""
    live = view_of(snapshot(PLAN, t=100.0, actual_speed_kmh=4.2))
    assert metrics(live, PLAN, "metric")[0][1] == "actual 4.2"
    stopped = reduce(live, Aborted(t=100.5, reason="emergency stop", elapsed_s=100.0,
                                   distance_m=1.0, energy_kcal=1.0, belt_stopped=True))  # fmt: skip
    assert metrics(stopped, PLAN, "metric")[0][1] == "actual --"
    quiet = reduce(live, Hold(t=110.0, cause=HoldCause.TELEMETRY_LOST, detail="", advice=""))
    assert metrics(quiet, PLAN, "metric")[:2] == (("2.0", "actual --", None),
                                                   ("0.0", "actual --", None))  # fmt: skip


def test_fit_notes_are_listed_on_the_ready_screen() -> None:
    """Fit notices ("fitted to the machine: ...") are listed on READY, counted past the first."""
    view = view_of(
        Notice(t=0.0, message="fitted to the machine: Backward 1: 2.0 -> 2.5 km/h"),
        Notice(t=0.0, message="fitted to the machine: Backward 2: 2.0 -> 2.5 km/h"),
        snapshot(PLAN, state=EngineState.WAITING_START, step_index=None),
    )
    banner = main_banner(view, ScreenOptions())
    assert banner is not None
    assert banner.title == "READY"
    assert "Fitted to this treadmill: Backward 1: 2.0 -> 2.5 km/h (and 1 more)" in banner.lines
    assert notice_line(view) is None  # a fit note is not a passing notice


def test_safety_notices_are_prominent_others_pass() -> None:
    """A safety notice is shown as an alert; a plain one is shown for a while, then goes."""
    alert = view_of(Notice(t=5.0, message="belt still moving", safety=True))
    assert notice_line(alert) == ("⚠ [b]Belt still moving[/b]", True)
    plain = view_of(Notice(t=5.0, message="heart-rate strap lost"), snapshot(PLAN, t=6.0))
    assert notice_line(plain) == ("Heart-rate strap lost", False)
    assert notice_line(reduce(plain, snapshot(PLAN, t=30.0))) is None


def test_coach_mode_says_once_in_plain_words_what_to_set() -> None:
    """One coach line: what to set at the console, and why, without "by hand" twice."""
    view = view_of(
        CoachMode(t=1.0, reason="the treadmill does not follow speed commands: set the speed "
                  "by hand", speed_kmh=2.0, incline_pct=0.0),
        snapshot(PLAN, coach_mode=True),
    )  # fmt: skip
    line = coach_line(view, "metric")
    assert line == ("[b]COACH MODE[/b] · set at the console: speed 2.0 km/h, incline 0.0 % · "
                    "the treadmill does not follow speed commands")  # fmt: skip
    assert coach_line(view, "imperial") is not None
    assert "1.2 mph" in str(coach_line(view, "imperial"))


def test_the_interval_cue_is_shown_under_the_direction() -> None:
    """The workout's own cue for an interval is shown with the direction while it runs."""
    view = view_of(
        StepStarted(t=0.0, index=1, count=8, direction=B, label="Backward 1",
                    cue="Small steps, [hands] on the rails.", duration_s=120.0, distance_m=None,
                    speed_kmh=2.0, incline_pct=0.0),
        snapshot(PLAN, step_index=1),
    )  # fmt: skip
    text, direction = direction_line(view)
    assert direction is B
    assert "BACKWARD · face the rear" in text
    assert "Small steps, \\[hands] on the rails." in text  # the workout's text, never markup
