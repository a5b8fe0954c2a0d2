"""The process around a run: stop signals, a terminal that hangs up, an output that closes.

Ctrl-C, `kill` and a closed terminal window (hang-up) all stop the belt and save the session:
`on_stop_signals()` routes them to the session's handler instead of ending the process on the
spot (by default SIGTERM and SIGHUP would, with the belt still running). After a hang-up, the
dead terminal is detached; after a closed output, later writes go nowhere instead of failing.
`terminal_guard()` turns a terminal that goes away without a hang-up signal into one.
`OneLineFormatter` writes a library's warning as one plain line on stderr.
`screen_possible()` says whether the screen app can draw and hear keys here;
`stdin_can_bring_lines()` says whether a person's typed confirmations could ever arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import stat
import sys
import threading
import traceback
from typing import TYPE_CHECKING, Any, TextIO

from retrowalk.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)

_COLOUR = re.compile(r"\x1b\[[0-9;]*m")

# After a hang-up, how long the belt stop and the session log may take before a process whose
# screen app cannot shut down on the dead terminal is ended anyway (it would otherwise keep the
# treadmill's Bluetooth connection from any other app).
HANGUP_EXIT_GRACE_S = 15.0


@contextlib.contextmanager
def on_stop_signals(handler: Callable[[int], None]) -> Iterator[None]:
    """Route Ctrl-C, SIGTERM and SIGHUP to `handler(signum)` while inside (where allowed)."""
    loop = asyncio.get_running_loop()
    installed: list[int] = []
    for signum in STOP_SIGNALS:
        try:
            loop.add_signal_handler(signum, handler, signum)
        except (NotImplementedError, RuntimeError, ValueError):
            # Windows or not the main thread: Ctrl-C cancels the main task; the recorder still
            # writes its summary from its finally block.
            continue
        installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def announce_stop(signum: int) -> None:
    """Say that the belt is stopping; after a hang-up, detach from the dead terminal first."""
    detach_if_hung_up(signum)
    say("stopping the belt...")


def detach_if_hung_up(signum: int) -> None:
    """Detach from the terminal if `signum` is its hang-up (see detach_terminal)."""
    if signum == getattr(signal, "SIGHUP", None):
        detach_terminal()


def say(line: str) -> None:
    """Print `retrowalk: line` on stderr, unless stderr is gone too."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        print(f"retrowalk: {line}", file=sys.stderr, flush=True)


def detach_terminal() -> None:
    """Point whichever standard streams were the (hung-up) terminal at /dev/null, then guard.

    Writes to a hung-up terminal fail or block. Textual's writer thread can still deadlock its
    shutdown on the dead terminal and freeze the event loop, so a watchdog thread (a thread:
    the loop may be frozen) ends the process once the belt stop and the session log have had
    their time.
    """
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            with contextlib.suppress(OSError):
                if stat.S_ISCHR(os.fstat(fd).st_mode):  # the terminal; pipes and files still work
                    os.dup2(devnull, fd)
        os.close(devnull)
    watchdog = threading.Timer(HANGUP_EXIT_GRACE_S, os._exit, (128 + signal.SIGHUP,))
    watchdog.daemon = True
    watchdog.start()


def silence_stdout() -> None:
    """Send later writes to stdout (and the interpreter's final flush) to /dev/null."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def stdin_fd() -> int | None:
    """Return the file descriptor of standard input, or None where there is none to read."""
    try:
        return sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):  # replaced or closed stdin (tests, daemons)
        return None


def screen_possible() -> bool:
    """Return whether the screen app can draw here; ConfigError if stdout is closed.

    The screen needs a terminal on standard output and on standard error (Textual draws on
    stderr): `run ... 2> log.txt` in a terminal prints lines instead of drawing into the log.
    It also needs one on standard input, where its keys come from: a screen saying "Esc stops
    the belt" that no key can reach would be a lie, so `run ... < /dev/null` prints lines. A
    terminal that says it is dumb (TERM=dumb) gets lines too.
    """
    try:
        terminal = sys.stdout.isatty()
    except (AttributeError, ValueError, OSError):  # None (closed before start) or closed file
        raise ConfigError(
            "standard output is closed, so nothing could show the workout: send it to a file "
            "or to /dev/null (> run.log) instead of closing it"
        ) from None
    if os.environ.get("TERM") == "dumb":  # Emacs' shell, some IDE consoles: no cursor to move
        return False
    try:
        return terminal and sys.stderr.isatty() and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def stdin_can_bring_lines() -> bool:
    """Return whether standard input is a terminal, a pipe or a socket: where a person types.

    /dev/null, a regular file or a closed stdin never brings a line later: a run that waits for
    the person's Enter on it would wait forever.
    """
    if (fd := stdin_fd()) is None:
        return False
    try:
        mode = os.fstat(fd).st_mode
    except OSError:  # closed
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or (stat.S_ISCHR(mode) and os.isatty(fd))


class _TerminalOutput:
    """A terminal stream whose writes never fail: the first failure is reported as a hang-up."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._gone = False

    def write(self, text: str) -> int:
        if not self._gone:
            try:
                return self._stream.write(text)
            except (OSError, ValueError):
                self._hang_up()
        return len(text)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._hang_up()

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - every other attribute of a stream
        return getattr(self._stream, name)

    def _hang_up(self) -> None:
        # Said as the terminal would, with a hang-up: the session's handler stops the belt.
        self._gone = True
        if hasattr(signal, "SIGHUP"):
            os.kill(os.getpid(), signal.SIGHUP)


@contextlib.contextmanager
def terminal_guard() -> Iterator[None]:
    """While inside, a terminal that fails under the screen app raises SIGHUP, once.

    Textual writes the screen to `sys.__stderr__` from a writer thread. When the terminal goes
    away without a hang-up signal (no controlling terminal, an emulator that just closes), that
    thread dies on the first failed write, and the app's next writes block the event loop for
    good, engine and emergency stop included. Through this guard no write fails: the first
    failure becomes a hang-up, which stops the belt and saves the session like a closed window.
    """
    original = sys.__stderr__
    if original is None:
        yield
        return
    sys.__stderr__ = _TerminalOutput(original)  # type: ignore[misc,assignment]  # typeshed: Final
    try:
        yield
    finally:
        sys.__stderr__ = original  # type: ignore[misc]  # typeshed: Final


class OneLineFormatter(logging.Formatter):
    """A library's warning as one plain line: no traceback, no terminal colours.

    What went wrong reaches the person as retrowalk's own error line; the traceback of an error
    a library handled itself (bumble logs one for a lost transport) would only bury it. The
    exception's own line stays, so "Exception while sending command:" does not end in nothing.
    """

    def formatException(self, ei: object) -> str:  # noqa: N802 - logging's own name
        """Return only the exception's own line (its type and message), not the traceback."""
        if not isinstance(ei, tuple) or len(ei) != 3 or ei[1] is None:
            return ""
        return traceback.format_exception_only(ei[1])[-1].strip()

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line without colour codes."""
        return _COLOUR.sub("", super().format(record)).strip().replace("\n", " ")
