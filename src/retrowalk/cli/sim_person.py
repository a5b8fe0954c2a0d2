"""The simulated person of an unattended simulator run (`retrowalk run --sim ... --yes`).

Some machines (the "fr30z" profile) accept Start but keep the belt still until someone presses
start on their own console. With --yes nobody is there to do it, so this stand-in does what a
person would: a couple of seconds after the engine asks for the console start, it presses the
simulated console's start; should the workout still go on hold because the belt did not start,
it presses start and resumes. It only ever touches simulated treadmills, never a real one.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

from retrowalk.engine.belt import CONSOLE_START_WARNING
from retrowalk.engine.commands import Command, CommandKind, CommandResult, Origin
from retrowalk.engine.events import Hold, HoldCause, Notice

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from retrowalk.engine.bus import Channel
    from retrowalk_sim.bleak_backend import SimWorld

REACTION_S = 2.0  # how long the simulated person takes to find the console's start


class Console(Protocol):
    """A simulated treadmill's console, as far as the simulated person uses it."""

    def console_start(self) -> None:
        """Press start."""


def consoles_in(world: SimWorld) -> list[Console]:
    """Return the consoles of every simulated treadmill in the room (not heart-rate straps)."""
    return [p.model for p in world.peripherals if hasattr(p.model, "console_start")]


async def run_sim_person(
    channel: Channel,
    consoles: Sequence[Console],
    submit: Callable[[Command], Awaitable[CommandResult]],
    *,
    reaction_s: float = REACTION_S,
) -> None:
    """Act as the person on the simulated belt until the engine's bus closes."""
    async for item in channel:
        if isinstance(item, Notice) and item.message == CONSOLE_START_WARNING:
            await asyncio.sleep(reaction_s)
            for console in consoles:
                console.console_start()
        elif isinstance(item, Hold) and item.cause == HoldCause.BELT_NOT_STARTED:
            await asyncio.sleep(reaction_s)
            for console in consoles:
                console.console_start()
            await submit(Command(CommandKind.RESUME, Origin.KEYBOARD))
