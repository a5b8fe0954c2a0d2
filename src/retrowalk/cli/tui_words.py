"""The words of the gym screen: banners and lines made from a View, in the person's units (pure).

Widgets draw these strings and decide nothing. Direction is always said in words and an arrow
as well as a colour, so the screen reads the same with colour off (NO_COLOR).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.markup import escape

from retrowalk.cli.tui_keys import name
from retrowalk.cli.tui_view import ALERT_SHOWN_S, COUNTDOWN_SHOWN_S, NOTICE_SHOWN_S
from retrowalk.engine.events import EngineState, HoldCause, TurnPhase
from retrowalk.units import METRES_PER_MILE, format_duration, speed_in, speed_unit
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from retrowalk.cli.tui_view import ScreenOptions, View
    from retrowalk.engine.events import Snapshot
    from retrowalk.units import UnitSystem
    from retrowalk.workout.plan import Plan

    Panel = tuple[str, str, str | None]  # big value, line under it, label (None: unchanged)

HOLD_TITLES: dict[HoldCause, str] = {
    HoldCause.CONSOLE_STOP: "stopped at the treadmill console",
    HoldCause.CONSOLE_PAUSE: "paused at the treadmill console",
    HoldCause.SAFETY_KEY: "safety key pulled",
    HoldCause.CONTROL_LOST: "the treadmill took back control",
    HoldCause.DISCONNECTED: "treadmill connection lost",
    HoldCause.SPEED_NOT_FOLLOWING: "belt not following the set speed",
    HoldCause.HEART_RATE: "heart rate above your limit",
    HoldCause.EMERGENCY_STOP: "emergency stop",
    HoldCause.DEVICE_ERROR: "the treadmill reported a problem",
    HoldCause.BELT_NOT_STARTED: "the belt did not start",
    HoldCause.BELT_NOT_STOPPED: "the belt did not stop: do not turn",
    HoldCause.SPEED_ABOVE_CAP: "belt faster than your safety limit",
    HoldCause.INCLINE_ABOVE_CAP: "incline above your safety limit",
    HoldCause.SPEED_UNITS: "the treadmill reads speeds in mph",
    HoldCause.TELEMETRY_LOST: "the treadmill stopped reporting",
    HoldCause.STEP_OVERDUE: "interval far past its plan",
}

PHASE_TEXT: dict[TurnPhase, str] = {
    TurnPhase.RAMP_DOWN: "Slowing down. Hold the rails.",
    TurnPhase.STOPPING: "Belt stopping. Hold the rails.",
    TurnPhase.WINDOW: "Belt stopped: turn around now.",
    TurnPhase.AWAITING_CONFIRM: "Press Enter when you are turned and ready",
    TurnPhase.START_COUNTDOWN: "Belt starting by itself: press Space or Esc to wait",
    TurnPhase.STARTING: "Belt starting slowly",
    TurnPhase.RAMP_UP: "Speeding up gently",
}

ARROWS: dict[Direction, str] = {
    Direction.FORWARD: "▲",
    Direction.BACKWARD: "▼",
    Direction.REST: "■",
}
MAX_FIT_LINES = 1  # fit notes listed on READY; the rest are counted


@dataclass(frozen=True)
class Banner:
    """One banner: `kind` picks its colour; `count` is drawn in big digits when set."""

    kind: str  # hold, turn, ahead, paused, ready
    title: str
    lines: tuple[str, ...] = ()
    count: str | None = None


def fmt_num(value: float | None, unit: str = "", digits: int = 1) -> str:
    """Return `value` with `digits` decimals and `unit`, or "--" when unknown."""
    return "--" if value is None else f"{value:.{digits}f}{unit}"


def fmt_speed(kmh: float | None, units: UnitSystem, *, unit: bool = True) -> str:
    """Return a speed in the person's units ("2.5 mph"), "--" when unknown."""
    if kmh is None:
        return "--"
    return fmt_num(speed_in(kmh, units), f" {speed_unit(units)}" if unit else "")


