"""The room watcher: the MQTT client behind `retrowalk monitor`.

`watch_room()` yields (treadmill id, leaf, payload) for every state, status and session message,
reconnecting for ever with retrowalk's one backoff. It holds a connection while suspended, so
its consumer closes it explicitly:

    async with contextlib.aclosing(watch_room(broker, link=link)) as feed:
        async for treadmill_id, leaf, payload in feed:
            ...

Received messages are kept newest-per-topic (`LatestPerTopic`): a flood of states costs only
the states nobody would have seen, and a flood of new topics is bounded and counted.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from itertools import islice
from typing import TYPE_CHECKING

from retrowalk.backoff import Backoff
from retrowalk.broker.client import MqttError, connect, describe, wait_unbounded
from retrowalk.broker.incoming import Discards

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Iterator

    from retrowalk.broker.client import Message
    from retrowalk.broker.url import Broker
    from retrowalk.room.model import Link

log = logging.getLogger("retrowalk.mqtt")

LEAVES = ("state", "status", "session")
MAX_TOPICS = 3 * 1000  # the three leaves of a thousand treadmills waiting at once


class LatestPerTopic:
    """An `Incoming` policy for retained-style topics: only the newest message of each waits."""

    def __init__(self, discards: Discards, *, max_topics: int = MAX_TOPICS) -> None:
        self._discards = discards
        self._max_topics = max_topics
        self._waiting: dict[str, Message] = {}  # oldest topic first

    def put(self, message: Message) -> None:
        """Keep `message` in place of an older one of its topic; discard (counted) past the cap."""
        topic = message.topic.value
        if topic in self._waiting or len(self._waiting) < self._max_topics:
            self._waiting[topic] = message
        else:
            self._discards.add()

    def take(self) -> Message:
        """Return the newest message of the topic that has waited longest."""
        topic = next(iter(self._waiting))
        return self._waiting.pop(topic)

    def close(self) -> None:
        """The connection ended: report the discards not reported yet."""
        self._discards.flush()

    def __len__(self) -> int:
        """Return how many topics have a message waiting."""
        return len(self._waiting)

    def __iter__(self) -> Iterator[Message]:
        """Iterate over the waiting messages (a few, for a readable repr)."""
        return islice(self._waiting.values(), 10)


async def watch_room(
    broker: Broker,
    *,
    topic_root: str = "retrowalk",
    backoff_max_s: float = 3.0,
    link: Link | None = None,
) -> AsyncGenerator[tuple[str, str, bytes], None]:
    """Yield (treadmill id, leaf, payload) for every state/status/session message, reconnecting.

    Never raises for broker trouble: each failure is logged once per new reason, recorded in
    `link` (if given) for the view, and retried with jittered backoff. Close it with `aclosing`.
    """
    identifier = f"retrowalk-monitor-{secrets.token_hex(3)}"
    backoff = Backoff(min(0.25, backoff_max_s), backoff_max_s)
    rng = random.Random()  # noqa: S311 - backoff jitter, not security
    discards = Discards(f"room messages from {broker.display}")
    attempt = 0
    last: str | None = None
    connected = False
    while True:
        try:
            async with connect(
                broker, identifier=identifier, incoming=LatestPerTopic(discards)
            ) as client:
                attempt, last = 0, None
                await client.subscribe([(f"{topic_root}/+/{leaf}", 0) for leaf in LEAVES])
                connected = True
                log.info("MQTT: watching %s", broker.display)
                if link is not None:
                    link.up()
                wait_unbounded(client)  # only the disconnect wait is left: keepalive bounds it
                async for message in client.messages:
                    parts = message.topic.value.split("/")
                    if len(parts) == 3 and isinstance(message.payload, bytes | bytearray):
                        yield parts[1], parts[2], bytes(message.payload)
        except MqttError as exc:
            reason = describe(exc)
            if link is not None:
                link.down(reason)
            if reason != last:
                verb = "lost the broker at" if connected else "cannot reach the broker at"
                log.warning("MQTT: %s %s: %s; retrying", verb, broker.display, reason)
                last = reason
        attempt += 1
        await asyncio.sleep(backoff.delay_s(attempt, rng))
