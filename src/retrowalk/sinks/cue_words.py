"""The words of the voice: what is said for each event, in the person's units (pure).

sinks/cues.py decides when to speak; this module only says how. Speeds are spoken in the
person's units ("2.5 miles per hour" in imperial), inclines in percent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.engine.events import (
    Aborted,
    BeltAtRest,
    CoachMode,
    EngineState,
    Finished,
    HeartRate,
    Hold,
    HoldCause,
    Notice,
    Paused,
    Reconnected,
    RestReason,
    Resumed,
    StateChanged,
    TurnPhase,
)
from retrowalk.sinks.speech import CHANGE, INFO, URGENT
from retrowalk.units import speed_in, speed_unit
from retrowalk.workout.plan import Direction, TurnMode

if TYPE_CHECKING:
    from retrowalk.engine.bus import Item
    from retrowalk.engine.events import Snapshot
    from retrowalk.units import UnitSystem
    from retrowalk.workout.plan import Step

LONG_STEP_S = 120.0  # a halfway mark on steps at least this long
MINUTE_MARK_STEP_S = 180.0  # "one minute left" on steps at least this long
LONG_STEP_M = 400.0  # a halfway mark on distance steps at least this long


@dataclass(frozen=True)
class Cue:
    """One thing to say: `valid_until` is workout time (events' `t`), None for always."""

    text: str
    kind: str  # countdown, turn, step, mark, hold, state, finish, coach, warning
    priority: int = INFO
    valid_until: float | None = None


HOLD_PHRASES: dict[HoldCause, str] = {
    HoldCause.CONSOLE_STOP: "Stopped at the treadmill console.",
    HoldCause.CONSOLE_PAUSE: "Paused at the treadmill console.",
    HoldCause.SAFETY_KEY: "The safety key is out.",
    HoldCause.CONTROL_LOST: "The treadmill took back control.",
    HoldCause.DISCONNECTED: "The treadmill connection was lost.",
    HoldCause.SPEED_NOT_FOLLOWING: "The belt is not following the set speed.",
    HoldCause.HEART_RATE: "Your heart rate is above your limit.",
    HoldCause.EMERGENCY_STOP: "Emergency stop.",
    HoldCause.DEVICE_ERROR: "The treadmill reported a problem.",
    HoldCause.BELT_NOT_STARTED: "The belt did not start.",
    HoldCause.BELT_NOT_STOPPED: "Do not turn around. The belt did not stop. Hold the rails.",
    HoldCause.SPEED_ABOVE_CAP: "The belt is faster than your safety limit. Hold the rails.",
    HoldCause.INCLINE_ABOVE_CAP: "The incline is above your safety limit.",
    HoldCause.SPEED_UNITS: "This treadmill reads speeds in miles per hour. Hold the rails.",
    HoldCause.TELEMETRY_LOST: "The treadmill stopped reporting its speed. Hold the rails.",
    HoldCause.STEP_OVERDUE: "This interval ran far past its plan.",
}


def speak_speed(kmh: float | None, units: UnitSystem = "metric") -> str:
    """Return a speed as spoken words ("2.5 miles per hour" in imperial)."""
    if kmh is None:
        return "belt stopped"
    return f"{speed_in(kmh, units):.1f} {speed_unit(units, spoken=True)}"


def coach_text(speed_kmh: float | None, incline_pct: float | None, units: UnitSystem) -> str:
    """Return what to set at the console, in plain words."""
    parts = []
    if speed_kmh is not None:
        parts.append(f"the speed to {speak_speed(speed_kmh, units)}")
    if incline_pct is not None:
        parts.append(f"the incline to {incline_pct:g} percent")
    if not parts:
        return "Set the treadmill at its console."
    return f"Set {' and '.join(parts)} at the console."


def facing(direction: Direction | None) -> str:
    """Return which way to face for `direction`, as words."""
    if direction is Direction.BACKWARD:
        return "to face the rear of the treadmill"
    return "to face the console"


def phase_words(phase: TurnPhase, mode: TurnMode, to: Direction | None) -> str | None:
    """Return what to say when a turn-around reaches `phase` (None: nothing)."""
    slow = mode is TurnMode.SLOW
    if phase is TurnPhase.RAMP_DOWN:
        return "Slowing down." if slow else "Slowing down. Hold the rails."
    if phase is TurnPhase.STOPPING:
        return "Belt stopping. Hold the rails."
    if phase is TurnPhase.WINDOW:
        now = "Slow now. Turn carefully" if slow else "Belt stopped. Turn around now"
        return f"{now}, {facing(to)}."
    if phase is TurnPhase.AWAITING_CONFIRM:
        return "When you are ready, press Enter."
    if phase is TurnPhase.STARTING:
        walk = "Walk backward." if to is Direction.BACKWARD else "Walk forward."
        return f"Belt starting slowly. {walk}"
    return None


def due_marks(snapshot: Snapshot, step: Step) -> list[tuple[str, str]]:
    """Return the (key, words) of the halfway and one-minute marks `snapshot` has passed."""
    due: list[tuple[str, str]] = []
    if step.duration_s is not None and snapshot.step_remaining_s is not None:
        left = snapshot.step_remaining_s
        if step.duration_s >= LONG_STEP_S and left <= step.duration_s / 2:
            due.append(("half", "Halfway."))
        if step.duration_s >= MINUTE_MARK_STEP_S and left <= 60.0:
            due.append(("minute", "One minute left."))
    left_m = snapshot.step_remaining_m
    distance = step.distance_m
    long_enough = distance is not None and distance >= LONG_STEP_M
    if long_enough and left_m is not None and distance is not None and left_m <= distance / 2:
        due.append(("half", "Halfway."))
    return due


def other_cue(item: Item, units: UnitSystem) -> list[Cue]:  # noqa: C901, PLR0911 - one branch per event
    """Return the cues of the events that need no memory between items."""
    if isinstance(item, Hold):
        phrase = HOLD_PHRASES.get(item.cause, "The workout is on hold.")
        return [Cue(f"Hold. {phrase} {item.advice}".strip(), "hold", URGENT)]
    if isinstance(item, Notice) and item.safety:
        text = item.message[:1].upper() + item.message[1:]
        return [Cue(text if text.endswith(".") else f"{text}.", "warning", URGENT)]
    if isinstance(item, BeltAtRest) and item.why in {RestReason.HOLD, RestReason.EMERGENCY_STOP}:
        return [Cue("The belt has stopped.", "state", CHANGE, item.t + 10.0)]
    if isinstance(item, Paused):
        return [Cue("Paused.", "state", CHANGE, item.t + 5.0)]
    if isinstance(item, Resumed):
        return [Cue("Resuming. Belt starting slowly.", "state", CHANGE, item.t + 5.0)]
    if isinstance(item, Reconnected):
        return [Cue("Treadmill reconnected. Press Enter to resume.", "state", CHANGE)]
    if isinstance(item, StateChanged) and item.state is EngineState.WAITING_START:
        return [Cue("Ready. Press Enter to start.", "state", INFO, item.t + 30.0)]
    if isinstance(item, StateChanged) and item.state is EngineState.WAITING_CONFIRM:
        return [
            Cue(
                "The belt is stopped. Press Enter when you are ready to walk.",
                "state",
                CHANGE,
                item.t + 30.0,
            )
        ]
    if isinstance(item, CoachMode):
        text = f"Coach mode. {coach_text(item.speed_kmh, item.incline_pct, units)}"
        return [Cue(text, "coach", CHANGE)]
    if isinstance(item, HeartRate) and not item.connected:
        return [Cue("Heart rate strap lost.", "state", INFO, item.t + 10.0)]
    if isinstance(item, Finished):
        belt = "The belt is stopped." if item.belt_stopped else "The belt is still running."
        return [Cue(f"Workout complete. Well done. {belt}", "finish", CHANGE)]
    if isinstance(item, Aborted):
        belt = "The belt is stopped." if item.belt_stopped else "Check the belt has stopped."
        return [Cue(f"Workout stopped. {belt}", "finish", URGENT)]
    return []