def fmt_clock(seconds: float | None) -> str:
    """Return seconds as m:ss (h:mm:ss past an hour), "--:--" when unknown."""
    return "--:--" if seconds is None else format_duration(max(0.0, seconds))


def fmt_dir(direction: Direction | None) -> str:
    """Return a direction as one capitalised word."""
    return "--" if direction is None else direction.value.upper()


def main_banner(view: View, options: ScreenOptions) -> Banner | None:  # noqa: PLR0911 - one banner per state
    """Return the banner to show, the most urgent one (None: no banner)."""
    state = view.state
    if view.ended is not None:
        return None
    if state is EngineState.HOLD:
        return _hold_banner(view, options)
    if view.start_counting:
        return _start_banner(view, options)
    if state is EngineState.TURNING:
        return _turn_banner(view)
    if state is EngineState.PAUSED:
        return Banner("paused", "PAUSED", ("Space or Enter to resume · Q to end the workout",))
    if state is EngineState.WAITING_CONFIRM:
        remote = options.remote_keys
        go = _remote(remote.confirm if remote else None, "Press Enter")
        return Banner("paused", "READY TO WALK?", (f"The belt is stopped. {go} to start it",))
    if state in {EngineState.WAITING_START, EngineState.READY}:
        return _ready_banner(view, options)
    if state is EngineState.CONNECTING:
        return Banner("ready", "CONNECTING", ("Looking for the treadmill…",))
    return _ahead_banner(view, options)


def _ahead_banner(view: View, options: ScreenOptions) -> Banner | None:
    """Return the countdown banner of what comes next: the end, a turn, a change."""
    end = view.end_ahead
    if end is not None and view.recent(end, COUNTDOWN_SHOWN_S):
        return Banner("ahead", "WORKOUT ENDS IN", ("The belt will stop",), str(end.seconds))
    ahead = view.countdown
    if ahead is None or not view.recent(ahead, COUNTDOWN_SHOWN_S):
        return None
    if ahead.turn:
        face = "the REAR" if ahead.next_direction is Direction.BACKWARD else "the CONSOLE"
        lines = (f"The belt will stop, then turn to face {face}",)
        return Banner("ahead", "SLOWING DOWN TO TURN IN", lines, str(ahead.seconds))
    target = f"{fmt_dir(ahead.next_direction)} {fmt_speed(ahead.next_speed_kmh, options.units)}"
    if ahead.next_direction is Direction.REST:
        target = "REST · the belt stops"
    return Banner("ahead", "CHANGE IN", (f"Next: {target}",), str(ahead.seconds))


def _remote(keys: tuple[str, ...] | None, words: str) -> str:
    """Return `words` with the remote's first key for it, when a remote is set up."""
    return f"{words} (remote: {name(keys[0])})" if keys else words


def _ready_banner(view: View, options: ScreenOptions) -> Banner:
    remote = options.remote_keys
    start = _remote(remote.confirm if remote else None, "Press Enter to start the belt")
    lines = ["Stand on the side rails, clip on the safety key.", f"{start}."]
    if remote is not None:
        lines.append(f"Remote: {remote.describe()}")
    lines += list(options.notes)
    if options.voice is not None:
        lines.append(f"Voice: {options.voice}")
    notes = view.fit_notes
    if notes:
        shown = "; ".join(notes[:MAX_FIT_LINES])
        more = f" (and {len(notes) - MAX_FIT_LINES} more)" if len(notes) > MAX_FIT_LINES else ""
        lines.append(f"Fitted to this treadmill: {shown}{more}")
    return Banner("ready", "READY", tuple(lines))


def _start_banner(view: View, options: ScreenOptions) -> Banner:
    seconds = view.start_ahead.seconds if view.start_ahead is not None else None
    remote = options.remote_keys
    wait = _remote(remote.pause if remote else None, "Press Space or Esc to wait")
    face = _face(view.turn.to_direction if view.turn is not None else None)
    return Banner("turn", "STARTING IN", (wait, face), None if seconds is None else str(seconds))


