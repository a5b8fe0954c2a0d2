"""`retrowalk` as real processes for the cross-process tests: start, read lines, wait, kill.

`Process` reads a child's merged output in the background, so a test can wait for a line
(`await p.wait_for("LINK LOST")`) while the child keeps running, and see everything it printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from pathlib import Path

WAIT_S = 20.0  # generous: two interpreters starting on 2 loaded cores


def environment(data_dir: Path) -> dict[str, str]:
    """Return an environment with no user config and a data folder of the test's own."""
    return {**os.environ, "RETROWALK_CONFIG": os.devnull, "RETROWALK_DATA_DIR": str(data_dir)}


class Process:
    """One `python -m retrowalk ...` child with its output collected line by line."""

    def __init__(self, child: asyncio.subprocess.Process) -> None:
        self.child = child
        self.lines: list[str] = []
        self._grew = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, args: list[str], data_dir: Path) -> Self:
        """Start `retrowalk ARGS`."""
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "retrowalk",
            *args,
            env=environment(data_dir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        return cls(child)

    @property
    def text(self) -> str:
        """Return everything printed so far."""
        return "\n".join(self.lines)

    async def wait_for(self, words: str, *, after: int = 0) -> str:
        """Return the first line from index `after` on that contains `words`."""
        try:
            async with asyncio.timeout(WAIT_S):
                while True:
                    for line in self.lines[after:]:
                        if words in line:
                            return line
                    if self._reader.done():
                        raise AssertionError(f"ended without {words!r}:\n{self.text}")
                    self._grew.clear()
                    await self._grew.wait()
        except TimeoutError:
            raise AssertionError(f"no {words!r} within {WAIT_S:g} s:\n{self.text}") from None

    async def ended(self) -> int:
        """Return the exit code once the child has ended and its output is read."""
        try:
            async with asyncio.timeout(WAIT_S):
                code = await self.child.wait()
                await self._reader
        except TimeoutError:
            raise AssertionError(f"still running after {WAIT_S:g} s:\n{self.text}") from None
        return code

    async def close(self) -> None:
        """Kill the child if it still runs."""
        if self.child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.child.kill()
            await self.child.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def _read(self) -> None:
        stream = self.child.stdout
        assert stream is not None
        while line := await stream.readline():
            self.lines.append(line.decode(errors="replace").rstrip("\n"))
            self._grew.set()
        self._grew.set()


async def start_sim(data_dir: Path, *args: str, port: int = 0) -> tuple[Process, str]:
    """Start `retrowalk sim ARGS` on 127.0.0.1:`port`; return it and the --adapter spec to use."""
    sim = await Process.start(
        ["sim", *args, "--transport", f"tcp-server:127.0.0.1:{port}"], data_dir
    )
    line = await sim.wait_for("--adapter ")
    return sim, line.split("--adapter ", 1)[1].split()[0]
