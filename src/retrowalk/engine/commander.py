"""Commands from every controller: decided at once, applied by the engine's own tasks.

`submit()` decides synchronously whether a command is accepted in the current state (a
person reads the reason when it is not), records CommandHandled, and hands the work to the
walker through the session. A confirmation goes to the guard, the only one who lets a still belt
start. The emergency stop closes the control gate and breaks into the running segment before it
returns to the event loop, so the Stop is the next control write; the workout then holds. It is
never refused: after the end it still stops the belt (it may be running: --keep-walking, a final
Stop lost in a link outage), re-sending Stop until telemetry shows rest or a bound passes.
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
from retrowalk.engine.events import (
    CommandHandled,
    EngineState,
    HoldCause,
    Notice,
    Override,
    TurnPhase,
)
from retrowalk.engine.session import Interrupt
from retrowalk.errors import SafetyError
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from retrowalk.device.api import Treadmill
    from retrowalk.engine.after_end import AfterEnd
    from retrowalk.engine.belt import BeltMoves
    from retrowalk.engine.control import Control
    from retrowalk.engine.guard import Guard
    from retrowalk.engine.options import EngineOptions
    from retrowalk.engine.session import Session

_TERMINAL = {EngineState.FINISHED, EngineState.ABORTED}
_CONFIRMABLE_PHASES = {TurnPhase.WINDOW, TurnPhase.AWAITING_CONFIRM, TurnPhase.START_COUNTDOWN}
_EPS = 1e-6


class Commander:
    """Decides and applies commands; owns the emergency stop."""

    def __init__(  # noqa: PLR0913 - the parts a command may touch
        self,
        session: Session,
        control: Control,
        *,
        guard: Guard,
        belt: BeltMoves,
        options: EngineOptions,
        treadmill: Treadmill,
        after_end: AfterEnd,
    ) -> None:
        self.s = session
        self.after_end = after_end
        self.control = control
        self.guard = guard
        self.belt = belt
        self.options = options
        self.treadmill = treadmill
        self.estop_requested = asyncio.Event()
        self.estop_done = asyncio.Event()
        self.estop_done.set()
        self._stopper_running = False

    async def submit(self, command: Command) -> CommandResult:
        """Decide `command`, record the decision, and (emergency stop) wait for the Stop."""
        if command.kind == CommandKind.EMERGENCY_STOP and self.s.state in _TERMINAL:
            # Never refused; the reason, if any, says what the person must do themselves.
            return CommandResult(command, accepted=True, reason=await self.after_end.stop())
        if command.kind == CommandKind.EMERGENCY_STOP:
            result = self._emergency(command)
        else:
            reason = self._decide(command)
            result = CommandResult(command, accepted=not reason, reason=reason)
        self.s.publish(CommandHandled(t=self.s.elapsed(), origin=command.origin, result=result))
        if command.kind == CommandKind.EMERGENCY_STOP and self._stopper_running:
            await self.estop_done.wait()
        return result

    async def estop_guard(self) -> None:
        """Wait for emergency stops; write each Stop right after the call in flight."""
        self._stopper_running = True
        try:
            while True:
                await self.estop_requested.wait()
                self.estop_requested.clear()
                await self._bounded_stop("emergency stop not confirmed")
                self.estop_done.set()
        finally:
            self._stopper_running = False
            self.estop_done.set()

    # ---- decisions ---------------------------------------------------------------------------

    def _emergency(self, command: Command) -> CommandResult:
        if self.s.state not in _TERMINAL:
            # Close the gate first: from here on no engine write but Stop reaches the device.
            self.control.halt()
            self.guard.revoke()
            self.s.interrupt(
                Interrupt(
                    "hold",
                    command.origin,
                    cause=HoldCause.EMERGENCY_STOP,
                    detail="emergency stop",
                    advice="Resume when you are ready (the belt restarts slowly), or quit.",
                )
            )
            self.estop_done.clear()
            self.estop_requested.set()
        return CommandResult(command, accepted=True)

    async def _bounded_stop(self, failure: str) -> None:
        if not self.s.motion_writes:
            self._warn("stop the belt at the console: retrowalk cannot control this treadmill")
            return
        if why := await self.guard.watch.stop_once():
            self._warn(f"{failure}: {why}; pull the safety key or stop at the console")

    def _warn(self, message: str) -> None:
        self.s.publish(Notice(t=self.s.elapsed(), message=message, safety=True))

    def _decide(self, command: Command) -> str:  # noqa: C901, PLR0911 - one branch per command
        """Return "" to accept `command` (and apply it), else the reason it is refused."""
        s = self.s
        kind = command.kind
        state = s.state
        if state in _TERMINAL:
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
            if state not in {EngineState.RUNNING, EngineState.TURNING, EngineState.WAITING_CONFIRM}:
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
        waiting = s.state in {EngineState.WAITING_START, EngineState.WAITING_CONFIRM}
        if waiting or (s.state == EngineState.TURNING and s.turn_phase in _CONFIRMABLE_PHASES):
            self.guard.confirm(command.origin)
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
        held = s.hold.cause if s.state == EngineState.HOLD and s.hold is not None else None
        if held == HoldCause.SPEED_UNITS:
            # Every target would run the belt 1.6 times too fast again: only a restart with the
            # machine's setting fixes it.
            return (
                "this treadmill reads target speeds as mph: resuming would run the belt 1.6 "
                "times too fast again. Quit, add the setting the hold names, and start again"
            )
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
        try:
            value = self._nudged_speed(current, command.value, direction)
        except SafetyError as exc:
            return str(exc)
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

    def _nudge_incline(self, command: Command) -> str:  # noqa: PLR0911 - one reason per refusal
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
        try:
            value = self._nudged_incline(current, command.value, direction)
        except SafetyError as exc:
            return str(exc)
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

    def _nudged_speed(self, current: float, delta: float, direction: Direction) -> float:
        """Return the speed a nudge of `delta` gives: at least one grid step, within the caps."""
        value = self.guard.cap_speed(max(current + delta, self.belt.low_speed(None)), direction)
        rng = self.treadmill.capabilities.speed_range
        if abs(value - current) < _EPS and rng is not None and rng.increment_kmh > abs(delta):
            # A nudge smaller than the machine's step moves by one step (0.1 on a 0.5 grid).
            step = math.copysign(rng.increment_kmh, delta)
            value = self.guard.cap_speed(max(current + step, self.belt.low_speed(None)), direction)
        return value

    def _nudged_incline(self, current: float, delta: float, direction: Direction) -> float:
        """Return the incline a nudge of `delta` gives: at least one grid step, within caps."""
        value = self.guard.cap_incline(current + delta, direction)
        rng = self.treadmill.capabilities.incline_range
        if abs(value - current) < _EPS and rng is not None and rng.increment_pct > abs(delta):
            value = self.guard.cap_incline(
                current + math.copysign(rng.increment_pct, delta), direction
            )
        return value
