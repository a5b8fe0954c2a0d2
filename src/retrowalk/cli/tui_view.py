"""What the screen shows, as data: the latest Snapshot plus banners derived from engine events.

`reduce(view, item)` folds one event or snapshot into an immutable `View`; `banners(view)` and
the `fmt_*` helpers turn it into words. No clock, no I/O, no workout logic: the engine decides,
this module only describes what it decided. Widgets render a `View` and nothing else.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.engine.commands import CommandKind
from retrowalk.engine.events import (
    Aborted,
    ChangeAhead,
    CoachMode,
    Connected,
    EngineState,
    Finished,
    Hold,
    HoldCause,
    Notice,
    Resumed,
    Snapshot,
    StateChanged,
    StepStarted,
    TurnEnded,
    TurnPhase,
    TurnStarted,
)
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from retrowalk.engine.bus import Item

_BEFORE_START = frozenset({EngineState.CONNECTING, EngineState.READY, EngineState.WAITING_START})
COUNTDOWN_SHOWN_S = 1.5  # a countdown number stays on screen this long after its event

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
    TurnPhase.WINDOW: "Belt stopped. Turn around now.",
    TurnPhase.AWAITING_CONFIRM: "Press Enter when you are turned and ready",
    TurnPhase.START_COUNTDOWN: "Belt starting soon: press Space or Esc to wait",
    TurnPhase.STARTING: "Belt starting slowly",
    TurnPhase.RAMP_UP: "Speeding up gently",
}


@dataclass(frozen=True)
class View:
    """Everything the screen shows at one moment."""

    snapshot: Snapshot | None = None
    state: EngineState = EngineState.CONNECTING
    countdown: ChangeAhead | None = None
    turn: TurnStarted | None = None
    hold: Hold | None = None
    coach: CoachMode | None = None
    ended: Finished | Aborted | None = None
    closed: bool = False
    started: bool = False  # the first step began (the advice line is shown until then)
    device: str | None = None
    notice: str | None = None


@dataclass(frozen=True)
class Banner:
    """One banner: `kind` picks its colour; `count` is drawn in big digits when set."""

    kind: str  # hold, turn, ahead, paused, ready, coach
    title: str
    lines: tuple[str, ...] = ()
    count: str | None = None


def reduce(view: View, item: Item) -> View:  # noqa: C901, PLR0911 - one branch per item type
    """Return the view after `item` (pure)."""
    replace = dataclasses.replace
    if isinstance(item, Snapshot):
        begun = item.step_index is not None and item.state not in _BEFORE_START
        return replace(view, snapshot=item, state=item.state, started=view.started or begun)
    if isinstance(item, StateChanged):
        hold = view.hold if item.state is EngineState.HOLD else None
        return replace(view, state=item.state, hold=hold)
    if isinstance(item, ChangeAhead):
        return replace(view, countdown=item)
    if isinstance(item, TurnStarted):
        return replace(view, turn=item, countdown=None)
    if isinstance(item, TurnEnded):
        return replace(view, turn=None)
    if isinstance(item, StepStarted):
        return replace(view, countdown=None, started=True)
    if isinstance(item, Hold):
        return replace(view, hold=item, state=EngineState.HOLD, countdown=None)
    if isinstance(item, Resumed):
        return replace(view, hold=None)
    if isinstance(item, CoachMode):
        return replace(view, coach=item)
    if isinstance(item, Finished | Aborted):
        return replace(view, ended=item)
    if isinstance(item, Connected):
        return replace(view, device=item.name)
    if isinstance(item, Notice):
        return replace(view, notice=item.message)
    return view


def closed(view: View) -> View:
    """Return the view once the engine's channel has closed."""
    return dataclasses.replace(view, closed=True)


def banners(view: View) -> list[Banner]:
    """Return the banners to show, most urgent first."""
    out: list[Banner] = []
    main = _main_banner(view)
    if main is not None:
        out.append(main)
    coach = view.coach is not None or (view.snapshot is not None and view.snapshot.coach_mode)
    if coach and view.ended is None:
        snap = view.snapshot
        speed = fmt_num(snap.target_speed_kmh if snap else None, " km/h")
        incline = fmt_num(snap.target_incline_pct if snap else None, " %")
        reason = view.coach.reason if view.coach is not None else "the treadmill cannot be set"
        out.append(
            Banner(
                "coach", "COACH MODE", (f"Set by hand: speed {speed}, incline {incline}", reason)
            )
        )
    return out


