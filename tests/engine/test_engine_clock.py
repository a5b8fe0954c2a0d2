"""clock.repeat: the engine's watch and the recorder's samples run on it, at absolute deadlines."""

from __future__ import annotations

import asyncio
import socket

import pytest

from retrowalk.engine import clock


async def test_repeat_calls_at_each_deadline_it_is_given_and_stops_when_cancelled() -> None:
    """Now, then at every returned deadline, late calls never shifting the ones after."""
    start = clock.now()
    seen: list[float] = []

    def step() -> float:
        seen.append(round(clock.now() - start, 6))
        if len(seen) == 2:
            # A deadline already past (a slow pass of the loop): runs next, then the grid holds.
            return start
        return start + 0.25 * len(seen)

    task = asyncio.create_task(clock.repeat(step))
    await asyncio.sleep(1.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == [0.0, 0.25, 0.25, 0.75, 1.0]
    await asyncio.sleep(5.0)
    assert len(seen) == 5  # cancelled: no timer left behind


async def test_repeat_raises_what_its_step_raises() -> None:
    """An error in the watch reaches the task that awaits it (and so the engine's task group)."""
    calls = 0

    def step() -> float:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("watch failed")
        return clock.now() + 0.25

    with pytest.raises(RuntimeError, match="watch failed"):
        await clock.repeat(step)
    assert calls == 3


def test_fast_mode_reads_what_has_arrived_before_it_jumps_ahead() -> None:
    """A terminal's key or a socket's bytes are read at the time they came, not an hour later."""

    async def main() -> tuple[list[tuple[float, bytes]], float]:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        seen: list[tuple[float, bytes]] = []
        await asyncio.sleep(10)  # the loop has just polled: the next poll could be skipped
        loop.add_reader(ours.fileno(), lambda: seen.append((loop.time(), ours.recv(16))))
        theirs.send(b"key")
        await asyncio.sleep(3600)
        loop.remove_reader(ours.fileno())
        theirs.send(b"unwatched")  # nobody reads it: virtual time goes on jumping
        await asyncio.sleep(3600)
        ours.close()
        theirs.close()
        return seen, loop.time()

    seen, end = clock.run(main, fast=True)
    assert seen == [(10.0, b"key")]
    assert end == 7210.0
