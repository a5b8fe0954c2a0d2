"""How retrowalk speaks: speech programs behind one non-blocking Speaker that owns its tasks.

A person walking backward faces away from the screen, so every change is spoken. Speaking must
never hold up the engine: `Speaker.say()` only queues; one worker task speaks the queue in order.
A cue whose `valid_until` (loop time) has passed is dropped instead of spoken late, and a newer,
more urgent cue removes older, less urgent ones still waiting (an urgent one also cuts the
utterance in progress). Every cue ends in one SpeechReport (spoken, or dropped and why), handed
to the `on_report` hook: the session log records what the person heard.

Backends: espeak-ng (Linux), `say` (macOS), SAPI through PowerShell (Windows), the terminal
bell, and `off`; sinks/speech.py chooses which (`choose_voice`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Self, TextIO

from retrowalk.errors import ConfigError
from retrowalk.sinks.speech import INFO, URGENT, VoiceChoice, choose_voice, find_program

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path
    from types import TracebackType

_log = logging.getLogger(__name__)

_SAPI_SCRIPT = (
    "Add-Type -AssemblyName System.Speech; "
    "$s = New-Object System.Speech.Synthesis.SpeechSynthesizer; "
    "$s.Speak([Console]::In.ReadToEnd())"
)


class Backend(Protocol):
    """Something that says one utterance; cancelling `speak` silences it at once."""

    name: str

    async def speak(self, text: str, *, priority: int) -> None:
        """Say `text` and return when it has been said."""


class CommandBackend:
    """Speak by running a program that reads the text on its standard input."""

    def __init__(self, name: str, argv: tuple[str, ...]) -> None:
        self.name = name
        self.argv = argv

    async def speak(self, text: str, *, priority: int) -> None:  # noqa: ARG002 - one voice
        """Run the program with `text` on stdin; kill it if cancelled."""
        process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await process.communicate(text.encode("utf-8"))
        finally:
            if process.returncode is None:
                # Cancelled mid-utterance: silence it and reap the child.
                process.kill()
                await asyncio.shield(process.wait())


class BellBackend:
    """Ring the terminal bell: once for a cue, three times for an urgent one."""

    name = "bell"

    def __init__(self, stream: TextIO | None = None) -> None:
        # Textual draws on stdout; a lone BEL on stderr reaches the same terminal harmlessly.
        self._stream = stream if stream is not None else sys.__stderr__

    async def speak(self, text: str, *, priority: int) -> None:  # noqa: ARG002 - no words
        """Ring, then wait a little so rings stay countable."""
        rings = 3 if priority >= URGENT else 1
        for _ in range(rings):
            if self._stream is not None:
                self._stream.write("\a")
                self._stream.flush()
            await asyncio.sleep(0.25)


class SilentBackend:
    """Say nothing (`--voice off`)."""

    name = "off"

    async def speak(self, text: str, *, priority: int) -> None:
        """Do nothing."""


@dataclass(frozen=True)
class SpeechReport:
    """What became of one cue: spoken, or dropped and why; `at` is loop time."""

    at: float
    text: str
    spoken: bool
    # spoken; stale (its moment passed first); superseded (a more urgent cue came); cut (an
    # urgent cue cut it short); failed (the voice program failed); closed (the voice ended first)
    why: str


Report = Callable[[SpeechReport], None]


@dataclass(frozen=True)
class _Queued:
    text: str
    valid_until: float | None
    priority: int


class Speaker:
    """Queue of utterances spoken one at a time by the worker task it owns.

    An async context manager, single-use: `async with make_speaker("auto") as speaker:`.
    `say()` never blocks and never raises for a full queue (the oldest, least urgent cue goes).
    """

    def __init__(
        self, backend: Backend, *, maxsize: int = 8, on_report: Report | None = None
    ) -> None:
        self.backend = backend
        self.maxsize = maxsize
        self.on_report = on_report
        self.dropped_stale = 0
        self.dropped_superseded = 0
        self.failures = 0
        # What was actually said, latest last (tests, diagnostics); bounded for long sessions.
        self.spoken: deque[str] = deque(maxlen=500)
        self._queue: list[_Queued] = []
        self._ready = asyncio.Event()
        self._idle = asyncio.Event()  # nothing queued, nothing being said
        self._current: asyncio.Task[None] | None = None
        self._current_priority = INFO
        self._worker: asyncio.Task[None] | None = None
        self._stack: contextlib.AsyncExitStack | None = None

    async def __aenter__(self) -> Self:
        if self._stack is not None:
            msg = "a Speaker cannot be reopened once it has been used"
            raise RuntimeError(msg)
        self._stack = contextlib.AsyncExitStack()
        await self._stack.enter_async_context(self._running())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._stack is not None
        return await self._stack.__aexit__(exc_type, exc, tb)

    @contextlib.asynccontextmanager
    async def _running(self) -> AsyncIterator[None]:
        """Own the worker in a task group for as long as the `async with` body runs."""
        failure: BaseException | None = None
        async with asyncio.TaskGroup() as group:
            self._worker = group.create_task(self._work(), name=f"speech-{self.backend.name}")
            try:
                yield
            except BaseException as exc:  # noqa: BLE001 - re-raised as itself once the worker is down
                failure = exc
            finally:
                self._worker.cancel()
        for item in self._queue:
            self._report(item, "closed")
        self._queue.clear()
        if failure is not None:
            raise failure

    def say(self, text: str, *, valid_until: float | None = None, priority: int = INFO) -> None:
        """Queue `text`; drop it unsaid if loop time passes `valid_until` before its turn."""
        if self._worker is None or self._worker.done():
            msg = "Speaker.say() needs `async with speaker:` around it"
            raise RuntimeError(msg)
        kept = [q for q in self._queue if q.priority >= priority]
        for item in self._queue:
            if item.priority < priority:
                self._report(item, "superseded")
        self.dropped_superseded += len(self._queue) - len(kept)
        self._queue = kept
        if len(self._queue) >= self.maxsize:
            victim = min(self._queue, key=lambda q: q.priority)
            self._queue.remove(victim)
            self.dropped_superseded += 1
            self._report(victim, "superseded")
        self._queue.append(_Queued(text, valid_until, priority))
        self._idle.clear()
        if priority >= URGENT and self._current is not None and self._current_priority < priority:
            self._current.cancel()
        self._ready.set()

    async def drain(self, *, within_s: float) -> None:
        """Wait until everything queued is said (or dropped), for at most `within_s` seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within_s):
                await self._idle.wait()

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._queue:
                self._idle.set()
                self._ready.clear()
                await self._ready.wait()
            item = self._queue.pop(0)
            if item.valid_until is not None and loop.time() > item.valid_until:
                self.dropped_stale += 1
                self._report(item, "stale")
                continue
            await self._say(item)

    async def _say(self, item: _Queued) -> None:
        """Speak one item in a task of its own, so a more urgent cue can cut just this one."""
        self._current_priority = item.priority
        why = "spoken"
        try:
            try:
                async with asyncio.TaskGroup() as utterance:
                    self._current = utterance.create_task(
                        self.backend.speak(item.text, priority=item.priority),
                        name="speech-utterance",
                    )
            except* Exception:  # noqa: BLE001 - a failing voice program is an aid lost, never fatal
                why = "failed"
                self.failures += 1
        except asyncio.CancelledError:
            why = "closed"  # the Speaker is closing
            raise
        finally:
            if why == "spoken" and self._current is not None and self._current.cancelled():
                why = "cut"
            self._current = None
            self._current_priority = INFO
            if why == "spoken":
                self.spoken.append(item.text)
            self._report(item, why)

    def _report(self, item: _Queued, why: str) -> None:
        if self.on_report is None:
            return
        report = SpeechReport(asyncio.get_running_loop().time(), item.text, why == "spoken", why)
        try:
            self.on_report(report)
        except Exception:  # noqa: BLE001 - a broken log hook must not silence the voice
            _log.exception("the speech report hook failed")


