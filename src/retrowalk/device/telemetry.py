"""Notification bytes -> device events: merged telemetry, and what the machine's status means.

Garbage never breaks the stream: a record that does not decode is logged, counted and
skipped. A split record whose last part never arrives is flushed after `max_age_s` by a loop
timer, so a consumer never waits forever for it. Status goes through the StatusInterpreter, so
echoes of our own writes never look like the person at the console. Training Status is advisory
and only decoded (and counted when it does not decode).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from retrowalk.device.api import Telemetry
from retrowalk.errors import ConfigError, ProtocolError
from retrowalk.ftms.assembler import TreadmillDataAssembler
from retrowalk.ftms.status import decode_status
from retrowalk.ftms.suspect import suspect_marker
from retrowalk.ftms.training_status import decode_training_status

if TYPE_CHECKING:
    from retrowalk.device.echoes import StatusInterpreter
    from retrowalk.device.stream import EventHub
    from retrowalk.ftms.models import Features, InclineRange, SpeedRange, TreadmillData

log = logging.getLogger(__name__)


class TelemetryDecoder:
    """Decodes notifications and publishes the results on an EventHub."""

    def __init__(
        self,
        hub: EventHub,
        interpreter: StatusInterpreter,
        *,
        max_age_s: float = 1.0,
        max_parts: int = 4,
    ) -> None:
        if not (max_age_s > 0 and max_parts >= 1):
            raise ConfigError(
                f"telemetry assembly needs max_age_s > 0 and max_parts >= 1, "
                f"got {max_age_s:g} and {max_parts}"
            )
        self._hub = hub
        self._interpreter = interpreter
        self._max_age_s = max_age_s
        self._max_parts = max_parts
        self._assembler = TreadmillDataAssembler(max_parts=max_parts, max_age_s=max_age_s)
        self._flush_handle: asyncio.TimerHandle | None = None
        self._flush_at = 0.0
        self._mark = suspect_marker()  # nothing declared yet: nothing suspect
        self.speed_factor = 1.0  # real km/h per reported number (1.609 for a machine in mph)
        self.decode_errors = 0
        self.records = 0
        self.truncated_records = 0

    def on_treadmill_data(self, data: bytes) -> None:
        """Feed one Treadmill Data notification; publish a record when one is complete."""
        loop = asyncio.get_running_loop()
        try:
            record = self._assembler.feed(bytes(data), loop.time())
        except ProtocolError as exc:
            self._count_error(exc)
            return
        if record is not None:
            self._emit(record)
        deadline = self._assembler.deadline
        if deadline is not None and self._flush_handle is None:
            # A part is held: publish it anyway if the rest does not come in time. An armed
            # timer is never later than the held parts' deadline (parts are held in arrival
            # order), so it stays armed; when it fires it re-arms for whatever is held then.
            self._arm_flush(loop, deadline)

    def on_status(self, data: bytes) -> None:
        """Decode one Fitness Machine Status notification; publish what it means, if anything."""
        try:
            status = decode_status(bytes(data))
        except ProtocolError as exc:
            self._count_error(exc)
            return
        event = self._interpreter.interpret(status, asyncio.get_running_loop().time())
        if event is not None:
            self._hub.publish(event)

    def on_training_status(self, data: bytes) -> None:
        """Decode one Training Status notification (advisory: nothing acts on it)."""
        try:
            decode_training_status(bytes(data))
        except ProtocolError as exc:
            self._count_error(exc)

    def reset(self) -> None:
        """Forget any pending partial record (the link dropped)."""
        self._cancel_flush()
        self._assembler = TreadmillDataAssembler(
            max_parts=self._max_parts, max_age_s=self._max_age_s
        )

    def close(self) -> None:
        """Cancel the flush timer."""
        self._cancel_flush()

    def _arm_flush(self, loop: asyncio.AbstractEventLoop, deadline: float) -> None:
        self._flush_at = deadline
        self._flush_handle = loop.call_at(deadline, self._flush_stale)

    def _flush_stale(self) -> None:
        self._flush_handle = None
        deadline = self._assembler.deadline
        if deadline is None:
            return
        if self._flush_at < deadline:  # armed for parts already given out: wait for these
            self._arm_flush(asyncio.get_running_loop(), deadline)
            return
        record = self._assembler.flush()
        if record is not None:
            self._emit(record)

    def _cancel_flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None

    def declare(
        self,
        features: Features | None,
        speed_range: SpeedRange | None,
        incline_range: InclineRange | None,
    ) -> None:
        """Check every later record against what the machine declares about itself."""
        self._mark = suspect_marker(features, speed_range, incline_range)

    def _emit(self, record: TreadmillData) -> None:
        self.records += 1
        if record.truncated:
            self.truncated_records += 1
        self._hub.publish(trusted(self._mark(record), self.speed_factor))

    def _count_error(self, exc: ProtocolError) -> None:
        self.decode_errors += 1
        # Log the first few in full, then only now and then: a noisy machine must not flood.
        if self.decode_errors <= 5 or self.decode_errors % 100 == 0:
            log.warning("skipped undecodable notification #%d: %s", self.decode_errors, exc)


def trusted(record: TreadmillData, speed_factor: float = 1.0) -> Telemetry:
    """Return what the engine may act on: a suspect or doubtful value is None.

    A value is doubtful when another layout the bytes fit reads it differently; the reasons for
    what was set aside travel along in `suspect`, so it can be logged and shown.
    """
    if not (record.suspect or record.doubtful or record.ambiguous or speed_factor != 1.0):
        # The usual record: every value as read (a third of the cost of the checks below).
        return Telemetry(
            speed_kmh=record.speed_kmh,
            incline_pct=record.incline_pct,
            heart_rate_bpm=record.heart_rate_bpm,
            suspect=(),
            record=record,
        )
    doubted = record.suspect_fields | record.doubtful
    reasons = tuple(s.reason for s in record.suspect) + record.ambiguous
    speed = None if "speed_kmh" in doubted or record.speed_kmh is None else record.speed_kmh
    if speed is not None and speed_factor != 1.0:
        speed = round(speed * speed_factor, 3)
    incline = None if "incline_pct" in doubted else record.incline_pct
    bpm = None if "heart_rate_bpm" in doubted else record.heart_rate_bpm
    return Telemetry(
        speed_kmh=speed, incline_pct=incline, heart_rate_bpm=bpm, suspect=reasons, record=record
    )