def _hold_banner(view: View, options: ScreenOptions) -> Banner:
    snap = view.snapshot
    cause = view.hold.cause if view.hold is not None else (snap.hold_cause if snap else None)
    advice = view.hold.advice if view.hold is not None else None
    if snap is not None and snap.hold_advice:
        advice = snap.hold_advice
    title = "HOLD"
    if cause is not None:
        title += f" — {HOLD_TITLES.get(cause, cause.value)}"
    lines = [advice] if advice else []
    if view.hold is not None and view.hold.detail:
        detail = view.hold.detail
        lines.append(detail[:1].upper() + detail[1:])
    if view.rest is not None and view.hold is not None and view.rest.t >= view.hold.t:
        lines.append("The belt is stopped.")
    remote = options.remote_keys
    resume = _remote(remote.confirm if remote else None, "Enter: resume (belt restarts slowly)")
    lines.append(f"{resume} · Q: end the workout")
    return Banner("hold", title, tuple(lines))


def _face(to: Direction | None) -> str:
    face = "the REAR of the treadmill" if to is Direction.BACKWARD else "the CONSOLE"
    return f"Face {face}, then walk {fmt_dir(to)}"


def _turn_banner(view: View) -> Banner:
    snap = view.snapshot
    to = view.turn.to_direction if view.turn is not None else (snap.direction if snap else None)
    phase = snap.turn_phase if snap is not None else None
    lines = [_face(to)]
    if phase is not None:
        lines.insert(0, PHASE_TEXT[phase])
    count = None
    if snap is not None and snap.turn_remaining_s is not None and phase is TurnPhase.WINDOW:
        count = str(max(0, round(snap.turn_remaining_s)))
    return Banner("turn", "TURN AROUND", tuple(lines), count)


def coach_line(view: View, units: UnitSystem) -> str | None:
    """Return the one coach-mode line in plain words (None: not in coach mode)."""
    snap = view.snapshot
    if view.ended is not None or not (view.coach is not None or (snap and snap.coach_mode)):
        return None
    speed = fmt_speed(snap.target_speed_kmh if snap else None, units)
    incline = fmt_num(snap.target_incline_pct if snap else None, " %")
    reason = view.coach.reason if view.coach is not None else "the treadmill cannot be set"
    why = escape(_without_instruction(reason))
    return f"[b]COACH MODE[/b] · set at the console: speed {speed}, incline {incline} · {why}"


def _without_instruction(reason: str) -> str:
    """Drop the engine's own "set ... by hand" clause: the banner already says what to set."""
    for mark in (":", ";"):
        head, _, tail = reason.partition(mark)
        if tail and "by hand" in tail:
            return head.strip()
    return reason


def notice_line(view: View) -> tuple[str, bool] | None:
    """Return the notice to show (markup) and whether it concerns safety (shown prominently)."""
    if view.alert is not None and view.recent(view.alert, ALERT_SHOWN_S):
        return f"⚠ [b]{escape(_capital(view.alert.message))}[/b]", True
    if view.notice is not None and view.recent(view.notice, NOTICE_SHOWN_S):
        return escape(_capital(view.notice.message)), False
    return None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def next_line(view: View, units: UnitSystem) -> str:
    """Return the NEXT line: what comes after this interval."""
    snap = view.snapshot
    if snap is None:
        return ""
    if snap.next_direction is None:
        return "[b]NEXT[/b]  finish"
    text = (
        f"[b]NEXT[/b]  {ARROWS[snap.next_direction]} {fmt_dir(snap.next_direction)}  "
        f"{fmt_speed(snap.next_speed_kmh, units)}  {fmt_num(snap.next_incline_pct, ' %')}"
    )
    return text + (f"  · {escape(snap.next_label)}" if snap.next_label else "")


