"""Frozen events and the Snapshot that the engine publishes to its sinks.

CONTRACT shared by engine and sinks (display, cues, recorder, MQTT). Every event has `t`, the
seconds since the workout's clock started (loop time), and `origin`. `to_dict()` gives the JSON
form used by the session log and MQTT: {"type": "StepStarted", "t": 12.0, ...}.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from retrowalk.engine.commands import CommandResult, Origin
from retrowalk.engine.states import EngineState, HoldCause, RestReason, TurnPhase

if TYPE_CHECKING:
    from retrowalk.workout.plan import Direction


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of all engine events."""

    t: float
    origin: Origin = Origin.ENGINE

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form, with the event's type name under "type"."""
        out: dict[str, Any] = {"type": type(self).__name__}
        for f in dataclasses.fields(self):
            out[f.name] = _jsonable(getattr(self, f.name))
        return out


def _jsonable(value: Any) -> Any:  # noqa: ANN401 - any dataclass field value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class StateChanged(Event):
    """The engine moved from `previous` to `state`."""

    state: EngineState
    previous: EngineState


@dataclass(frozen=True, kw_only=True)
class Connected(Event):
    """The treadmill is connected and its capabilities read."""

    name: str
    address: str
    speed_range: tuple[float, float, float] | None  # min, max, increment km/h
    incline_range: tuple[float, float, float] | None  # min, max, increment %
    controllable: bool  # False: coach mode from the start


@dataclass(frozen=True, kw_only=True)
class ConnectionLost(Event):
    """The link to the treadmill dropped (retrowalk reconnects; the workout holds).

    `belt_kmh` is the belt's speed as last reported (None: never reported), `seen_ago_s` how
    long before the drop: what the person must check at the console, since nothing is seen now.
    """

    reason: str
    belt_kmh: float | None = None
    seen_ago_s: float | None = None


@dataclass(frozen=True, kw_only=True)
class Reconnected(Event):
    """The link is back; motion is NOT restored (the workout stays on hold)."""

    attempts: int


@dataclass(frozen=True, kw_only=True)
class StepStarted(Event):
    """Step `index` of `count` began."""

    index: int
    count: int
    direction: Direction
    label: str | None
    cue: str | None
    duration_s: float | None
    distance_m: float | None
    speed_kmh: float | None
    incline_pct: float


@dataclass(frozen=True, kw_only=True)
class StepFinished(Event):
    """Step `index` ended: completed, or skipped by a command."""

    index: int
    skipped: bool
    elapsed_s: float
    distance_m: float


@dataclass(frozen=True, kw_only=True)
class ChangeAhead(Event):
    """A change is `seconds` away (emitted once per whole second of the countdown)."""

    seconds: int
    next_index: int
    next_direction: Direction
    next_speed_kmh: float | None
    next_incline_pct: float
    turn: bool  # a turn-around comes first


@dataclass(frozen=True, kw_only=True)
class EndAhead(Event):
    """The workout ends (and the belt stops) in `seconds` (once per second of the countdown)."""

    seconds: int


@dataclass(frozen=True, kw_only=True)
class StartAhead(Event):
    """The belt starts by itself in `seconds` (advanced confirm-by-countdown); any stop cancels."""

    seconds: int


@dataclass(frozen=True, kw_only=True)
class BeltAtRest(Event):
    """Fresh telemetry shows the belt standing still after a stop the engine asked for."""

    why: RestReason


@dataclass(frozen=True, kw_only=True)
class TurnStarted(Event):
    """A turn-around began before step `before_step`."""

    before_step: int
    from_direction: Direction | None
    to_direction: Direction
    window_s: float
    confirm: bool


@dataclass(frozen=True, kw_only=True)
class TurnPhaseChanged(Event):
    """The turn-around moved to `phase`; `remaining_s` is left in the window, when timed."""

    phase: TurnPhase
    remaining_s: float | None


