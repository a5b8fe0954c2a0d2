"""What the person at the laptop sees during `retrowalk run`: plain lines, or the screen app.

`show()` follows the display channel until the engine is done. Plain mode prints a line per
event and reads line commands from stdin; the screen app gets every key as a command. When the
output goes away (a broken pipe, a closed terminal) nobody watches the belt any more, so the
engine is stopped (its exit path stops the belt) and `show()` returns False; the session then
ends as usual, with the session log complete. Under the screen app, a terminal that goes away
is a hang-up (run_terminal.terminal_guard), handled like a closed window.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

from retrowalk.cli.console import print_events, read_commands
from retrowalk.cli.run_terminal import silence_stdout, stdin_fd, terminal_guard
from retrowalk.engine.commands import Command, CommandKind, Origin
from retrowalk.engine.guard import countdown_allowed

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from retrowalk.cli.run_prepare import Prepared
    from retrowalk.engine.bus import Channel
    from retrowalk.engine.commands import CommandResult

    Submit = Callable[[Command], Awaitable[CommandResult]]


async def show(
    prepared: Prepared,
    channel: Channel,
    submit: Submit,
    engine_task: asyncio.Task[object],
    *,
    screen_app: Awaitable[object] | None = None,
) -> bool:
    """Show the workout until it ends; return False if the output closed and stopped it.

    `screen_app` is the import of the screen app started earlier (see run_session), if any.
    """
    options = prepared.options
    if options.plain:
        closed = False
        try:
            await _plain(prepared, channel, submit)
        except* OSError:
            # `retrowalk run ... | head` (EPIPE) or a closed terminal (EIO).
            closed = True
        if closed:
            silence_stdout()
            await end_engine(engine_task)
        return not closed
    try:
        if screen_app is not None:
            await screen_app  # imported in a thread while the treadmill connected
        from retrowalk.cli.tui import run_app  # noqa: PLC0415 - textual only for a screen
        from retrowalk.cli.tui_view import ScreenOptions  # noqa: PLC0415 - likewise
        from retrowalk.sinks.speech import choose_voice  # noqa: PLC0415 - lazy

        voice = choose_voice(options.voice).describe()
        screen = ScreenOptions(
            units=options.units,
            remote_keys=options.remote_keys,
            voice=voice,
            notes=ready_notes(prepared),
        )
        with terminal_guard():  # a terminal gone without a hang-up signal: one all the same
            await run_app(
                channel, submit, plan=prepared.plan, title=prepared.plan.name, options=screen
            )
    except Exception:
        # A broken screen cannot show the belt: stop it before the error ends the session, so
        # the session log still gets the engine's last events.
        await end_engine(engine_task)
        raise
    if not engine_task.done():
        # The person quit the app before the end: stop the workout (the engine stops the belt).
        await submit(Command(CommandKind.STOP, Origin.KEYBOARD))
    return True


async def _plain(prepared: Prepared, channel: Channel, submit: Submit) -> None:
    """Print a line per event; take line commands from stdin when a person confirms."""
    options = prepared.options
    async with asyncio.TaskGroup() as tg:
        keys = None
        if not options.auto_confirm and (fd := stdin_fd()) is not None:
            keys = tg.create_task(read_commands(submit, fd, sys.stdout), name="keys")
        await print_events(
            channel,
            sys.stdout,
            verbose=options.verbose,
            prompts=not options.auto_confirm,
            units=options.units,
        )
        if keys is not None:
            keys.cancel()  # the workout is over: no more commands


async def end_engine(engine_task: asyncio.Task[object]) -> None:
    """Cancel the engine (its exit path stops the belt) and wait until it is done."""
    engine_task.cancel()
    await asyncio.wait([engine_task])


def ready_notes(prepared: Prepared) -> tuple[str, ...]:
    """Return the READY screen's lines about how this run confirms, and what it records."""
    options = prepared.options
    notes = ["Start on the treadmill's console also confirms a turn, a rest's end or a resume"]
    timed = sum(
        countdown_allowed(prepared.profile, confirm=t.turn.confirm)
        for t in prepared.plan.transitions
    )
    if timed and not options.auto_confirm:
        turns = "turn-around" if timed == 1 else "turn-arounds"
        notes.append(
            f"Countdown start ({prepared.profile.name}): after {timed} {turns} the belt restarts "
            'by itself after "Starting in 5"; press Space or Esc to wait'
        )
    if not options.record:
        notes.append("Not recording: --no-record (no session log is kept)")
    return tuple(notes)
