"""What to say, and when: voice cues chosen from engine events and snapshots.

`select_cues(item, state, plan)` is pure: one event or snapshot in, the cues to speak now out
(with the next CueState). `run_cues` feeds a channel through it into a Speaker. Each Cue carries
`valid_until` in workout time (the events' `t`): a countdown number is true for its own second
only, so a cue that could only be spoken late is dropped by the Speaker instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.engine.events import (
    Aborted,
    ChangeAhead,
    CoachMode,
    EngineState,
    Finished,
    HeartRate,
    Hold,
    HoldCause,
    Paused,
    Reconnected,
    Resumed,
    Snapshot,
    StateChanged,
    StepStarted,
    TurnPhase,
    TurnPhaseChanged,
    TurnStarted,
)
from retrowalk.sinks.speech import CHANGE, INFO, URGENT, make_speaker
from retrowalk.workout.plan import Direction, TurnMode

if TYPE_CHECKING:
    from retrowalk.engine.bus import Channel, Item
    from retrowalk.sinks.speech import Speaker
    from retrowalk.workout.plan import Plan, Step

LONG_STEP_S = 120.0  # a halfway mark on steps at least this long
MINUTE_MARK_STEP_S = 180.0  # "one minute left" on steps at least this long
LONG_STEP_M = 400.0  # a halfway mark on distance steps at least this long

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
    HoldCause.SPEED_ABOVE_CAP: "The belt is faster than your safety limit.",
    HoldCause.INCLINE_ABOVE_CAP: "The incline is above your safety limit.",
    HoldCause.SPEED_UNITS: "This treadmill reads speeds in miles per hour.",
    HoldCause.TELEMETRY_LOST: "The treadmill stopped reporting its speed.",
    HoldCause.STEP_OVERDUE: "This interval ran far past its plan.",
}


@dataclass(frozen=True)
class Cue:
    """One thing to say: `valid_until` is workout time (events' `t`), None for always."""

    text: str
    kind: str  # countdown, turn, step, mark, hold, state, finish
    priority: int = INFO
    valid_until: float | None = None


@dataclass(frozen=True)
class CueState:
    """What the cue selector remembers between items."""

    step_index: int | None = None
    marks: frozenset[str] = frozenset()
    counting_to: int | None = None  # next_index whose countdown has begun
    turn_to: Direction | None = None
    turn_mode: TurnMode = TurnMode.STOP
    coach: bool = False


def select_cues(item: Item, state: CueState, plan: Plan) -> tuple[CueState, list[Cue]]:
    """Return the next state and the cues to speak for `item` (pure: no I/O, no clock)."""
    if isinstance(item, Snapshot):
        return _marks(item, state, plan)
    if isinstance(item, ChangeAhead):
        return _countdown(item, state)
    if isinstance(item, TurnStarted | TurnPhaseChanged):
        return _turn(item, state, plan)
    if isinstance(item, StepStarted):
        return _step(item, state)
    if isinstance(item, CoachMode):
        state = dataclasses.replace(state, coach=True)
    return state, _other(item)


async def run_cues(channel: Channel, speaker: Speaker, *, plan: Plan) -> None:
    """Speak the cues for every item on `channel` until it closes (speaker already entered)."""
    loop = asyncio.get_running_loop()
    state = CueState()
    offset: float | None = None  # loop time minus workout time, from the least-delayed item
    async for item in channel:
        seen = loop.time() - item.t
        offset = seen if offset is None else min(offset, seen)
        state, cues = select_cues(item, state, plan)
        for cue in cues:
            until = None if cue.valid_until is None else cue.valid_until + offset
            speaker.say(cue.text, valid_until=until, priority=cue.priority)


async def run_voice(channel: Channel, kind: str, *, plan: Plan) -> None:
    """Speak the workout with the `kind` voice (auto, espeak, say, sapi, bell, off)."""
    async with make_speaker(kind) as speaker:
        await run_cues(channel, speaker, plan=plan)


def speak_speed(kmh: float | None) -> str:
    """Return a speed as spoken words."""
    return "belt stopped" if kmh is None else f"{kmh:.1f} kilometres per hour"


def _countdown(event: ChangeAhead, state: CueState) -> tuple[CueState, list[Cue]]:
    until = event.t + 1.0
    if state.counting_to == event.next_index:
        return state, [Cue(str(event.seconds), "countdown", CHANGE, until)]
    if event.turn:
        what = "Turn around in"
    elif event.next_direction is Direction.REST:
        what = "Belt stops in"
    else:
        what = "Change in"
    text = f"{what} {event.seconds}."
    return dataclasses.replace(state, counting_to=event.next_index), [
        Cue(text, "countdown", CHANGE, until + 0.5)
    ]


def _facing(direction: Direction | None) -> str:
    if direction is Direction.BACKWARD:
        return "to face the rear of the treadmill"
    return "to face the console"


def _turn(
    event: TurnStarted | TurnPhaseChanged, state: CueState, plan: Plan
) -> tuple[CueState, list[Cue]]:
    if isinstance(event, TurnStarted):
        transition = plan.transition_before(event.before_step)
        mode = transition.turn.mode if transition is not None else TurnMode.STOP
        state = dataclasses.replace(state, turn_to=event.to_direction, turn_mode=mode)
        text = "Belt stopping. Hold the rails." if mode is TurnMode.STOP else "Slowing down."
        return state, [Cue(text, "turn", CHANGE, event.t + 4.0)]
    window_end = event.t + (event.remaining_s or 10.0)
    if event.phase is TurnPhase.WINDOW:
        now = "Turn around now" if state.turn_mode is TurnMode.STOP else "Turn carefully now"
        return state, [Cue(f"{now}, {_facing(state.turn_to)}.", "turn", CHANGE, window_end)]
    if event.phase is TurnPhase.AWAITING_CONFIRM:
        return state, [Cue("When you are ready, press Enter.", "turn", CHANGE, event.t + 10.0)]
    if event.phase is TurnPhase.STARTING:
        walk = "Walk backward." if state.turn_to is Direction.BACKWARD else "Walk forward."
        return state, [Cue(f"Belt starting slowly. {walk}", "turn", CHANGE, event.t + 4.0)]
    return state, []


def _step(event: StepStarted, state: CueState) -> tuple[CueState, list[Cue]]:
    state = dataclasses.replace(state, step_index=event.index, marks=frozenset(), counting_to=None)
    if event.direction is Direction.REST:
        words = "Rest. The belt stays stopped."
    else:
        words = f"{event.direction.value.capitalize()}, {speak_speed(event.speed_kmh)}"
        if event.incline_pct:
            words += f", incline {event.incline_pct:g} percent"
        words += "."
    if event.cue:
        words += f" {event.cue}"
    cues = [Cue(words, "step", INFO, event.t + 10.0)]
    if state.coach and event.direction is not Direction.REST:
        cues.append(Cue(_coach_text(event.speed_kmh, event.incline_pct), "coach", CHANGE))
    return state, cues


def _coach_text(speed_kmh: float | None, incline_pct: float | None) -> str:
    parts = []
    if speed_kmh is not None:
        parts.append(f"speed {speed_kmh:.1f}")
    if incline_pct is not None:
        parts.append(f"incline {incline_pct:g} percent")
    return f"Set {' and '.join(parts) or 'the treadmill'} by hand."


def _marks(snapshot: Snapshot, state: CueState, plan: Plan) -> tuple[CueState, list[Cue]]:
    if snapshot.coach_mode and not state.coach:
        state = dataclasses.replace(state, coach=True)
    index = snapshot.step_index
    if snapshot.state is not EngineState.RUNNING or index is None:
        return state, []
    if not 0 <= index < len(plan.steps) or plan.steps[index].direction is Direction.REST:
        return state, []
    if index != state.step_index:
        state = dataclasses.replace(state, step_index=index, marks=frozenset())
    new = [
        (key, text)
        for key, text in _due_marks(snapshot, plan.steps[index])
        if key not in state.marks
    ]
    if not new:
        return state, []
    # Only the latest mark is worth saying (a late snapshot may cross two at once).
    text = new[-1][1]
    marks = state.marks | {key for key, _ in new}
    return dataclasses.replace(state, marks=marks), [Cue(text, "mark", INFO, snapshot.t + 3.0)]


def _due_marks(snapshot: Snapshot, step: Step) -> list[tuple[str, str]]:
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


def _other(item: Item) -> list[Cue]:  # noqa: PLR0911 - one branch per event
    if isinstance(item, Hold):
        phrase = HOLD_PHRASES.get(item.cause, "The workout is on hold.")
        return [Cue(f"Hold. {phrase} {item.advice}".strip(), "hold", URGENT)]
    if isinstance(item, Paused):
        return [Cue("Paused.", "state", CHANGE, item.t + 5.0)]
    if isinstance(item, Resumed):
        return [Cue("Resuming. Belt starting slowly.", "state", CHANGE, item.t + 5.0)]
    if isinstance(item, Reconnected):
        return [Cue("Treadmill reconnected. Press Enter to resume.", "state", CHANGE)]
    if isinstance(item, StateChanged) and item.state is EngineState.WAITING_START:
        return [Cue("Ready. Press Enter to start.", "state", INFO, item.t + 30.0)]
    if isinstance(item, CoachMode):
        text = f"Coach mode. {_coach_text(item.speed_kmh, item.incline_pct)}"
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
