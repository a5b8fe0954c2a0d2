"""What the machine tells the engine: telemetry, what the person did at the console, the link.

`read_device` consumes the device layer's domain events (engine/device/api.py): telemetry goes
to the session and the guard; a stop or pause at the console, the safety key, lost control and a
lost link put the workout on hold; a console Start in a window or a hold is the person's
confirmation; a target changed at the console becomes an override, capped by the guard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrowalk.device.api import (
    ConsoleStarted,
    ConsoleStopped,
    ConsoleTarget,
    ControlLost,
    LinkLost,
    LinkRestored,
    SafetyKeyPulled,
    Telemetry,
)
from retrowalk.engine import clock
from retrowalk.engine.commands import Origin
from retrowalk.engine.events import (
    ConnectionLost,
    EngineState,
    HoldCause,
    Notice,
    Override,
    Reconnected,
    TurnPhase,
)
from retrowalk.errors import DeviceError, SafetyError

if TYPE_CHECKING:
    from retrowalk.device.api import DeviceEvent, DeviceEvents
    from retrowalk.engine.control import Control
    from retrowalk.engine.guard import Guard
    from retrowalk.engine.session import Session

_ADVICE_CONSOLE = "Resume when you are ready: the belt restarts slowly."
_CONFIRMABLE_PHASES = {TurnPhase.WINDOW, TurnPhase.AWAITING_CONFIRM, TurnPhase.START_COUNTDOWN}


class Monitor:
    """The engine's reader of device events."""

    def __init__(self, session: Session, control: Control, guard: Guard) -> None:
        self.s = session
        self.control = control
        self.guard = guard

    async def read_device(self, events: DeviceEvents) -> None:
        """Apply device events as they come (no task wake-up each), until the treadmill closes."""
        try:
            await events.dispatch(self.on_event)
        except DeviceError as exc:
            self.s.hold_for(HoldCause.DEVICE_ERROR, str(exc), "Check the treadmill, then resume.")
            return
        self.s.hold_for(HoldCause.DISCONNECTED, "the treadmill closed", "Reconnect and resume.")

    def on_event(self, event: DeviceEvent) -> None:  # noqa: C901 - one branch per event type
        """Apply one device event."""
        s = self.s
        if isinstance(event, Telemetry):
            self._telemetry(event)
        elif isinstance(event, ConsoleStopped):
            self.control.mark_stopped()
            self.guard.revoke()
            cause = HoldCause.CONSOLE_PAUSE if event.paused else HoldCause.CONSOLE_STOP
            what = "paused" if event.paused else "stopped"
            s.hold_for(cause, f"the belt was {what} at the console", _ADVICE_CONSOLE)
        elif isinstance(event, SafetyKeyPulled):
            self.control.mark_stopped()
            self.guard.revoke()
            s.hold_for(
                HoldCause.SAFETY_KEY,
                "the safety key was pulled",
                "Put the safety key back, then resume.",
            )
        elif isinstance(event, ControlLost):
            s.need_control = True
            s.hold_for(
                HoldCause.CONTROL_LOST,
                event.reason,
                "Close other apps connected to the treadmill, then resume.",
            )
        elif isinstance(event, ConsoleStarted):
            self._console_start()
        elif isinstance(event, ConsoleTarget):
            if event.speed_kmh is not None:
                self._console_speed(event.speed_kmh)
            if event.incline_pct is not None:
                self._console_incline(event.incline_pct)
        elif isinstance(event, LinkLost):
            s.link_up = False
            seen = s.telemetry
            ago = clock.now() - seen.at if seen.speed_kmh is not None else None
            s.publish(
                ConnectionLost(
                    t=s.elapsed(),
                    origin=Origin.DEVICE,
                    reason=event.reason,
                    belt_kmh=seen.speed_kmh,
                    seen_ago_s=ago,
                )
            )
            self.control.mark_stopped()
            self.guard.revoke()
            s.hold_for(
                HoldCause.DISCONNECTED,
                event.reason,
                "The connection dropped; retrowalk is reconnecting. Stop at the console if "
                "you need to; resume once it is back.",
            )
        elif isinstance(event, LinkRestored):
            s.link_up = True
            self.guard.watch.link_restored()
            s.publish(Reconnected(t=s.elapsed(), origin=Origin.DEVICE, attempts=event.attempts))
            s.wake.set()

    # ---- internals ---------------------------------------------------------------------------

    def _telemetry(self, event: Telemetry) -> None:
        s = self.s
        # The device set aside what the machine's declarations contradict (event.suspect says
        # why): those values are None here, so nothing is ever started, stopped or held on them.
        if event.speed_kmh is not None:
            s.telemetry.speed_kmh = event.speed_kmh
            s.telemetry.at = clock.now()
        if event.incline_pct is not None:
            s.telemetry.incline_pct = event.incline_pct
        if event.heart_rate_bpm is not None:
            s.telemetry.heart_rate_bpm = event.heart_rate_bpm
        self.guard.watch.on_telemetry()
        if s.watching_telemetry:
            s.wake.set()  # waits for rest or motion look again

    def _console_start(self) -> None:
        """The person pressed start on the console: their go in a window or a hold."""
        s = self.s
        waiting = s.state in {EngineState.WAITING_START, EngineState.WAITING_CONFIRM}
        in_window = s.state == EngineState.TURNING and s.turn_phase in _CONFIRMABLE_PHASES
        if waiting or in_window:
            self.guard.confirm(Origin.CONSOLE)
            self._note("start pressed at the console: taken as your go")
        elif s.state in {EngineState.HOLD, EngineState.PAUSED} and s.link_up:
            s.resume_requested = True
            s.resume_origin = Origin.CONSOLE
            s.wake.set()
            self._note("start pressed at the console: resuming, the belt restarts slowly")

    def _console_speed(self, value: float) -> None:
        s = self.s
        step = s.step
        if s.state != EngineState.RUNNING or step is None or step.speed is None or s.coach:
            return
        planned = step.speed.at(s.step_fraction())
        try:
            allowed = self.guard.cap_speed(value, step.direction)
        except SafetyError:
            allowed = value
        s.speed_override = allowed
        self.control.commanded_speed = value  # the machine's target now; the walker follows
        s.publish(
            Override(
                t=s.elapsed(), origin=Origin.CONSOLE, what="speed", value=value, planned=planned
            )
        )
        if allowed < value - 1e-6:
            self._note(
                f"{value:g} km/h set at the console is above this step's limit of "
                f"{allowed:g} km/h: slowing back down",
                safety=True,
            )
        s.wake.set()

    def _console_incline(self, value: float) -> None:
        s = self.s
        step = s.step
        if s.state != EngineState.RUNNING or step is None or s.coach:
            return
        s.incline_override = self.guard.cap_incline(value, step.direction)
        self.control.commanded_incline = value
        s.publish(
            Override(
                t=s.elapsed(),
                origin=Origin.CONSOLE,
                what="incline",
                value=value,
                planned=step.incline_pct,
            )
        )
        s.wake.set()

    def _note(self, message: str, *, safety: bool = False) -> None:
        self.s.publish(Notice(t=self.s.elapsed(), message=message, safety=safety))
