"""The command messages the sink's client received and its reader has not taken: e-stops first.

paho hands every message over from the socket reader, so keeping one never blocks and never
raises. Emergency stops wait in a lane of their own and come out before anything else. Every other
message waits in the lane of its source (the topic it came on: the treadmill's own or the
fleet's), at most PER_SOURCE each, and sources take turns; beyond that a message is discarded
and counted, so a flood from one source neither grows memory nor crowds out another source, and
never costs an emergency stop.
"""

from __future__ import annotations

from collections import deque
from itertools import chain
from typing import TYPE_CHECKING

from retrowalk.sinks.mqtt.commands import is_emergency_stop

if TYPE_CHECKING:
    from collections.abc import Iterator

    from retrowalk.broker.client import Message
    from retrowalk.broker.incoming import Discards

PER_SOURCE = 100
# Emergency stops kept at most. Past this many waiting, the belt is already being stopped by
# the first of them; further ones are discarded (and counted) so memory stays bounded.
MAX_EMERGENCY_STOPS = 1000


class CommandInbox:
    """An `Incoming` policy for command topics: emergency stops first, each source bounded."""

    def __init__(
        self,
        discards: Discards,
        *,
        per_source: int = PER_SOURCE,
        max_emergency_stops: int = MAX_EMERGENCY_STOPS,
    ) -> None:
        self._discards = discards
        self._per_source = per_source
        self._max_emergency_stops = max_emergency_stops
        self._urgent: deque[Message] = deque()
        self._lanes: dict[str, deque[Message]] = {}
        self._turns: deque[str] = deque()  # sources with messages, in the order they take turns
        self._count = 0

    def put(self, message: Message) -> None:
        """Keep `message` in its lane, or discard it (counted) when the lane is full."""
        payload = message.payload
        if isinstance(payload, bytes | bytearray) and is_emergency_stop(bytes(payload)):
            if len(self._urgent) < self._max_emergency_stops:
                self._urgent.append(message)
                self._count += 1
                return
        else:
            source = message.topic.value
            lane = self._lanes.setdefault(source, deque())
            if len(lane) < self._per_source:
                if not lane:
                    self._turns.append(source)
                lane.append(message)
                self._count += 1
                return
        self._discards.add()

    def take(self) -> Message:
        """Return the oldest emergency stop, else the next source's oldest message."""
        self._count -= 1
        if self._urgent:
            return self._urgent.popleft()
        source = self._turns.popleft()
        lane = self._lanes[source]
        message = lane.popleft()
        if lane:
            self._turns.append(source)
        else:
            del self._lanes[source]
        return message

    def close(self) -> None:
        """The connection ended: report the discards not reported yet."""
        self._discards.flush()

    def __len__(self) -> int:
        """Return how many messages wait."""
        return self._count

    def __iter__(self) -> Iterator[Message]:
        """Iterate over the waiting messages, emergency stops first."""
        return chain(self._urgent, *self._lanes.values())