@dataclass(frozen=True, kw_only=True)
class TurnEnded(Event):
    """The turn-around is done; the person now faces `direction`."""

    direction: Direction


@dataclass(frozen=True, kw_only=True)
class TargetSet(Event):
    """A target was written to the treadmill (None: not changed by this write)."""

    speed_kmh: float | None
    incline_pct: float | None


@dataclass(frozen=True, kw_only=True)
class TargetConfirmed(Event):
    """The treadmill acknowledged a control procedure."""

    op: str
    result: str


@dataclass(frozen=True, kw_only=True)
class Override(Event):
    """The person changed a target (nudge, or at the console); kept for the rest of the step."""

    what: str  # "speed" or "incline"
    value: float
    planned: float | None


@dataclass(frozen=True, kw_only=True)
class Hold(Event):
    """The workout is on hold; `advice` says what the person should do."""

    cause: HoldCause
    detail: str
    advice: str


@dataclass(frozen=True, kw_only=True)
class Resumed(Event):
    """The workout left HOLD or PAUSED by an explicit command."""


@dataclass(frozen=True, kw_only=True)
class Paused(Event):
    """The workout was paused by a command."""


@dataclass(frozen=True, kw_only=True)
class CoachMode(Event):
    """retrowalk cannot set targets: the person sets them by hand."""

    reason: str
    speed_kmh: float | None
    incline_pct: float | None


@dataclass(frozen=True, kw_only=True)
class Notice(Event):
    """Something the person should know that does not stop the workout; `safety` ones are spoken."""

    message: str
    safety: bool = False


@dataclass(frozen=True, kw_only=True)
class CommandHandled(Event):
    """A command was accepted or refused."""

    result: CommandResult


@dataclass(frozen=True, kw_only=True)
class HeartRate(Event):
    """A heart-rate reading (also in snapshots); emitted on strap connect/lose."""

    bpm: int | None
    connected: bool


@dataclass(frozen=True, kw_only=True)
class Finished(Event):
    """The workout ended normally; `belt_stopped` is False only if the person kept walking."""

    elapsed_s: float
    distance_m: float
    energy_kcal: float
    steps_completed: int
    steps_skipped: int
    belt_stopped: bool


@dataclass(frozen=True, kw_only=True)
class Aborted(Event):
    """The workout ended early: stop command, emergency stop, error, or interruption."""

    reason: str
    elapsed_s: float
    distance_m: float
    energy_kcal: float
    belt_stopped: bool


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """The whole visible state at one moment; published at a steady rate. Views render this."""

    t: float
    state: EngineState
    step_index: int | None
    step_count: int
    direction: Direction | None
    label: str | None
    target_speed_kmh: float | None
    target_incline_pct: float | None
    actual_speed_kmh: float | None
    actual_incline_pct: float | None
    step_elapsed_s: float
    step_remaining_s: float | None
    step_remaining_m: float | None
    workout_elapsed_s: float
    workout_remaining_s: float
    distance_m: float
    energy_kcal: float
    heart_rate_bpm: int | None
    hold_cause: HoldCause | None
    hold_advice: str | None
    turn_phase: TurnPhase | None
    turn_remaining_s: float | None
    coach_mode: bool
    next_direction: Direction | None
    next_speed_kmh: float | None
    next_incline_pct: float | None
    next_label: str | None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


__all__ = [
    "Aborted",
    "BeltAtRest",
    "ChangeAhead",
    "CoachMode",
    "CommandHandled",
    "Connected",
    "ConnectionLost",
    "EndAhead",
    "EngineState",
    "Finished",
    "HeartRate",
    "Hold",
    "HoldCause",
    "Notice",
    "Override",
    "Paused",
    "Reconnected",
    "RestReason",
    "Resumed",
    "StartAhead",
    "StateChanged",
    "StepFinished",
    "StepStarted",
    "TargetConfirmed",
    "TargetSet",
    "TurnEnded",
    "TurnPhase",
    "TurnPhaseChanged",
    "TurnStarted",
]
