"""What to say, and when: voice cues chosen from engine events and snapshots.

`select_cues(item, state, plan, units=...)` is pure: one event or snapshot in, the cues to speak
now out (with the next CueState). `run_cues` feeds a channel through it into a Speaker. Each Cue
carries `valid_until` in workout time (the events' `t`): a countdown number is true for its own
second only, so a cue that could only be spoken late is dropped by the Speaker instead.

The words tell the truth about the belt: a turn's countdown counts to the slow-down, "Belt
stopping" comes when the Stop is sent, "Belt stopped: turn around now" only when the engine
opens the window (on a belt seen at rest). Notices marked `safety` are spoken, urgently; other
notices are for the screen only. The phrases themselves are in sinks/cue_words.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from retrowalk.engine.events import (
    BeltAtRest,
    ChangeAhead,
    CoachMode,
    EndAhead,
    EngineState,
    Finished,
    Hold,
    Paused,
    RestReason,
    Resumed,
    Snapshot,
    StartAhead,
    StateChanged,
    StepStarted,
    TurnPhase,
    TurnPhaseChanged,
    TurnStarted,
)
from retrowalk.sinks.cue_words import (
    HOLD_PHRASES,
    Cue,
    coach_text,
    due_marks,
    other_cue,
    phase_words,
    speak_speed,
)
from retrowalk.sinks.speaker import make_speaker
from retrowalk.sinks.speech import CHANGE, INFO
from retrowalk.workout.plan import Direction, TurnMode

if TYPE_CHECKING:
    from collections.abc import Callable

    from retrowalk.engine.bus import Channel, Item
    from retrowalk.sinks.speaker import Speaker, SpeechReport
    from retrowalk.sinks.speech import VoiceChoice
    from retrowalk.units import UnitSystem
    from retrowalk.workout.plan import Plan

LAST_WORDS_S = 15.0  # how long the voice may go on after the workout's end, to finish speaking

__all__ = ["HOLD_PHRASES", "Cue", "CueReport", "CueState", "run_cues", "run_voice", "select_cues"]


@dataclass(frozen=True)
class CueReport:
    """What became of one cue, for the session log: `t` is workout time (the events' clock)."""

    t: float
    text: str
    spoken: bool
    why: str  # spoken, stale, superseded, cut, failed, closed (see speaker.SpeechReport)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form: {"type": "CueReport", "t": ..., ...}."""
        return {"type": "CueReport", **dataclasses.asdict(self)}


@dataclass(frozen=True)
class CueState:
    """What the cue selector remembers between items."""

    step_index: int | None = None
    marks: frozenset[str] = frozenset()
    counting: tuple[str, int] | None = None  # which countdown is under way, its last number
    turn_to: Direction | None = None
    turn_mode: TurnMode = TurnMode.STOP
    coach: bool = False
    rest_told: bool = False  # the belt's rest at the end was announced


def select_cues(  # noqa: PLR0911 - one branch per item type
    item: Item, state: CueState, plan: Plan, *, units: UnitSystem = "metric"
) -> tuple[CueState, list[Cue]]:
    """Return the next state and the cues to speak for `item` (pure: no I/O, no clock)."""
    if isinstance(item, Snapshot):
        return _marks(item, state, plan)
    if isinstance(item, ChangeAhead | EndAhead | StartAhead):
        return _countdown(item, state)
    if isinstance(item, TurnStarted | TurnPhaseChanged):
        return _turn(item, state, plan)
    if isinstance(item, StepStarted):
        return _step(item, state, units)
    if isinstance(item, BeltAtRest) and item.why is RestReason.END:
        return dataclasses.replace(state, rest_told=True), [
            Cue("Belt stopped. You can step off.", "finish", CHANGE)
        ]
    if isinstance(item, Finished) and state.rest_told:
        return state, [Cue("Workout complete. Well done.", "finish", CHANGE)]
    if isinstance(item, CoachMode):
        state = dataclasses.replace(state, coach=True)
    if isinstance(item, Hold | Paused | Resumed | StateChanged):
        state = dataclasses.replace(state, counting=None)  # a countdown cut short starts anew
    return state, other_cue(item, units)


async def run_cues(
    channel: Channel,
    speaker: Speaker,
    *,
    plan: Plan,
    units: UnitSystem = "metric",
    clock: WorkoutClock | None = None,
) -> None:
    """Speak the cues for every item on `channel` until it closes (speaker already entered)."""
    clock = clock or WorkoutClock()
    state = CueState()
    async for item in channel:
        clock.saw(item.t)
        state, cues = select_cues(item, state, plan, units=units)
        for cue in cues:
            until = None if cue.valid_until is None else clock.to_loop(cue.valid_until)
            speaker.say(cue.text, valid_until=until, priority=cue.priority)


async def run_voice(
    channel: Channel,
    voice: str | VoiceChoice,
    *,
    plan: Plan,
    units: UnitSystem = "metric",
    on_report: Callable[[CueReport], None] | None = None,
) -> None:
    """Speak the workout with `voice` (a name of speech.KINDS, or a choice made before).

    Returns once the channel has closed and the last cues are said (LAST_WORDS_S at most).
    `on_report` gets one CueReport for every cue, spoken or dropped (the session log's hook).
    """
    clock = WorkoutClock()

    def report(speech: SpeechReport) -> None:
        if on_report is not None:
            t = clock.to_workout(speech.at)
            on_report(CueReport(t, speech.text, speech.spoken, speech.why))

    async with make_speaker(voice, on_report=report) as speaker:
        await run_cues(channel, speaker, plan=plan, units=units, clock=clock)
        # The last words ("Workout complete") come just before the engine closes the channel.
        await speaker.drain(within_s=LAST_WORDS_S)


class WorkoutClock:
    """Loop time <-> workout time, from the least-delayed item seen (events carry workout t)."""

    def __init__(self) -> None:
        self.offset: float | None = None  # loop time minus workout time

    def saw(self, t: float) -> None:
        """Note an item of workout time `t` arriving now."""
        seen = asyncio.get_running_loop().time() - t
        self.offset = seen if self.offset is None else min(self.offset, seen)

    def to_loop(self, t: float) -> float:
        """Return loop time for workout time `t`."""
        return t + (self.offset or 0.0)

    def to_workout(self, at: float) -> float:
        """Return workout time for loop time `at`."""
        return at - (self.offset or 0.0)


def _countdown(
    event: ChangeAhead | EndAhead | StartAhead, state: CueState
) -> tuple[CueState, list[Cue]]:
    until = event.t + 1.0
    key = f"change-{event.next_index}" if isinstance(event, ChangeAhead) else type(event).__name__
    state_after = dataclasses.replace(state, counting=(key, event.seconds))
    going_on = state.counting is not None and state.counting[0] == key
    if going_on and state.counting is not None and event.seconds < state.counting[1]:
        return state_after, [Cue(str(event.seconds), "countdown", CHANGE, until)]
    n = event.seconds
    if isinstance(event, EndAhead):
        text = f"Workout ends in {n}. The belt will stop."
    elif isinstance(event, StartAhead):
        text = f"Starting in {n}. Press Space or Escape to wait."
    elif event.turn:
        text = f"Slowing to turn in {n}."
    elif event.next_direction is Direction.REST:
        text = f"Belt stops in {n}."
    else:
        text = f"Change in {n}."
    return state_after, [Cue(text, "countdown", CHANGE, until + 0.5)]


def _turn(
    event: TurnStarted | TurnPhaseChanged, state: CueState, plan: Plan
) -> tuple[CueState, list[Cue]]:
    if isinstance(event, TurnStarted):
        transition = plan.transition_before(event.before_step)
        mode = transition.turn.mode if transition is not None else TurnMode.STOP
        return dataclasses.replace(
            state, turn_to=event.to_direction, turn_mode=mode, counting=None
        ), []
    if event.phase is TurnPhase.START_COUNTDOWN:
        return state, []  # its StartAhead events speak
    state = dataclasses.replace(state, counting=None)
    text = phase_words(event.phase, state.turn_mode, state.turn_to)
    if text is None:
        return state, []
    if event.phase is TurnPhase.WINDOW:
        until: float | None = event.t + (event.remaining_s or 10.0)
    elif event.phase is TurnPhase.AWAITING_CONFIRM:
        until = event.t + 10.0
    else:
        until = event.t + 4.0
    return state, [Cue(text, "turn", CHANGE, until)]


def _step(event: StepStarted, state: CueState, units: UnitSystem) -> tuple[CueState, list[Cue]]:
    state = dataclasses.replace(state, step_index=event.index, marks=frozenset(), counting=None)
    if event.direction is Direction.REST:
        words = "Rest. The belt stays stopped."
    else:
        words = f"{event.direction.value.capitalize()}, {speak_speed(event.speed_kmh, units)}"
        if event.incline_pct:
            words += f", incline {event.incline_pct:g} percent"
        words += "."
    if event.cue:
        words += f" {event.cue}"
    cues = [Cue(words, "step", INFO, event.t + 10.0)]
    if state.coach and event.direction is not Direction.REST:
        text = coach_text(event.speed_kmh, event.incline_pct, units)
        cues.append(Cue(text, "coach", CHANGE))
    return state, cues


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
    due = due_marks(snapshot, plan.steps[index])
    new = [(key, text) for key, text in due if key not in state.marks]
    if not new:
        return state, []
    # Only the latest mark is worth saying (a late snapshot may cross two at once).
    text = new[-1][1]
    marks = state.marks | {key for key, _ in new}
    return dataclasses.replace(state, marks=marks), [Cue(text, "mark", INFO, snapshot.t + 3.0)]
