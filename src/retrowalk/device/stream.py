"""Device events fanned out to subscribers, each a bounded queue behind `async for`.

Callbacks from bleak publish; each `events()` call gets its own subscription. A slow consumer
loses the oldest telemetry records first; status and link events are never dropped, because a
stop at the console or a lost link must always reach the engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, Self

from retrowalk.device.api import Telemetry

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from retrowalk.device.api import DeviceEvent

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 256


class EventSubscription:
    """One consumer's bounded queue of device events; an async iterator and context manager.

    Iteration ends when the treadmill closes; it raises the hub's closing error if there is one.
    `dispatch(handler)` delivers the same events in the same order as they are published, with
    the same end: no task wakes per event (a telemetry record is a wake-up saved).
    """

    def __init__(self, hub: EventHub, maxsize: int) -> None:
        self._hub = hub
        self._maxsize = maxsize
        self._queue: deque[DeviceEvent] = deque()
        self._ready = asyncio.Event()
        self._handler: Callable[[DeviceEvent], None] | None = None
        self._dispatched: asyncio.Future[None] | None = None  # done: closed, or handler raised
        self._delivering = False
        self.dropped = 0

    def __aiter__(self) -> EventSubscription:
        return self

    async def __anext__(self) -> DeviceEvent:
        while not self._queue:
            if self._hub.closed:
                self._hub.unsubscribe(self)
                if self._hub.error is not None:
                    raise self._hub.error
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()

    async def dispatch(self, handler: Callable[[DeviceEvent], None]) -> None:
        """Call `handler` with every event, queued ones first, until the treadmill closes.

        Raises the hub's closing error as iteration does; what `handler` raises ends the
        dispatch and is raised here, never in the publisher. An event published while `handler`
        runs is delivered after it returns (to this subscription; other subscriptions may see
        it before the one being handled). Cancelled, events queue again for the next reader.
        """
        if self._handler is not None:
            raise RuntimeError("this subscription already dispatches to a handler")
        done = asyncio.get_running_loop().create_future()
        self._handler, self._dispatched = handler, done
        try:
            self._deliver()
            await done
        except asyncio.CancelledError:
            if done.done() and not done.cancelled() and done.exception() is not None:
                log.exception(
                    "a device event handler failed as it was cancelled", exc_info=done.exception()
                )
            raise
        finally:
            self._handler = self._dispatched = None
        self._hub.unsubscribe(self)
        if self._hub.error is not None:
            raise self._hub.error

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop receiving events."""
        self._hub.unsubscribe(self)
        self._queue.clear()

    def _put(self, event: DeviceEvent) -> None:
        if len(self._queue) >= self._maxsize and isinstance(event, Telemetry):
            self._drop_oldest_record()
        self._queue.append(event)
        self._wake()

    def _drop_oldest_record(self) -> None:
        for index, queued in enumerate(self._queue):
            if isinstance(queued, Telemetry):
                del self._queue[index]
                self.dropped += 1
                if self.dropped in {1, 10, 100} or self.dropped % 1000 == 0:
                    log.warning("a slow consumer lost %d telemetry records", self.dropped)
                return

    def _wake(self) -> None:
        if self._handler is not None:
            self._deliver()
        else:
            self._ready.set()

    def _deliver(self) -> None:
        handler, done = self._handler, self._dispatched
        if handler is None or done is None or done.done() or self._delivering:
            return  # delivering already: the loop below takes what was just queued
        self._delivering = True
        try:
            # done.done() again at each event: the handler may have cancelled its own dispatch.
            while self._queue and not done.done():
                try:
                    handler(self._queue.popleft())
                except Exception as exc:  # noqa: BLE001 - raised by dispatch(), to its caller
                    if not done.done():  # StopIteration cannot travel in a future: wrapped
                        wrapped = RuntimeError(exc) if isinstance(exc, StopIteration) else exc
                        done.set_exception(wrapped)
                    return
        finally:
            self._delivering = False
        if self._hub.closed and not done.done():
            done.set_result(None)


class EventHub:
    """Publishes device events to every current subscription."""

    def __init__(self) -> None:
        self._subscriptions: list[EventSubscription] = []
        self.closed = False
        self.error: BaseException | None = None

    def subscribe(self, maxsize: int = DEFAULT_QUEUE_SIZE) -> EventSubscription:
        """Return a new subscription receiving every event published from now on."""
        subscription = EventSubscription(self, maxsize)
        if not self.closed:
            self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: EventSubscription) -> None:
        """Stop delivering to `subscription` (idempotent)."""
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    def publish(self, event: DeviceEvent) -> None:
        """Deliver `event` to every subscription without blocking."""
        for subscription in self._subscriptions:
            subscription._put(event)  # noqa: SLF001 - the hub owns its subscriptions' queues

    def close(self, error: BaseException | None = None) -> None:
        """End every subscription after its queued events; with `error`, they raise it."""
        if self.closed:
            return
        self.closed = True
        self.error = error
        for subscription in self._subscriptions:
            subscription._wake()  # noqa: SLF001 - the hub owns its subscriptions
