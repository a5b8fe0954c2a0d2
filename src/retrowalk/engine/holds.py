"""Pauses and holds: the guard keeps the belt still, the person resumes, nothing restarts alone.

A pause (a command) pauses the belt; a hold (console, safety key, lost control or link, heart
rate, a belt not following or not stopping, caps, an emergency stop) hands the belt to the guard,
which keeps it still until telemetry shows rest, whatever the cause and across reconnects. Both
end only by an explicit resume, which is also the confirmation for the restart: the interrupted
segment runs again and starts the belt low. Device trouble inside a segment becomes a hold, or
coach mode when the machine does not support the procedure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrowalk.engine.commands import Origin
from retrowalk.engine.events import (
    EngineState,
    Hold,
    HoldCause,
    Paused,
    RestReason,
    Resumed,
)
from retrowalk.engine.session import Interrupt
from retrowalk.errors import ControlRejected, DeviceError, Disconnected

if TYPE_CHECKING:
    from retrowalk.engine.belt import BeltMoves
    from retrowalk.engine.control import Control
    from retrowalk.engine.guard import Guard
    from retrowalk.engine.session import Session

# Causes after which the machine may still be driving the belt: Stop at once. For the others
# (console, safety key, a lost link) the machine stops by itself; the guard Stops only when
# telemetry does not show rest in time (and, for a lost link, as soon as it is back).
_STOP_NOW = frozenset(
    {
        HoldCause.HEART_RATE,
        HoldCause.SPEED_NOT_FOLLOWING,
        HoldCause.CONTROL_LOST,
        HoldCause.DEVICE_ERROR,
        HoldCause.BELT_NOT_STARTED,  # the machine took Start: take it back before it runs alone
        HoldCause.BELT_NOT_STOPPED,
        HoldCause.SPEED_ABOVE_CAP,
        HoldCause.INCLINE_ABOVE_CAP,
        HoldCause.SPEED_UNITS,
        HoldCause.TELEMETRY_LOST,
        HoldCause.STEP_OVERDUE,
    }
)


class HoldRunner:
    """Pause, hold and resume."""

    def __init__(self, session: Session, belt: BeltMoves, guard: Guard, control: Control) -> None:
        self.s = session
        self.belt = belt
        self.guard = guard
        self.control = control
        self._resumed_by = Origin.KEYBOARD

    def on_device_error(self, exc: DeviceError) -> None:
        """Turn device trouble inside a segment into coach mode or a hold."""
        if isinstance(exc, ControlRejected) and exc.not_supported:
            self.belt.enter_coach(f"the treadmill does not accept {exc.op}; set it by hand")
            if exc.op.lower().startswith(("start", "stop", "pause")):
                self.s.motion_writes = False
            return
        cause = HoldCause.DISCONNECTED if isinstance(exc, Disconnected) else HoldCause.DEVICE_ERROR
        self.s.interrupt(
            Interrupt(
                "hold",
                Origin.DEVICE,
                cause=cause,
                detail=str(exc),
                advice="Check the treadmill and its console, then resume.",
            )
        )

    async def pause(self, request: Interrupt) -> None:
        """Pause the belt and wait for a resume (or a stronger interrupt)."""
        s = self.s
        if self.control.belt == "running" and s.motion_writes:
            try:
                await self.guard.pause()
            except DeviceError as exc:
                self.on_device_error(exc)
        self.guard.watch.keep_stopped(RestReason.HOLD, stop_now=False)
        resumed_state = _resumed_state(s)
        s.resume_requested = False  # only a resume from now on counts
        s.set_state(EngineState.PAUSED)
        s.publish(Paused(t=s.elapsed(), origin=request.origin))
        if await self._wait_resume():
            self._release(request_control=False)
            s.publish(Resumed(t=s.elapsed(), origin=self._resumed_by))
            s.set_state(resumed_state)

    async def hold(self, request: Interrupt) -> None:
        """Hold: the guard keeps the belt still until the person resumes (or stops)."""
        s = self.s
        cause = request.cause or HoldCause.DEVICE_ERROR
        s.hold = request
        resumed_state = _resumed_state(s)
        estop = cause == HoldCause.EMERGENCY_STOP
        why = RestReason.EMERGENCY_STOP if estop else RestReason.HOLD
        self.guard.watch.keep_stopped(why, stop_now=cause in _STOP_NOW and s.link_up)
        if cause == HoldCause.CONTROL_LOST:
            s.need_control = True
        self.control.mark_stopped()
        s.resume_requested = False  # only a resume from now on counts
        s.set_state(EngineState.HOLD)
        self._publish(request, cause)
        while not await self._wait_resume():
            again = s.pending
            if again is None or again.kind != "hold":
                return  # stop: the caller sees it pending
            s.pending = None
            if s.hold is not None and again.cause == s.hold.cause:
                continue
            s.hold = again
            if again.cause == HoldCause.EMERGENCY_STOP:
                self.guard.watch.keep_stopped(RestReason.EMERGENCY_STOP, stop_now=False)
            self._publish(again, again.cause or HoldCause.DEVICE_ERROR)
        s.hold = None
        self._release(request_control=True)
        s.publish(Resumed(t=s.elapsed(), origin=self._resumed_by))
        s.set_state(resumed_state)

    # ---- internals ---------------------------------------------------------------------------

    def _publish(self, request: Interrupt, cause: HoldCause) -> None:
        s = self.s
        s.publish(
            Hold(
                t=s.elapsed(),
                origin=request.origin,
                cause=cause,
                detail=request.detail,
                advice=request.advice,
            )
        )

    def _release(self, *, request_control: bool) -> None:
        """The person resumed: the gate opens, and the resume is the restart's confirmation."""
        self.guard.watch.release()
        self.control.reopen()
        if self.s.motion_writes and request_control:
            self.s.need_control = True
        self.guard.confirm(self._resumed_by)

    async def _wait_resume(self) -> bool:
        """Wait for a resume (True), or return False on a stronger interrupt."""
        s = self.s
        while True:
            if s.resume_requested:
                s.resume_requested = False
                self._resumed_by = s.resume_origin or Origin.KEYBOARD
                return True
            if s.pending is not None and s.pending.kind in {"stop", "hold"}:
                return False  # a stop, or a hold taking over a pause: the caller handles it
            s.wake.clear()
            await s.wake.wait()


def _resumed_state(s: Session) -> EngineState:
    """Return the state a resume returns to (the interrupted segment then sets its own)."""
    if s.started_at is None:
        return EngineState.WAITING_START
    return EngineState.TURNING if s.turn_started else EngineState.RUNNING
