"""Commands from every controller: decided at once, applied by the engine's own tasks.

`submit()` decides synchronously whether a command is accepted in the current state (a
person reads the reason when it is not), records CommandHandled, and hands the work to the
walker through the session. The emergency stop closes the control gate and cancels the
walker before it returns to the event loop, so the Stop is the next control write.
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING

from retrowalk.engine.commands import (
    MOTION_COMMANDS,
    Command,
    CommandKind,
    CommandResult,
    Origin,
)
from retrowalk.engine.events import CommandHandled, EngineState, Notice, Override, TurnPhase
from retrowalk.engine.session import Interrupt
from retrowalk.errors import DeviceError
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from retrowalk.device.api import Treadmill
    from retrowalk.engine.control import Control
    from retrowalk.engine.options import EngineOptions
    from retrowalk.engine.session import Session
    from retrowalk.engine.walk import Walker

_TERMINAL = {EngineState.FINISHED, EngineState.ABORTED}
_EPS = 1e-6


class Commander:
    """Decides and applies commands; owns the emergency stop."""

    def __init__(
        self,
        session: Session,
        control: Control,
        walker: Walker,
        options: EngineOptions,
        treadmill: Treadmill,
    ) -> None:
        self.s = session
        self.control = control
        self.walker = walker
        self.options = options
        self.treadmill = treadmill
        self.estop: Command | None = None
        self.estop_requested = asyncio.Event()
        self.estop_done = asyncio.Event()
        self.estop_stopped = False
        self.walker_task: asyncio.Task[object] | None = None
        self._guard_running = False

    async def submit(self, command: Command) -> CommandResult:
        """Decide `command`, record the decision, and (emergency stop) wait for the Stop."""
        if command.kind == CommandKind.EMERGENCY_STOP:
            result = self._emergency(command)
        else:
            reason = self._decide(command)
            result = CommandResult(command, accepted=not reason, reason=reason)
        self.s.publish(CommandHandled(t=self.s.elapsed(), origin=command.origin, result=result))
        if command.kind == CommandKind.EMERGENCY_STOP and self._guard_running:
            await self.estop_done.wait()
        return result

    async def estop_guard(self) -> None:
        """Wait for an emergency stop; write Stop right after the call in flight."""
        self._guard_running = True
        try:
            await self.estop_requested.wait()
            if self.s.motion_writes:
                try:
                    async with asyncio.timeout(self.options.stop_timeout_s):
                        await self.control.emergency_stop()
                    self.estop_stopped = True
                except (DeviceError, TimeoutError) as exc:
                    self.s.publish(
                        Notice(
                            t=self.s.elapsed(),
                            message=f"emergency stop not confirmed: {exc}; "
                            "pull the safety key or stop at the console",
                        )
                    )
        finally:
            self._guard_running = False
            self.estop_done.set()

    # ---- decisions ---------------------------------------------------------------------------

    def _emergency(self, command: Command) -> CommandResult:
        if self.s.state in _TERMINAL:
            return CommandResult(command, accepted=False, reason="the workout has already ended")
        if self.estop is None:
            self.estop = command
            # Close the gate first: from here on no engine write but the Stop reaches the device.
            self.control.halt()
            self.s.interrupt(Interrupt("stop", command.origin, detail="emergency stop"))
            if self.walker_task is not None:
                self.walker_task.cancel()
            self.estop_requested.set()
        return CommandResult(command, accepted=True)

    def _decide(self, command: Command) -> str:  # noqa: C901, PLR0911 - one branch per command
        """Return "" to accept `command` (and apply it), else the reason it is refused."""
        s = self.s
        kind = command.kind
        state = s.state
        if state in _TERMINAL or self.estop is not None:
            return "the workout has already ended"
        if (
            command.origin == Origin.REMOTE
            and kind in MOTION_COMMANDS
            and not self.options.remote_control
        ):
            return (
                f"remote control is off: {kind.value} could start the belt, so only the person at "
                "the treadmill may do it (start retrowalk with --remote-control to allow it)"
            )
        if kind == CommandKind.STOP:
            s.interrupt(Interrupt("stop", command.origin, detail=f"stopped ({command.origin})"))
            return ""
        if kind == CommandKind.KEEP_WALKING:
            s.keep_walking = True
            return ""
        if kind == CommandKind.CONFIRM:
            return self._confirm(command)
        if kind == CommandKind.RESUME:
            return self._resume(command)
        if kind == CommandKind.PAUSE:
            if state not in {EngineState.RUNNING, EngineState.TURNING}:
                return f"nothing to pause: the workout is {state.value.replace('_', ' ')}"
            s.interrupt(Interrupt("pause", command.origin))
            return ""
        if kind in {CommandKind.SKIP, CommandKind.BACK}:
            if state not in {EngineState.RUNNING, EngineState.TURNING}:
                return f"cannot {kind.value} now: the workout is {state.value.replace('_', ' ')}"
            s.interrupt(Interrupt(kind.value, command.origin))
            return ""
        if kind == CommandKind.NUDGE_SPEED:
            return self._nudge_speed(command)
        if kind == CommandKind.NUDGE_INCLINE:
            return self._nudge_incline(command)
        return f"unknown command {kind!r}"

    def _confirm(self, command: Command) -> str:
        s = self.s
        if s.state == EngineState.WAITING_START:
            s.confirmed = True
            s.wake.set()
            return ""
        if s.state == EngineState.TURNING and s.turn_phase in {
            TurnPhase.WINDOW,
            TurnPhase.AWAITING_CONFIRM,
        }:
            step = s.plan.steps[s.index]
            if not self.walker.turn_spec(step).confirm:
                return "no confirmation needed: the belt restarts when the turn window ends"
            s.confirmed = True
            s.wake.set()
            return ""
        if s.state in {EngineState.PAUSED, EngineState.HOLD}:
            return self._resume(command)
        return "nothing to confirm now"

    def _resume(self, command: Command) -> str:
        s = self.s
        if s.state not in {EngineState.PAUSED, EngineState.HOLD}:
            return f"nothing to resume: the workout is {s.state.value.replace('_', ' ')}"
        if not s.link_up or not self.treadmill.is_connected:
            return "the treadmill is not connected: wait until it reconnects, then resume"
        s.resume_requested = True
        s.resume_origin = command.origin
        s.wake.set()
        return ""

    def _walking_step(self, what: str) -> tuple[str, Direction | None]:
        s = self.s
        step = s.step
        if s.state != EngineState.RUNNING or step is None:
            return f"cannot change the {what} now: only while walking a step", None
        if step.direction == Direction.REST:
            return f"cannot change the {what} during a rest", None
        if s.coach:
            return f"coach mode: change the {what} at the treadmill's console", None
        return "", step.direction

    def _nudge_speed(self, command: Command) -> str:
        s = self.s
        refused, direction = self._walking_step("speed")
        if refused or direction is None:
            return refused
        step = s.step
        assert step is not None
        if command.value is None or not math.isfinite(command.value):
            return "a speed nudge needs a finite number of km/h"
        current = s.target_speed(step) or self.control.commanded_speed
        wanted = current + command.value
        value = self.control.limit_speed(max(wanted, self.walker.low_speed(None)), direction)
        if abs(value - current) < _EPS:
            return f"the speed stays at {current:g} km/h: that is the limit for this step"
        planned = step.speed.at(s.step_fraction()) if step.speed else None
        s.speed_override = value
        s.publish(
            Override(
                t=s.elapsed(), origin=command.origin, what="speed", value=value, planned=planned
            )
        )
        s.wake.set()
        return ""

    def _nudge_incline(self, command: Command) -> str:
        s = self.s
        refused, direction = self._walking_step("incline")
        if refused or direction is None:
            return refused
        step = s.step
        assert step is not None
        if direction == Direction.BACKWARD:
            return "the incline changes only while walking forward or with the belt stopped"
        if not self.treadmill.capabilities.can_set_incline:
            return "this treadmill cannot set an incline"
        if command.value is None or not math.isfinite(command.value):
            return "an incline nudge needs a finite number of percentage points"
        current = s.target_incline(step)
        value = self.control.limit_incline(current + command.value, direction)
        if abs(value - current) < _EPS:
            return f"the incline stays at {current:g} %: that is the limit for this step"
        s.incline_override = value
        s.publish(
            Override(
                t=s.elapsed(),
                origin=command.origin,
                what="incline",
                value=value,
                planned=step.incline_pct,
            )
        )
        s.wake.set()
        return ""
