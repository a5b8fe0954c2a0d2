"""Pauses and holds: stop the belt as the cause needs, wait for the person, never restart alone.

A pause (a command) pauses the belt; a hold (console, safety key, lost control or link, heart
rate, a belt not following) leaves it stopped. Both end only by an explicit resume, after which
the interrupted segment runs again and starts the belt low. Device trouble inside a segment
becomes a hold, or coach mode when the machine does not support the procedure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrowalk.engine.commands import Origin
from retrowalk.engine.events import EngineState, Hold, HoldCause, Paused, Resumed
from retrowalk.engine.session import Interrupt
from retrowalk.engine.turns import TurnRunner
from retrowalk.errors import ControlRejected, DeviceError, Disconnected
from retrowalk.ftms.models import ResultCode

if TYPE_CHECKING:
    from retrowalk.device.api import Capabilities
    from retrowalk.engine.control import Control
    from retrowalk.engine.options import EngineOptions
    from retrowalk.engine.session import Session

# Causes after which the machine may still be moving, so the engine stops the belt itself.
_STOP_ON_HOLD = {
    HoldCause.HEART_RATE,
    HoldCause.SPEED_NOT_FOLLOWING,
    HoldCause.CONTROL_LOST,
    HoldCause.DEVICE_ERROR,
    HoldCause.BELT_NOT_STARTED,  # the machine took Start: take it back before it runs alone
}


class HoldRunner(TurnRunner):
    """Pause, hold and resume on top of the turn-around; the Walker adds steps."""

    def __init__(
        self, session: Session, control: Control, options: EngineOptions, caps: Capabilities
    ) -> None:
        super().__init__(session, control, options, caps)
        self._resumed_by = Origin.KEYBOARD

    def _on_device_error(self, exc: DeviceError) -> None:
        if isinstance(exc, ControlRejected) and exc.result_code == ResultCode.NOT_SUPPORTED:
            self.enter_coach(f"the treadmill does not accept {exc.op}; set it by hand")
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

    async def _pause(self, request: Interrupt) -> None:
        s = self.s
        if self.control.belt == "running" and s.motion_writes:
            try:
                await self.control.pause()
            except DeviceError as exc:
                self._on_device_error(exc)
        resumed_state = EngineState.TURNING if s.turn_started else EngineState.RUNNING
        s.resume_requested = False  # only a resume from now on counts
        s.set_state(EngineState.PAUSED)
        s.publish(Paused(t=s.elapsed(), origin=request.origin))
        if await self._wait_resume():
            s.publish(Resumed(t=s.elapsed(), origin=self._resumed_by))
            s.set_state(resumed_state)

    async def _hold(self, request: Interrupt) -> None:
        s = self.s
        cause = request.cause or HoldCause.DEVICE_ERROR
        s.hold = request
        resumed_state = EngineState.TURNING if s.turn_started else EngineState.RUNNING
        if cause in _STOP_ON_HOLD and s.motion_writes and s.link_up:
            await self.safe_stop()
        else:
            self.control.mark_stopped()
        s.resume_requested = False  # only a resume from now on counts
        s.set_state(EngineState.HOLD)
        s.publish(
            Hold(
                t=s.elapsed(),
                origin=request.origin,
                cause=cause,
                detail=request.detail,
                advice=request.advice,
            )
        )
        stopped_after_restore = False
        while True:
            if await self._wait_resume(in_hold=True):
                break
            again = s.pending
            if again is None:
                if cause == HoldCause.DISCONNECTED and s.link_up and not stopped_after_restore:
                    # The link is back: make sure the belt is stopped, never restart it.
                    stopped_after_restore = True
                    await self.safe_stop(request_control=True)
                continue
            if again.kind != "hold":
                return  # stop: the caller sees it pending
            s.pending = None
            if s.hold is not None and again.cause == s.hold.cause:
                continue
            s.hold = again
            s.publish(
                Hold(
                    t=s.elapsed(),
                    origin=again.origin,
                    cause=again.cause or HoldCause.DEVICE_ERROR,
                    detail=again.detail,
                    advice=again.advice,
                )
            )
        s.hold = None
        if s.motion_writes:
            s.need_control = True
        s.publish(Resumed(t=s.elapsed(), origin=self._resumed_by))
        s.set_state(resumed_state)

    async def _wait_resume(self, *, in_hold: bool = False) -> bool:
        """Wait for a resume (True), or return False on a stronger interrupt or link news."""
        s = self.s
        link_was_up = s.link_up
        while True:
            if s.resume_requested:
                s.resume_requested = False
                self._resumed_by = s.resume_origin or Origin.KEYBOARD
                return True
            if s.pending is not None and s.pending.kind in {"stop", "hold"}:
                return False  # a stop, or a hold taking over a pause: the caller handles it
            if in_hold and s.link_up and not link_was_up:
                return False
            link_was_up = s.link_up
            s.wake.clear()
            await s.wake.wait()
