"""What an MQTT client received and its reader has not taken yet: a policy, and a flood counter.

aiomqtt keeps received messages in a queue filled straight from the socket reader; a full queue
would drop whatever comes next (an emergency stop as well as junk) and log every drop. Instead,
each client here gets a policy (`Incoming`) that decides what is kept, never blocks and never
raises, and a `Discards` counter that says how much a flood cost, at most once a minute.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator

    from retrowalk.broker.client import Message

log = logging.getLogger("retrowalk.mqtt")

REPORT_EVERY_S = 60.0


class Incoming(Protocol):
    """Keeps received messages until the reader takes them; decides what a flood discards."""

    def put(self, message: Message) -> None:
        """Keep `message` or discard it (counted); never blocks, never raises."""

    def take(self) -> Message:
        """Return the next message to hand out (called only when there is one)."""

    def close(self) -> None:
        """The connection ended: report what is left uncounted."""

    def __len__(self) -> int:
        """Return how many messages are kept."""

    def __iter__(self) -> Iterator[Message]:
        """Iterate over the kept messages (for a readable repr)."""


class Discards:
    """Counts incoming messages discarded in a flood; logs a warning at most once a minute.

    The first discard is reported at once; later ones are summed and reported a minute after the
    last report (or when `flush` is called at the end of a connection).
    """

    def __init__(self, what: str, *, every_s: float = REPORT_EVERY_S) -> None:
        self.what = what  # e.g. "commands from mqtt://host:1883"
        self.every_s = every_s
        self.total = 0
        self._unreported = 0
        self._reported_at: float | None = None
        self._timer: asyncio.TimerHandle | None = None

    def add(self) -> None:
        """Count one discarded message (called from the socket reader: never blocks)."""
        self.total += 1
        self._unreported += 1
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._reported_at is None or now - self._reported_at >= self.every_s:
            self._report(now)
        elif self._timer is None:
            self._timer = loop.call_at(self._reported_at + self.every_s, self._on_timer, loop)

    def flush(self) -> None:
        """Report what has not been reported yet, now (the connection ended)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._unreported:
            self._report(asyncio.get_running_loop().time())

    def _on_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        if self._unreported:
            self._report(loop.time())

    def _report(self, now: float) -> None:
        if self._reported_at is None:
            log.warning(
                "MQTT: %s arrive faster than they can be handled: discarding what does not fit "
                "(counted, reported at most once a minute)",
                self.what,
            )
        else:
            log.warning(
                "MQTT: discarded %d more incoming message(s) (%s) in the last %.0f s; %d in all",
                self._unreported,
                self.what,
                now - self._reported_at,
                self.total,
            )
        self._unreported = 0
        self._reported_at = now
