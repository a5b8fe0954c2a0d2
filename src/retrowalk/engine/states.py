"""The engine's states and the reasons it names: who the events and the Snapshot refer to.

CONTRACT shared by engine and sinks (re-exported by retrowalk.engine.events).
"""

from __future__ import annotations

from enum import StrEnum


class EngineState(StrEnum):
    """The engine's state machine (see docs/architecture.md)."""

    CONNECTING = "connecting"
    READY = "ready"
    WAITING_START = "waiting_start"
    RUNNING = "running"
    WAITING_CONFIRM = "waiting_confirm"  # the belt is still: the person confirms to start it
    PAUSED = "paused"
    TURNING = "turning"
    HOLD = "hold"
    FINISHED = "finished"
    ABORTED = "aborted"


class HoldCause(StrEnum):
    """Why the workout is on hold. HOLD never ends by itself."""

    CONSOLE_STOP = "console_stop"
    CONSOLE_PAUSE = "console_pause"
    SAFETY_KEY = "safety_key"
    CONTROL_LOST = "control_lost"
    DISCONNECTED = "disconnected"
    SPEED_NOT_FOLLOWING = "speed_not_following"
    HEART_RATE = "heart_rate"
    EMERGENCY_STOP = "emergency_stop"
    DEVICE_ERROR = "device_error"
    BELT_NOT_STARTED = "belt_not_started"  # Start accepted, but the belt never moved
    BELT_NOT_STOPPED = "belt_not_stopped"  # Stop sent, but telemetry never showed rest in time
    SPEED_ABOVE_CAP = "speed_above_cap"  # the belt stays above the profile's cap (console, machine)
    INCLINE_ABOVE_CAP = "incline_above_cap"  # likewise for the incline
    SPEED_UNITS = "speed_units"  # the belt follows targets by the mph ratio: a machine in mph
    TELEMETRY_LOST = "telemetry_lost"  # no telemetry while the belt is commanded to move
    STEP_OVERDUE = "step_overdue"  # coach mode: a step ran far past its planned time or distance


class TurnPhase(StrEnum):
    """Where a turn-around is."""

    RAMP_DOWN = "ramp_down"
    STOPPING = "stopping"
    WINDOW = "window"  # belt seen at rest (or at the slow speed): the person turns
    AWAITING_CONFIRM = "awaiting_confirm"
    START_COUNTDOWN = "start_countdown"  # advanced only: "starting in 5, 4, ..." instead of a key
    STARTING = "starting"
    RAMP_UP = "ramp_up"


class RestReason(StrEnum):
    """Why the engine stopped the belt (see BeltAtRest)."""

    TURN = "turn"  # the turn window opens
    HOLD = "hold"
    EMERGENCY_STOP = "emergency_stop"
    END = "end"
