"""What the person at the laptop sees during `retrowalk run`: plain lines, or the screen app.

`show()` follows the display channel from before the treadmill connects until the engine is
done: the screen app draws CONNECTING at once, while the treadmill is still being found (a
real machine takes seconds), and reaches the engine through an `EngineLink`, which exists
before the engine does. Plain mode prints a line per event and reads line commands from stdin;
the screen app gets every key as a command. When the output goes away (a broken pipe, a closed
terminal) nobody watches the belt any more, so the engine is stopped (its exit path stops the
belt) and `show()` returns False; the session then ends as usual, with the session log
complete. Under the screen app, a terminal that goes away is a hang-up
(run_terminal.terminal_guard), handled like a closed window.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from importlib import import_module
from typing import TYPE_CHECKING, TypeVar

from retrowalk.cli.console import print_events, read_commands
from retrowalk.cli.run_terminal import silence_stdout, stdin_fd, terminal_guard
from retrowalk.engine.commands import Command, CommandKind, CommandResult, Origin
from retrowalk.engine.guard import countdown_allowed
from retrowalk.errors import EXIT_FAILURE, RetrowalkError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from retrowalk.cli.run_options import RunOptions
    from retrowalk.cli.run_prepare import Prepared
    from retrowalk.engine.bus import Channel
    from retrowalk.workout import Plan

    Submit = Callable[[Command], Awaitable[CommandResult]]

T = TypeVar("T")
_STOPS = frozenset({CommandKind.STOP, CommandKind.EMERGENCY_STOP})
NOT_CONNECTED = "the treadmill is not connected yet"


class StoppedBeforeStartError(RetrowalkError):
    """The person stopped the run while the treadmill was still connecting: nothing moved.

    Exit 1 for a stop on the screen; for a signal, as shells report one (130 Ctrl-C, 143 kill).
    """

    def __init__(self, signum: int = 0) -> None:
        self.exit_code = 128 + signum if signum else EXIT_FAILURE
        by = f" ({signal.Signals(signum).name})" if signum else ""
        super().__init__(f"stopped before the treadmill connected{by}: nothing was started")


class EngineLink:
    """The display's way to the engine, which exists only once the treadmill has connected.

    Until `attach`, a stop or an emergency stop gives up connecting (no belt moves before the
    engine runs: there is nothing to stop, and the person does not want to start) and every
    other command is refused with NOT_CONNECTED. `plan` is the plan fitted to the machine,
    known once connected. The engine is attached only once the display reads keys
    (`listening`): a key typed while the screen was still loading waits in the terminal, and
    an Esc among them must give up before anything starts, not stop a belt it let start.
    """

    def __init__(self) -> None:
        self.plan: asyncio.Future[Plan] = asyncio.get_running_loop().create_future()
        self.given_up = False
        self._signum = 0  # the signal that gave up, if one did
        self._engine: tuple[Submit, asyncio.Task[object]] | None = None
        self._connecting: asyncio.Timeout | None = None
        self._listening = asyncio.Event()

    async def connecting(self, connect: Awaitable[T]) -> T:
        """Await `connect`; raise StoppedBeforeStartError if the person stops meanwhile."""
        if self.given_up:
            raise StoppedBeforeStartError(self._signum)
        try:
            async with asyncio.timeout(None) as scope:
                self._connecting = scope
                connected = await connect
        except TimeoutError:
            if scope.expired() and self.given_up:
                raise StoppedBeforeStartError(self._signum) from None
            raise
        finally:
            self._connecting = None
        if self.given_up:  # stopped as the connection came up
            raise StoppedBeforeStartError(self._signum)
        return connected

    def listening(self) -> None:
        """Say that the display reads keys now (what was typed before has reached it)."""
        self._listening.set()

    async def until_listening(self) -> None:
        """Wait until the display reads keys; StoppedBeforeStartError if a stop came first."""
        await self._listening.wait()
        if self.given_up:
            raise StoppedBeforeStartError(self._signum)

    def attach(self, submit: Submit, engine_task: asyncio.Task[object], plan: Plan) -> None:
        """Reach the engine from now on (stopping it at once if the person gave up just now)."""
        self._engine = (submit, engine_task)
        if not self.plan.done():
            self.plan.set_result(plan)
        if self.given_up:
            engine_task.cancel()  # the engine's exit path stops the belt

    async def submit(self, command: Command) -> CommandResult:
        """Send `command` to the engine; before there is one, a stop gives up connecting."""
        if self._engine is not None:
            return await self._engine[0](command)
        if command.kind not in _STOPS:
            return CommandResult(command, accepted=False, reason=NOT_CONNECTED)
        self.give_up()
        return CommandResult(command, accepted=True)

    def give_up(self, signum: int = 0) -> None:
        """Stop connecting (StoppedBeforeStartError ends the run), or the engine once it runs.

        `signum` is the signal that asked for it (0: the person, on the screen).
        """
        if not self.given_up:
            self.given_up, self._signum = True, signum
        self._listening.set()  # nobody waits for keys that will not matter now
        if self._engine is not None:
            self._engine[1].cancel()
        elif self._connecting is not None:
            self._connecting.reschedule(-1.0)  # due at once: the connection is abandoned

    @property
    def attached(self) -> bool:
        """Return whether the engine exists (the treadmill has connected)."""
        return self._engine is not None

    @property
    def ended(self) -> bool:
        """Return whether the engine has run and is done."""
        return self._engine is not None and self._engine[1].done()

    @property
    def running(self) -> bool:
        """Return whether the engine runs (attached and not done)."""
        return self._engine is not None and not self._engine[1].done()

    async def end(self) -> None:
        """Stop the engine (its exit path stops the belt) and wait, or stop connecting."""
        self.give_up()
        if self._engine is not None:
            await asyncio.wait([self._engine[1]])


async def show(
    prepared: Prepared,
    channel: Channel,
    link: EngineLink,
) -> bool:
    """Show the workout until it ends; return False if the output closed and stopped it."""
    options = prepared.options
    if options.plain:
        link.listening()  # its line reader starts with it
        closed = False
        try:
            await _plain(prepared, channel, link.submit)
        except* OSError:
            # `retrowalk run ... | head` (EPIPE) or a closed terminal (EIO).
            closed = True
        if closed:
            silence_stdout()
            await link.end()
        return not closed
    try:
        # Textual's import (about half a second) runs in a thread while the treadmill connects.
        await asyncio.get_running_loop().run_in_executor(None, import_module, "retrowalk.cli.tui")
        from retrowalk.cli.tui import RetrowalkApp  # noqa: PLC0415 - textual only for a screen
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
            app = RetrowalkApp(
                channel,
                link.submit,
                plan=prepared.plan,
                title=prepared.plan.name,
                options=screen,
                fitted=link.plan,  # the plan fitted to the machine, once it has connected
                listening=link.listening,  # keys reach it: the engine may start
            )
            await app.run_async()
    except Exception:
        # A broken screen cannot show the belt: stop it before the error ends the session, so
        # the session log still gets the engine's last events.
        await link.end()
        raise
    if link.running:
        # The person quit the app before the end: stop the workout (the engine stops the belt).
        await link.submit(Command(CommandKind.STOP, Origin.KEYBOARD))
    elif not link.plan.done():
        link.give_up()  # quit while connecting: the run ends before anything started
    return True


async def _plain(prepared: Prepared, channel: Channel, submit: Submit) -> None:
    """Print a line per event; take line commands from stdin when a person confirms."""
    options = prepared.options
    async with asyncio.TaskGroup() as tg:
        keys = None
        if not options.auto_confirm and (fd := stdin_fd()) is not None:
            keys = tg.create_task(_read_until_the_end(options, submit, fd), name="keys")
        await print_events(
            channel,
            sys.stdout,
            verbose=options.verbose,
            prompts=not options.auto_confirm,
            units=options.units,
        )
        if keys is not None:
            keys.cancel()  # the workout is over: no more commands


async def _read_until_the_end(options: RunOptions, submit: Submit, fd: int) -> None:
    """Take typed commands; when standard input ends, say what still confirms and stops.

    On the in-process simulator nothing else can confirm the next turn or rest, so the
    workout stops there and then instead of waiting forever on a stopped belt.
    """
    await read_commands(submit, fd, sys.stdout)
    if options.confirmed_only_by_typing:
        print(
            "standard input ended, and nothing else can confirm on the simulator: stopping the "
            "workout (--yes lets the simulated person confirm)",
            flush=True,
        )
        await submit(Command(CommandKind.STOP, Origin.KEYBOARD))
    else:
        print(
            "standard input ended: from now on the treadmill's Start (or the remote control) "
            "confirms; its Stop or Ctrl-C here stops",
            flush=True,
        )


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
