"""Fan-out of engine events and snapshots to sinks, each through its own channel.

CONTRACT shared by engine and sinks. The engine calls `publish()` (never blocks, never awaits);
each sink iterates its own `Channel`. A bounded channel drops its oldest item when full and counts
the drops, so a slow sink can never stall the engine; the recorder asks for a lossless channel.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Generic, TypeVar

from retrowalk.engine.events import Event, Snapshot

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

T = TypeVar("T")

Item = Event | Snapshot


class Channel(Generic[T]):
    """One sink's queue: `async for item in channel` until the bus closes."""

    def __init__(self, name: str, maxsize: int | None) -> None:
        self.name = name
        self.maxsize = maxsize
        self.dropped = 0
        self._items: deque[T] = deque()
        self._ready = asyncio.Event()
        self._closed = False

    def put(self, item: T) -> None:
        """Add an item without waiting; drop the oldest when a bounded channel is full."""
        if self._closed:
            return
        if self.maxsize is not None and len(self._items) >= self.maxsize:
            self._items.popleft()
            self.dropped += 1
        self._items.append(item)
        self._ready.set()

    def close(self) -> None:
        """End iteration once the queued items are consumed."""
        self._closed = True
        self._ready.set()

    def get_nowait(self) -> T | None:
        """Return the next item, or None if none is queued."""
        return self._items.popleft() if self._items else None

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[T]:
        while True:
            while self._items:
                yield self._items.popleft()
            if self._closed:
                return
            self._ready.clear()
            await self._ready.wait()


class Bus:
    """The engine's publisher: every subscriber gets every item published after it subscribed."""

    def __init__(self) -> None:
        self._channels: list[Channel[Item]] = []
        self.latest: Snapshot | None = None

    def subscribe(self, name: str, *, maxsize: int | None = 1000) -> Channel[Item]:
        """Return a new channel; `maxsize=None` makes it lossless (the recorder)."""
        channel: Channel[Item] = Channel(name, maxsize)
        self._channels.append(channel)
        return channel

    def unsubscribe(self, channel: Channel[Item]) -> None:
        """Stop delivering to `channel` and close it."""
        if channel in self._channels:
            self._channels.remove(channel)
        channel.close()

    def publish(self, item: Item) -> None:
        """Deliver `item` to every channel without waiting."""
        if isinstance(item, Snapshot):
            self.latest = item
        for channel in self._channels:
            channel.put(item)

    def close(self) -> None:
        """Close every channel (the engine is done)."""
        for channel in self._channels:
            channel.close()
