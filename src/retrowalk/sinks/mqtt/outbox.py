"""What the MQTT sink still has to publish: latest state, buffered events, results, the summary.

The outbox is filled from the engine's channel whether or not a broker is connected, and drained
by the publisher while one is. Events are kept in a bounded buffer (oldest dropped first, counted);
only the newest snapshot is kept, since state is retained and only the latest matters.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from retrowalk.engine.events import Aborted, Event, Finished, Snapshot
from retrowalk.sinks.mqtt.payloads import (
    SessionTally,
    dumps,
    event_payload,
    session_payload,
    state_payload,
)

if TYPE_CHECKING:
    from retrowalk.sinks.mqtt.settings import MqttSettings

log = logging.getLogger("retrowalk.mqtt")

MAX_PENDING_RESULTS = 100
MAX_PENDING_STOP_RESULTS = 1000


class Outbox:
    """Pending MQTT payloads, fed by the engine's channel and drained by the publisher."""

    def __init__(self, settings: MqttSettings, *, workout: str) -> None:
        self.settings = settings
        self.workout = workout
        self.events: deque[bytes] = deque()
        self.results: deque[bytes] = deque(maxlen=MAX_PENDING_RESULTS)
        # Answers to emergency stops go first and are never pushed out by a flood of others.
        self.stop_results: deque[bytes] = deque(maxlen=MAX_PENDING_STOP_RESULTS)
        self.session: bytes | None = None
        self.closed = False
        self.dropped = 0  # events dropped because the buffer was full, over the whole run
        self._dropped_unreported = 0
        self._seq = 0
        self._tally = SessionTally()
        self._snapshot: Snapshot | None = None
        self._state_dirty = False
        self._state_urgent = False
        self._published_state: str | None = None
        self.changed = asyncio.Event()

    # -- filling (from the engine's channel) -------------------------------------------------

    def feed(self, item: Event | Snapshot) -> None:
        """Take one item from the engine; never blocks."""
        if isinstance(item, Snapshot):
            self._snapshot = item
            self._state_dirty = True
            if item.state.value != self._published_state:
                self._state_urgent = True
        else:
            self._add_event(item)
        self.changed.set()

    def add_result(self, payload: dict[str, Any]) -> None:
        """Queue a command result (the oldest is dropped beyond MAX_PENDING_RESULTS)."""
        stop = payload.get("command") == "emergency_stop"
        (self.stop_results if stop else self.results).append(dumps(payload))
        self.changed.set()

    def close(self) -> None:
        """The engine is done: nothing more will be fed."""
        self.closed = True
        self.changed.set()

    def _add_event(self, event: Event) -> None:
        self._seq += 1
        self._tally.observe(event)
        try:
            payload = dumps(
                event_payload(event, treadmill_id=self.settings.treadmill_id, seq=self._seq)
            )
        except (TypeError, ValueError):
            log.exception("MQTT: cannot encode %s as JSON; not published", type(event).__name__)
            return
        if len(self.events) >= self.settings.event_buffer:
            self.events.popleft()
            self.dropped += 1
            self._dropped_unreported += 1
            if self._dropped_unreported == 1:
                log.warning(
                    "MQTT: event buffer full (%d events); dropping the oldest until the broker "
                    "is back",
                    self.settings.event_buffer,
                )
        self.events.append(payload)
        if isinstance(event, Finished | Aborted):
            self._tally.events_dropped = self.dropped
            self.session = dumps(
                session_payload(
                    event,
                    self._tally,
                    treadmill_id=self.settings.treadmill_id,
                    workout=self.workout,
                )
            )

    # -- draining (by the publisher) ---------------------------------------------------------

    def report_drops(self) -> int:
        """Log and return how many events were dropped since the last report (after reconnect)."""
        count, self._dropped_unreported = self._dropped_unreported, 0
        if count:
            log.warning(
                "MQTT: %d event(s) were dropped while the broker was unreachable "
                "(%d dropped in this workout); the buffer holds %d",
                count,
                self.dropped,
                self.settings.event_buffer,
            )
        return count

    def mark_state_stale(self) -> None:
        """Republish the latest state as soon as possible (after a reconnect)."""
        if self._snapshot is not None:
            self._state_dirty = True
            self._state_urgent = True
            self.changed.set()

    def state_due(self, now: float, last_sent: float | None) -> bool:
        """Return whether the state should be published at loop time `now`."""
        if not self._state_dirty:
            return False
        if self._state_urgent or last_sent is None or self.closed:
            return True
        return now - last_sent >= self.settings.state_interval_s

    def take_state(self) -> bytes | None:
        """Return the state payload to publish now and mark it sent (None if none)."""
        snapshot = self._snapshot
        if snapshot is None:
            return None
        self._state_dirty = False
        self._state_urgent = False
        self._published_state = snapshot.state.value
        try:
            return dumps(
                state_payload(
                    snapshot, treadmill_id=self.settings.treadmill_id, workout=self.workout
                )
            )
        except (TypeError, ValueError):
            log.exception("MQTT: cannot encode the snapshot as JSON; not published")
            return None

    def requeue_state(self) -> None:
        """The state publish failed: publish it again after reconnecting."""
        self._state_dirty = True
        self._state_urgent = True

    @property
    def drained(self) -> bool:
        """Return whether the engine is done and everything has been published."""
        return (
            self.closed
            and not self.events
            and not self.results
            and not self.stop_results
            and self.session is None
            and not self._state_dirty
        )

    def undelivered(self) -> str:
        """Describe what is still pending, for the log when the broker never came back."""
        parts = [f"{len(self.events)} event(s)"]
        if self.session is not None:
            parts.append("the session summary")
        if self.results or self.stop_results:
            parts.append(f"{len(self.results) + len(self.stop_results)} command result(s)")
        return ", ".join(parts)
