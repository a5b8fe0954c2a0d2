"""The simulated person of an unattended simulator run (`retrowalk run --sim ... --yes`).

With --yes nobody stands at the simulated treadmill, so this stand-in does what a person would,
a reaction time after the engine asks (it only ever touches simulated treadmills):
- Console start: some machines ("fr30z") accept Start but wait for their own console's start; on
  the engine's notice it presses it, and on a belt_not_started hold it presses it and resumes.
- Coach mode (a machine without a control point, "data-only", or one that ignores speed,
  "speed-locked"): for each CoachMode event it sets the belt at the console. A speed above 0
  starts a standing belt and keys the speed in; a speed of 0 or none (a turn, a rest) stops
  the belt; an incline is keyed in. An event with neither (the notice on entering coach mode)
  asks for nothing. On a machine retrowalk cannot control at all, the belt is the person's to
  stop at the end too: when the engine counts the end down to `END_LEAD_S`, they press stop
  (with --keep-walking it counts nothing down, and the belt is meant to keep going). The person
  acts on events only: their channel takes no snapshots (subscribe it with snapshots="none").
- Holds: a person waits a little, sets right what the hold names (the safety key back in) and
  resumes, never after an emergency stop (that is for whoever pressed it); a resume the engine
  refuses (the link still down) is tried again. After `GIVE_UP_AFTER` holds without a step
  finishing in between, or a hold it cannot resume, the person stops the workout, so a
  scripted fault run always ends.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

from retrowalk.engine.belt import CONSOLE_START_WARNING
from retrowalk.engine.commands import Command, CommandKind, CommandResult, Origin
from retrowalk.engine.events import (
    CoachMode,
    Connected,
    EndAhead,
    EngineState,
    Hold,
    HoldCause,
    Notice,
    StateChanged,
    StepFinished,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from retrowalk.engine.bus import Channel
    from retrowalk_sim.bleak_backend import SimWorld

REACTION_S = 2.0  # how long the simulated person takes to act at the console
HOLD_PATIENCE_S = 10.0  # how long they stand by a held workout before resuming (or retrying)
GIVE_UP_AFTER = 3  # holds in a row without a step finishing: the person stops the workout
END_LEAD_S = 5.0  # on an uncontrollable machine: stop the belt this long before the end
RESUME_TRIES = 30  # refused resumes of one hold (5 min at HOLD_PATIENCE_S) before giving up


class Console(Protocol):
    """A simulated treadmill's console, as far as the simulated person uses it."""

    @property
    def belt_running(self) -> bool:
        """Return whether the belt moves."""
        ...

    def console_start(self) -> None:
        """Press start."""

    def console_stop(self) -> None:
        """Press stop."""

    def console_set_speed(self, kmh: float) -> None:
        """Key in a belt speed."""

    def console_set_incline(self, pct: float) -> None:
        """Key in an incline."""

    def insert_safety_key(self) -> None:
        """Put the safety key back."""


def consoles_in(world: SimWorld) -> list[Console]:
    """Return the consoles of every simulated treadmill in the room (not heart-rate straps)."""
    return [p.model for p in world.peripherals if hasattr(p.model, "console_set_speed")]


async def run_sim_person(
    channel: Channel,
    consoles: Sequence[Console],
    submit: Callable[[Command], Awaitable[CommandResult]],
    *,
    reaction_s: float = REACTION_S,
    patience_s: float = HOLD_PATIENCE_S,
) -> None:
    """Act as the person on the simulated belt until the engine's bus closes."""
    person = _Person(consoles, submit, reaction_s, patience_s)
    handling: set[asyncio.Task[None]] = set()
    async with asyncio.TaskGroup() as tg:
        async for item in channel:
            person.note(item)
            if isinstance(item, Hold):
                person.holds += 1
                task = tg.create_task(person.handle_hold(item, person.holds), name="hold")
                handling.add(task)
                task.add_done_callback(handling.discard)
            else:
                await person.act(item)
        for task in handling:  # the workout is over: nothing left to resume
            task.cancel()


class _Person:
    """What the simulated person knows and does (the engine's state as last announced)."""

    def __init__(
        self,
        consoles: Sequence[Console],
        submit: Callable[[Command], Awaitable[CommandResult]],
        reaction_s: float,
        patience_s: float,
    ) -> None:
        self.consoles = consoles
        self.submit = submit
        self.reaction_s = reaction_s
        self.patience_s = patience_s
        self.state: EngineState | None = None
        self.holds = 0  # every Hold seen, numbering them: a newer one supersedes an older one
        self.holds_in_a_row = 0
        self.owns_belt = False  # no control point: the person starts and stops the belt
        self.stopped_for_end = False

    def each(self, act: Callable[[Console], None]) -> None:
        for console in self.consoles:
            act(console)

    def note(self, item: object) -> None:
        """Take in what the screen and the engine's events show."""
        if isinstance(item, StateChanged):
            self.state = item.state
        elif isinstance(item, Connected):
            self.owns_belt = not item.controllable
        elif isinstance(item, StepFinished):
            self.holds_in_a_row = 0
        elif isinstance(item, EndAhead) and item.seconds <= END_LEAD_S:
            self.stop_for_the_end()

    async def act(self, item: object) -> None:
        """Do at the console what the engine asks of the person, a reaction time later."""
        if isinstance(item, Notice) and item.message == CONSOLE_START_WARNING:
            await asyncio.sleep(self.reaction_s)
            self.each(lambda c: c.console_start())
        elif isinstance(item, CoachMode):
            await asyncio.sleep(self.reaction_s)
            self.coach(item.speed_kmh, item.incline_pct)

    def stop_for_the_end(self) -> None:
        """Press stop once for the end of the workout, if the belt is the person's to stop."""
        if self.owns_belt and not self.stopped_for_end:
            self.stopped_for_end = True
            self.each(lambda c: c.console_stop())

    def coach(self, speed: float | None, incline: float | None) -> None:
        """Set the belt as a CoachMode event asks."""
        if speed is None and incline is None:
            return  # entering coach mode: the steps' own events say what to set
        for console in self.consoles:
            if speed is None or speed <= 0:
                console.console_stop()
            else:
                if not console.belt_running:
                    console.console_start()
                console.console_set_speed(speed)
            if incline is not None:
                console.console_set_incline(incline)

    async def handle_hold(self, hold: Hold, number: int) -> None:
        """Set right what the hold names, then resume; stop the workout when that is hopeless."""
        self.holds_in_a_row += 1
        not_started = hold.cause == HoldCause.BELT_NOT_STARTED
        await asyncio.sleep(self.reaction_s if not_started else self.patience_s)
        if number != self.holds or self.state != EngineState.HOLD:
            return  # a newer hold took over, or someone resumed already
        if hold.cause == HoldCause.EMERGENCY_STOP:
            return  # whoever pressed it decides: the stand-in never undoes an emergency stop
        if self.holds_in_a_row > GIVE_UP_AFTER:
            await self.submit(Command(CommandKind.STOP, Origin.KEYBOARD))
            return
        if hold.cause == HoldCause.SAFETY_KEY:
            self.each(lambda c: c.insert_safety_key())
        if not_started:
            self.each(lambda c: c.console_start())
        for _ in range(RESUME_TRIES):
            result = await self.submit(Command(CommandKind.RESUME, Origin.KEYBOARD))
            if result.accepted or number != self.holds:
                return
            await asyncio.sleep(self.patience_s)
            if number != self.holds or self.state != EngineState.HOLD:
                return
        await self.submit(Command(CommandKind.STOP, Origin.KEYBOARD))
