"""How retrowalk speaks: text-to-speech backends behind one non-blocking Speaker.

A person walking backward faces away from the screen, so every change is spoken. Speaking must
never hold up the engine: `Speaker.say()` only queues; one worker task speaks the queue in order.
A cue whose `valid_until` (loop time) has passed is dropped instead of spoken late, and a newer,
more urgent cue removes older, less urgent ones still waiting (an urgent one also cuts the
utterance in progress).

Backends: espeak-ng (Linux), `say` (macOS), SAPI through PowerShell (Windows), the terminal
bell, and `off`. `make_speaker("auto")` picks the first that exists here.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Self, TextIO

from retrowalk.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path
    from types import TracebackType

KINDS = ("auto", "espeak", "say", "sapi", "bell", "off")

# Priorities: a cue at URGENT or above cuts a less urgent utterance in progress.
INFO = 0
CHANGE = 5
URGENT = 10

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
class _Queued:
    text: str
    valid_until: float | None
    priority: int


class Speaker:
    """Queue of utterances spoken one at a time by one owned worker task.

    An async context manager, single-use: `async with make_speaker("auto") as speaker:`.
    `say()` never blocks and never raises for a full queue (the oldest, least urgent cue goes).
    """

    def __init__(self, backend: Backend, *, maxsize: int = 8) -> None:
        self.backend = backend
        self.maxsize = maxsize
        self.dropped_stale = 0
        self.dropped_superseded = 0
        self.failures = 0
        # What was actually said, latest last (tests, diagnostics); bounded for long sessions.
        self.spoken: deque[str] = deque(maxlen=500)
        self._queue: list[_Queued] = []
        self._ready = asyncio.Event()
        self._current: asyncio.Task[None] | None = None
        self._current_priority = INFO
        self._group: asyncio.TaskGroup | None = None
        self._worker: asyncio.Task[None] | None = None
        self._used = False

    async def __aenter__(self) -> Self:
        if self._used:
            msg = "a Speaker cannot be reopened once it has been used"
            raise RuntimeError(msg)
        self._used = True
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        self._worker = self._group.create_task(self._work(), name=f"speech-{self.backend.name}")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._group is not None
        assert self._worker is not None
        self._worker.cancel()
        await self._group.__aexit__(exc_type, exc, tb)

    def say(self, text: str, *, valid_until: float | None = None, priority: int = INFO) -> None:
        """Queue `text`; drop it unsaid if loop time passes `valid_until` before its turn."""
        if self._worker is None or self._worker.done():
            msg = "Speaker.say() needs `async with speaker:` around it"
            raise RuntimeError(msg)
        kept = [q for q in self._queue if q.priority >= priority]
        self.dropped_superseded += len(self._queue) - len(kept)
        self._queue = kept
        if len(self._queue) >= self.maxsize:
            victim = min(self._queue, key=lambda q: q.priority)
            self._queue.remove(victim)
            self.dropped_superseded += 1
        self._queue.append(_Queued(text, valid_until, priority))
        if priority >= URGENT and self._current is not None and self._current_priority < priority:
            self._current.cancel()
        self._ready.set()

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._queue:
                self._ready.clear()
                await self._ready.wait()
            item = self._queue.pop(0)
            if item.valid_until is not None and loop.time() > item.valid_until:
                self.dropped_stale += 1
                continue
            self._current_priority = item.priority
            self._current = asyncio.create_task(  # owned: awaited right here, cancelled on exit
                self.backend.speak(item.text, priority=item.priority),
                name="speech-utterance",
            )
            try:
                await self._current
                self.spoken.append(item.text)
            except asyncio.CancelledError:
                if self._worker is not None and self._worker.cancelling():
                    self._current.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._current
                    raise
                # Only the utterance was cut by a more urgent cue: carry on with the queue.
            except OSError:
                # The voice program vanished or failed to start: cues are an aid, never fatal.
                self.failures += 1
            finally:
                self._current = None
                self._current_priority = INFO


def available_kinds() -> list[str]:
    """Return the backends usable on this machine, best first."""
    found: list[str] = []
    if sys.platform == "darwin" and shutil.which("say"):
        found.append("say")
    if sys.platform == "win32" and (shutil.which("powershell") or shutil.which("pwsh")):
        found.append("sapi")
    if shutil.which("espeak-ng") or shutil.which("espeak"):
        found.append("espeak")
    found += ["bell", "off"]
    return found


def make_backend(kind: str) -> Backend:
    """Return the backend `kind` (see KINDS); ConfigError if it is not usable here."""
    if kind not in KINDS:
        raise ConfigError(f"--voice {kind!r} is not known; choose one of {', '.join(KINDS)}")
    if kind == "auto":
        kind = available_kinds()[0]
    if kind == "espeak":
        exe = shutil.which("espeak-ng") or shutil.which("espeak")
        if exe is None:
            raise ConfigError(
                "--voice espeak: espeak-ng is not installed (apt install espeak-ng), "
                "or use --voice bell / off"
            )
        return CommandBackend("espeak", (exe, "-s", "160"))
    if kind == "say":
        exe = shutil.which("say")
        if exe is None:
            raise ConfigError("--voice say: the macOS `say` command is not on PATH")
        return CommandBackend("say", (exe,))
    if kind == "sapi":
        exe = shutil.which("powershell") or shutil.which("pwsh")
        if exe is None:
            raise ConfigError("--voice sapi: PowerShell is not on PATH (Windows only)")
        return CommandBackend("sapi", (exe, "-NoProfile", "-Command", _SAPI_SCRIPT))
    if kind == "bell":
        return BellBackend()
    return SilentBackend()


def make_speaker(kind: str) -> Speaker:
    """Return a Speaker for `kind` (auto, espeak, say, sapi, bell, off); enter it to use it."""
    return Speaker(make_backend(kind))


async def render_to_wav(text: str, path: Path) -> None:
    """Render `text` with espeak-ng into the WAV file `path` (ConfigError if not installed)."""
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
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
