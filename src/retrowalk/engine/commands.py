"""Commands any controller (keyboard, MQTT, API) sends to the engine, and their results.

CONTRACT shared by engine and every controller. A controller builds a `Command` and awaits
`Engine.submit(command)`, which returns a `CommandResult`; it never touches engine state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Origin(StrEnum):
    """Who caused something: recorded with every command and event."""

    ENGINE = "engine"  # the plan itself
    KEYBOARD = "keyboard"  # the person at the laptop
    CONSOLE = "console"  # the treadmill's own console (Fitness Machine Status)
    REMOTE = "remote"  # an MQTT controller (coach, dashboard, Home Assistant)
    API = "api"  # a program using retrowalk as a library, or --yes
    DEVICE = "device"  # the link or the machine itself (disconnect, safety key)


class CommandKind(StrEnum):
    """What a command asks for."""

    PAUSE = "pause"
    RESUME = "resume"
    SKIP = "skip"
    BACK = "back"
    STOP = "stop"
    EMERGENCY_STOP = "emergency_stop"
    CONFIRM = "confirm"  # start the workout, end a turn window, or resume from HOLD
    NUDGE_SPEED = "nudge_speed"  # value: km/h to add (negative to slow down)
    NUDGE_INCLINE = "nudge_incline"  # value: percentage points to add
    KEEP_WALKING = "keep_walking"  # at the end: leave the belt running


# Commands that can set a still belt in motion (resume, confirm, and skip or back onto a walking
# step). Remote controllers may send them only when the person at the treadmill armed remote
# control; pause, stop and emergency stop always work.
MOTION_COMMANDS = frozenset(
    {CommandKind.RESUME, CommandKind.CONFIRM, CommandKind.SKIP, CommandKind.BACK}
)


@dataclass(frozen=True)
class Command:
    """One request to the engine."""

    kind: CommandKind
    origin: Origin
    value: float | None = None
    request_id: str | None = None  # echoed in the result (MQTT correlation)


@dataclass(frozen=True)
class CommandResult:
    """What the engine did with a command: accepted, or refused with a reason a person reads."""

    command: Command
    accepted: bool
    reason: str = ""