def make_backend(choice: VoiceChoice) -> Backend:
    """Return the backend that runs `choice` (see speech.choose_voice)."""
    program = choice.program
    if choice.kind == "espeak" and program is not None:
        return CommandBackend("espeak", (program, "-s", "160"))
    if choice.kind == "say" and program is not None:
        return CommandBackend("say", (program,))
    if choice.kind == "sapi" and program is not None:
        return CommandBackend("sapi", (program, "-NoProfile", "-Command", _SAPI_SCRIPT))
    if choice.kind == "bell":
        return BellBackend()
    return SilentBackend()


def make_speaker(voice: str | VoiceChoice, *, on_report: Report | None = None) -> Speaker:
    """Return a Speaker for a voice name (see speech.KINDS) or a choice; enter it to use it."""
    choice = choose_voice(voice) if isinstance(voice, str) else voice
    return Speaker(make_backend(choice), on_report=on_report)


async def render_to_wav(text: str, path: Path) -> None:
    """Render `text` with espeak-ng into the WAV file `path` (ConfigError if not installed)."""
    exe = find_program("espeak")
    if exe is None:
        raise ConfigError("espeak-ng is not installed (apt install espeak-ng)")
    process = await asyncio.create_subprocess_exec(
        exe,
        "-s",
        "160",
        "-w",
        str(path),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await process.communicate(text.encode("utf-8"))
    finally:
        if process.returncode is None:
            process.kill()
            await asyncio.shield(process.wait())
    if process.returncode != 0:
        raise ConfigError(
            f"espeak-ng could not write {path}: {err.decode(errors='replace').strip()}"
        )
