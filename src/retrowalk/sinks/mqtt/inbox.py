"""The command messages the sink's client received and its reader has not taken yet.

paho hands every message over from the socket reader, so keeping one never blocks and never
raises. Messages wait in arrival order, at most PER_SOURCE from each source (the topic they came
on: the treadmill's own or the fleet's); beyond that a message is discarded and counted, so a
flood from one source neither grows memory nor crowds out another source. An emergency stop is
never discarded for a flood (up to MAX_EMERGENCY_STOPS of them, when the first is already
stopping the belt) and sets `urgent`, which ends the reader's wait for more at once.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING

from retrowalk.sinks.mqtt.commands import is_emergency_stop

if TYPE_CHECKING:
    from collections.abc import Iterator

    from retrowalk.broker.client import Message
    from retrowalk.broker.incoming import Discards

PER_SOURCE = 100
MAX_EMERGENCY_STOPS = 1000
_URGENT = ""  # the lane of emergency stops (no topic is empty)


def is_urgent(message: Message) -> bool:
    """Return whether `message` is an emergency stop (cheap for anything else)."""
    payload = message.payload
    return isinstance(payload, bytes | bytearray) and is_emergency_stop(bytes(payload))


class CommandInbox:
    """An `Incoming` policy for command topics: arrival order, each source bounded, e-stops kept."""

    def __init__(
        self,
        discards: Discards,
        *,
        per_source: int = PER_SOURCE,
        max_emergency_stops: int = MAX_EMERGENCY_STOPS,
    ) -> None:
        self._discards = discards
        self._limits = {_URGENT: max_emergency_stops}
        self._per_source = per_source
        self._waiting: deque[tuple[Message, str]] = deque()  # (message, its lane), oldest first
        self._counts: dict[str, int] = {}  # waiting messages per lane
        self.urgent = asyncio.Event()  # set while an emergency stop waits

    def put(self, message: Message) -> None:
        """Keep `message`, or discard it (counted) when its source has too many waiting."""
        lane = _URGENT if is_urgent(message) else message.topic.value
        count = self._counts.get(lane, 0)
        if count >= self._limits.get(lane, self._per_source):
            self._discards.add()
            return
        self._counts[lane] = count + 1
        self._waiting.append((message, lane))
        if lane == _URGENT:
            self.urgent.set()

    def take(self) -> Message:
        """Return the oldest waiting message."""
        message, lane = self._waiting.popleft()
        self._counts[lane] -= 1
        if lane == _URGENT and not self._counts[lane]:
            self.urgent.clear()
        return message

    def close(self) -> None:
        """The connection ended: report the discards not reported yet."""
        self._discards.flush()

    def __len__(self) -> int:
        """Return how many messages wait."""
        return len(self._waiting)

    def __iter__(self) -> Iterator[Message]:
        """Iterate over the waiting messages, oldest first."""
        return (message for message, _ in self._waiting)
