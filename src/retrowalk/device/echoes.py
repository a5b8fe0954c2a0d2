"""Fitness Machine Status -> what the person did, with the machine's echoes of our writes removed.

Many machines send a status for a change the client made itself (target speed changed after our
Set Target Speed, stopped after our Stop), often before the Control Point indication. Before each
write the device registers the echo the write may cause; a status that matches one is consumed
and goes no further. What remains is the person at the console, the safety key or the machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.device.api import (
    ConsoleStarted,
    ConsoleStopped,
    ConsoleTarget,
    ControlLost,
    SafetyKeyPulled,
)
from retrowalk.ftms.models import ControlOp, StatusOp, StopKind

if TYPE_CHECKING:
    from retrowalk.device.api import DeviceEvent
    from retrowalk.ftms.models import ControlRequest, MachineStatus

ECHO_WINDOW_S = 5.0  # an echo of our write arrives within this time of sending it
ECHO_GRACE_S = 1.0  # ... and at most this long after the procedure completed
_MATCH = 0.051  # a target echo matches within half a wire step of 0.1

# The status kind each control op may be echoed with.
_ECHO_OF: dict[int, str] = {
    ControlOp.STOP_OR_PAUSE: "halt",
    ControlOp.START_OR_RESUME: "start",
    ControlOp.SET_TARGET_SPEED: "speed",
    ControlOp.SET_TARGET_INCLINATION: "incline",
    ControlOp.RESET: "reset",
}


@dataclass
class Expected:
    """A status the machine may send for one of our own writes."""

    kind: str
    value: float | None
    until: float


class StatusInterpreter:
    """Registers the echoes our writes may cause and turns every other status into an event."""

    def __init__(self, *, speed_factor: float = 1.0) -> None:
        self._expected: list[Expected] = []
        self._speed_factor = speed_factor  # real km/h per number in the machine's targets

    def expect(self, request: ControlRequest, now: float) -> Expected | None:
        """Register the echo `request` may cause (before it is written); return its token."""
        kind = _ECHO_OF.get(request.op)  # IntEnum keys match a raw op code too
        if kind is None:
            return None
        value = request.speed_kmh if kind == "speed" else request.incline_pct
        expected = Expected(kind, value, now + ECHO_WINDOW_S)
        self._expected.append(expected)
        return expected

    def settle(self, token: Expected | None, now: float) -> None:
        """The write completed (or was cut off): its echo, if any, comes within the grace time."""
        if token is not None:
            token.until = min(token.until, now + ECHO_GRACE_S)

    def withdraw(self, token: Expected | None) -> None:
        """The write was refused: no echo will come."""
        if token is not None and token in self._expected:
            self._expected.remove(token)

    def interpret(self, status: MachineStatus, now: float) -> DeviceEvent | None:  # noqa: C901, PLR0911 - one answer per status
        """Return what `status` means for the engine, or None for an echo or an irrelevant op."""
        op = status.op
        if op == StatusOp.STOPPED_OR_PAUSED_BY_USER:
            if self._consume("halt", None, now):
                return None
            return ConsoleStopped(paused=status.stop_kind == StopKind.PAUSE)
        if op == StatusOp.STOPPED_BY_SAFETY_KEY:
            return SafetyKeyPulled()
        if op == StatusOp.CONTROL_PERMISSION_LOST:
            return ControlLost("the treadmill withdrew control")
        if op == StatusOp.RESET:
            return (
                None
                if self._consume("reset", None, now)
                else ControlLost("the treadmill was reset")
            )
        if op == StatusOp.STARTED_OR_RESUMED_BY_USER:
            return None if self._consume("start", None, now) else ConsoleStarted()
        speed, incline = status.target_speed_kmh, status.target_incline_pct
        if op == StatusOp.TARGET_SPEED_CHANGED and speed is not None:
            if self._consume("speed", speed, now):
                return None
            return ConsoleTarget(speed_kmh=round(speed * self._speed_factor, 2))
        if op == StatusOp.TARGET_INCLINE_CHANGED and incline is not None:
            if self._consume("incline", incline, now):
                return None
            return ConsoleTarget(incline_pct=incline)
        return None

    def clear(self) -> None:
        """Forget every expected echo (the link dropped)."""
        self._expected.clear()

    def _consume(self, kind: str, value: float | None, now: float) -> bool:
        self._expected = [e for e in self._expected if e.until >= now]
        for item in self._expected:
            if item.kind != kind:
                continue
            if value is None or item.value is None or abs(item.value - value) < _MATCH:
                self._expected.remove(item)
                return True
        return False