def stats_line(view: View, units: UnitSystem, planned_s: float) -> str:
    """Return the totals line: distance, minutes of the planned time, energy, heart rate.

    It changes every few seconds, not every second (the interval's TIME LEFT counts seconds):
    a line redrawn each second costs the screen a third of its CPU.
    """
    snap = view.snapshot
    if snap is None:
        return ""
    heart = f"{snap.heart_rate_bpm} bpm" if snap.heart_rate_bpm is not None else "--"
    per_unit = METRES_PER_MILE if units == "imperial" else 1000.0
    distance = f"{snap.distance_m / per_unit:.2f} {'mi' if units == 'imperial' else 'km'}"
    minutes = f"{int(snap.workout_elapsed_s // 60)} of {round(planned_s / 60)} min"
    return (
        f"Distance [b]{distance}[/b]   Time [b]{minutes}[/b]   "
        f"Energy est. [b]{snap.energy_kcal:.0f}[/b] kcal   Heart [b]{heart}[/b]"
    )


def top_line(view: View, title: str) -> str:
    """Return the top line: workout, interval, state, treadmill."""
    snap = view.snapshot
    parts = [f"[b]{escape(title)}[/b]"]
    if snap is not None and snap.step_index is not None:
        parts.append(f"interval {snap.step_index + 1}/{snap.step_count}")
        if snap.label:
            parts.append(escape(snap.label))
    parts.append(view.state.value.replace("_", " ").upper())
    if view.device:
        parts.append(escape(view.device))
    return " · ".join(parts)


def direction_line(view: View) -> tuple[str, Direction | None]:
    """Return the direction bar's words (with the interval's cue) and the direction shown."""
    if view.ended_or_closed:
        return "■  WORKOUT ENDED  ■", None
    direction = view.snapshot.direction if view.snapshot else None
    if view.state is EngineState.TURNING and view.turn is not None:
        direction = view.turn.to_direction
    if direction is None:
        nxt = view.snapshot.next_direction if view.snapshot else None
        return (f"first interval {ARROWS[nxt]} {fmt_dir(nxt)}" if nxt else "retrowalk"), None
    arrow = ARROWS[direction]
    words = {
        Direction.FORWARD: "FORWARD · face the console",
        Direction.BACKWARD: "BACKWARD · face the rear",
        Direction.REST: "REST · belt stopped",
    }[direction]
    if view.state is EngineState.TURNING:
        words = f"TURNING → {words}"
    text = f"{arrow} {arrow}  {words}  {arrow} {arrow}"
    if view.cue and view.state is not EngineState.TURNING:
        text += f"\n[i]{escape(view.cue)}[/i]"
    return text, direction


def metrics(view: View, plan: Plan, units: UnitSystem) -> tuple[Panel, Panel, Panel]:
    """Return the three panels: target speed, incline, time (or metres) left.

    "actual" is shown only from current telemetry: "--" once it is old or the workout is over.
    """
    snap = view.snapshot
    if snap is None:
        return ("--", "actual --", None), ("--", "actual --", None), ("--:--", "", None)
    fresh = view.actual_fresh
    actual = fmt_speed(snap.actual_speed_kmh if fresh else None, units, unit=False)
    speed = (fmt_speed(snap.target_speed_kmh, units, unit=False), f"actual {actual}", None)
    actual_incline = fmt_num(snap.actual_incline_pct if fresh else None)
    incline = (fmt_num(_incline(snap, plan)), f"actual {actual_incline}", None)
    if snap.step_remaining_s is None and snap.step_remaining_m is not None:
        return speed, incline, (f"{snap.step_remaining_m:.0f}", "", "METRES LEFT")
    total = ""
    if snap.step_remaining_s is not None:
        total = f"of {fmt_clock(snap.step_elapsed_s + snap.step_remaining_s)}"
    return speed, incline, (fmt_clock(snap.step_remaining_s), total, "TIME LEFT")


def _incline(snap: Snapshot, plan: Plan) -> float | None:
    """Return the incline to show: the engine's target, else the plan's for this step."""
    # The engine reports only inclines it wrote; a level plan never writes one.
    if snap.target_incline_pct is not None or snap.step_index is None:
        return snap.target_incline_pct
    if 0 <= snap.step_index < len(plan.steps):
        return plan.steps[snap.step_index].incline_pct
    return None