def _main_banner(view: View) -> Banner | None:  # noqa: PLR0911 - one banner per state
    state = view.state
    if view.ended is not None:
        return None
    if state is EngineState.HOLD:
        return _hold_banner(view)
    if state is EngineState.TURNING:
        return _turn_banner(view)
    if state is EngineState.PAUSED:
        return Banner("paused", "PAUSED", ("Space or Enter to resume · Q to end the workout",))
    if state in {EngineState.WAITING_START, EngineState.READY}:
        return Banner(
            "ready",
            "READY",
            ("Stand on the side rails, clip on the safety key.", "Press Enter to start the belt."),
        )
    if state is EngineState.CONNECTING:
        return Banner("ready", "CONNECTING", ("Looking for the treadmill…",))
    ahead = view.countdown
    snap = view.snapshot
    if ahead is not None and (snap is None or snap.t - ahead.t <= COUNTDOWN_SHOWN_S):
        if ahead.turn:
            face = "the REAR" if ahead.next_direction is Direction.BACKWARD else "the CONSOLE"
            return Banner(
                "ahead",
                "TURN AROUND IN",
                (f"Belt will stop · then face {face}",),
                str(ahead.seconds),
            )
        target = f"{fmt_dir(ahead.next_direction)} {fmt_num(ahead.next_speed_kmh, ' km/h')}"
        if ahead.next_direction is Direction.REST:
            target = "REST · the belt stops"
        return Banner("ahead", "CHANGE IN", (f"Next: {target}",), str(ahead.seconds))
    return None


def _hold_banner(view: View) -> Banner:
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
    lines.append("Enter: resume (belt restarts slowly) · Q: end the workout")
    return Banner("hold", title, tuple(lines))


def _turn_banner(view: View) -> Banner:
    snap = view.snapshot
    to = view.turn.to_direction if view.turn is not None else (snap.direction if snap else None)
    face = "the REAR of the treadmill" if to is Direction.BACKWARD else "the CONSOLE"
    phase = snap.turn_phase if snap is not None else None
    lines = [f"Face {face}, then walk {fmt_dir(to)}"]
    if phase is not None:
        lines.insert(0, PHASE_TEXT[phase])
    count = None
    if snap is not None and snap.turn_remaining_s is not None and phase is TurnPhase.WINDOW:
        count = str(max(0, round(snap.turn_remaining_s)))
    return Banner("turn", "TURN AROUND", tuple(lines), count)


def key_command(action: str, view: View) -> tuple[CommandKind, float | None] | None:
    """Return the command a key action sends in this view (None: the key does nothing)."""
    if action == "pause":
        paused = view.state is EngineState.PAUSED
        return (CommandKind.RESUME if paused else CommandKind.PAUSE), None
    return KEY_COMMANDS.get(action)


KEY_COMMANDS: dict[str, tuple[CommandKind, float | None]] = {
    "emergency": (CommandKind.EMERGENCY_STOP, None),
    "confirm": (CommandKind.CONFIRM, None),
    "skip": (CommandKind.SKIP, None),
    "back": (CommandKind.BACK, None),
    "faster": (CommandKind.NUDGE_SPEED, 0.1),
    "slower": (CommandKind.NUDGE_SPEED, -0.1),
    "steeper": (CommandKind.NUDGE_INCLINE, 0.5),
    "flatter": (CommandKind.NUDGE_INCLINE, -0.5),
    "stop": (CommandKind.STOP, None),
}


def fmt_num(value: float | None, unit: str = "", digits: int = 1) -> str:
    """Return `value` with `digits` decimals and `unit`, or "--" when unknown."""
    return "--" if value is None else f"{value:.{digits}f}{unit}"


def fmt_clock(seconds: float | None) -> str:
    """Return seconds as m:ss (h:mm:ss past an hour), "--:--" when unknown."""
    if seconds is None:
        return "--:--"
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def fmt_dir(direction: Direction | None) -> str:
    """Return a direction as one capitalised word."""
    return "--" if direction is None else direction.value.upper()


ARROWS: dict[Direction, str] = {
    Direction.FORWARD: "▲",
    Direction.BACKWARD: "▼",
    Direction.REST: "■",
}
