"""Fan-out of engine events and snapshots to sinks, each through its own channel.

CONTRACT shared by engine and sinks. The engine calls `publish()` (never blocks, never awaits);
each sink iterates its own `Channel`. The policy, stated once here:
- events are never dropped, for any sink: a HOLD reaches a slow screen as surely as the recorder
  (the engine publishes a few events a second, so their queue stays short);
- snapshots follow the policy the sink chose when it subscribed: "latest" keeps only the newest
  one not yet taken (a slow screen skips snapshots, counted in `dropped`), "all" keeps every one,
  "none" delivers none (sinks that only need events cost nothing at the snapshot rate).
Items come out in the order they were published.

`latest` is the state now, for a sink that samples on its own deadline (the session log, once a
second): while the engine runs it is built from the engine's source when read, at most once per
loop time, so the engine builds snapshots at its rate only while a channel takes them
(`takes_snapshots`). Once the engine is done, it is the engine's final state.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from typing import TYPE_CHECKING, Literal

from retrowalk.engine import clock
from retrowalk.engine.events import Event, Snapshot

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

Item = Event | Snapshot
SnapshotPolicy = Literal["latest", "all", "none"]


class Channel:
    """One sink's queue: `async for item in channel` until the bus closes."""

    def __init__(self, name: str, snapshots: SnapshotPolicy) -> None:
        self.name = name
        self.snapshots: SnapshotPolicy = snapshots
        self.dropped = 0  # snapshots skipped under the "latest" policy
        self._items: deque[Item] = deque()
        self._latest: Snapshot | None = None  # "latest": the newest snapshot, not yet queued
        self._ready = asyncio.Event()
        self._closed = False

    def put(self, item: Item) -> None:
        """Add an item without waiting, under the channel's policy."""
        if self._closed:
            return
        if isinstance(item, Snapshot):
            if self.snapshots == "none":
                return
            if self.snapshots == "latest":
                if self._latest is not None:
                    self.dropped += 1
                self._latest = item
                self._ready.set()
                return
        elif self._latest is not None:
            # Keep the order: the snapshot published before this event comes out before it.
            self._items.append(self._latest)
            self._latest = None
        self._items.append(item)
        self._ready.set()

    def close(self) -> None:
        """End iteration once the queued items are consumed."""
        self._closed = True
        self._ready.set()

    def get_nowait(self) -> Item | None:
        """Return the next item, or None if none is queued."""
        if self._items:
            return self._items.popleft()
        latest, self._latest = self._latest, None
        return latest

    def __aiter__(self) -> AsyncIterator[Item]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Item]:
        while True:
            item = self.get_nowait()
            while item is not None:
                yield item
                item = self.get_nowait()
            if self._closed:
                return
            self._ready.clear()
            await self._ready.wait()


class Bus:
    """The engine's publisher: every subscriber gets every item published after it subscribed."""

    def __init__(self) -> None:
        self._channels: list[Channel] = []
        self.takes_snapshots = False  # whether any channel takes snapshots
        self._latest: Snapshot | None = None
        self._latest_at = math.nan  # the loop time `_latest` was built or published at
        self._source: Callable[[], Snapshot] | None = None

    @property
    def latest(self) -> Snapshot | None:
        """Return the newest snapshot: the state now while a source is set (see the module)."""
        if self._source is not None:
            now = clock.now()
            if now != self._latest_at:
                self._latest, self._latest_at = self._source(), now
        return self._latest

    def snapshots_from(self, source: Callable[[], Snapshot] | None) -> None:
        """Build `latest` from `source` when read (the engine's state now).

        None: no longer; `latest` keeps the state at this moment, or what is published after.
        """
        if source is None and self._source is not None:
            self._latest = self.latest
        self._source = source
        self._latest_at = math.nan

    def subscribe(self, name: str, *, snapshots: SnapshotPolicy = "latest") -> Channel:
        """Return a new channel: every event, and snapshots under `snapshots` (see the module)."""
        channel = Channel(name, snapshots)
        self._channels.append(channel)
        self._count_takers()
        return channel

    def unsubscribe(self, channel: Channel) -> None:
        """Stop delivering to `channel` and close it."""
        if channel in self._channels:
            self._channels.remove(channel)
            self._count_takers()
        channel.close()

    def publish(self, item: Item) -> None:
        """Deliver `item` to every channel without waiting."""
        if isinstance(item, Snapshot):
            self._latest = item
            self._latest_at = clock.now() if self._source is not None else math.nan
        for channel in self._channels:
            channel.put(item)

    def _count_takers(self) -> None:
        self.takes_snapshots = any(c.snapshots != "none" for c in self._channels)

    def close(self) -> None:
        """Close every channel (the engine is done)."""
        for channel in self._channels:
            channel.close()
