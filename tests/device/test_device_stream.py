"""The event stream and the telemetry decoder on their own: bounded queues, garbage, flushes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrowalk.device.api import ConsoleStopped, LinkLost, SafetyKeyPulled, Telemetry
from retrowalk.device.echoes import StatusInterpreter
from retrowalk.device.stream import EventHub
from retrowalk.device.telemetry import TelemetryDecoder
from retrowalk.engine.clock import VirtualTimeEventLoop
from retrowalk.errors import ProtocolError
from retrowalk.ftms.models import TreadmillData
from retrowalk.ftms.status import decode_status
from retrowalk.ftms.training_status import decode_training_status
from retrowalk.ftms.treadmill_data import decode_part, encode_treadmill_data

if TYPE_CHECKING:
    from collections.abc import Callable

    from retrowalk.device.api import DeviceEvent


def speed(kmh: float) -> Telemetry:
    """Return telemetry of a record reporting only `kmh`."""
    return Telemetry(speed_kmh=kmh, incline_pct=None, heart_rate_bpm=None)


async def test_slow_consumer_loses_oldest_records_but_never_status() -> None:
    """A full queue drops the oldest telemetry first; status and link events always stay."""
    hub = EventHub()
    events = hub.subscribe(maxsize=4)
    hub.publish(SafetyKeyPulled())
    hub.publish(speed(1.0))
    hub.publish(ConsoleStopped(paused=False))
    for kmh in (2.0, 3.0, 4.0):
        hub.publish(speed(kmh))
    hub.publish(LinkLost("gone"))
    hub.close()
    got = [e async for e in events]
    assert got == [
        SafetyKeyPulled(),
        ConsoleStopped(paused=False),
        speed(3.0),
        speed(4.0),
        LinkLost("gone"),
    ]
    assert events.dropped == 2


async def test_each_subscription_gets_every_event() -> None:
    """Two consumers each see the whole stream; a closed one stops receiving."""
    hub = EventHub()
    first, second = hub.subscribe(), hub.subscribe()
    hub.publish(speed(1.0))
    await second.aclose()
    hub.publish(speed(2.0))
    hub.close()
    assert [e async for e in first] == [speed(1.0), speed(2.0)]
    assert [e async for e in second] == []


async def test_closing_with_an_error_raises_it_after_the_queued_events() -> None:
    """A hub closed with an error ends each iterator by raising that error."""
    hub = EventHub()
    events = hub.subscribe()
    hub.publish(speed(1.0))
    hub.close(ConnectionError("gave up"))
    assert await anext(events) == speed(1.0)
    with pytest.raises(ConnectionError, match="gave up"):
        await anext(events)


async def test_dispatch_delivers_as_published_in_order_and_ends_as_iteration_does() -> None:
    """Queued events first, then each at once (inside publish); the closing error at the end."""
    hub = EventHub()
    events = hub.subscribe()
    hub.publish(speed(1.0))
    got: list[DeviceEvent] = []

    def handler(event: DeviceEvent) -> None:
        got.append(event)
        if event == speed(2.0):
            hub.publish(SafetyKeyPulled())  # published while handled: delivered after it

    task = asyncio.create_task(events.dispatch(handler))
    await asyncio.sleep(0)
    assert got == [speed(1.0)]
    hub.publish(speed(2.0))
    assert got == [speed(1.0), speed(2.0), SafetyKeyPulled()]  # no wait for a task to wake
    hub.close(ConnectionError("gave up"))
    with pytest.raises(ConnectionError, match="gave up"):
        await task


async def test_dispatch_raises_what_the_handler_raises_and_a_new_reader_gets_the_rest() -> None:
    """A failing handler never breaks the publisher; a cancelled one leaves events queued."""
    hub = EventHub()
    events = hub.subscribe()

    def failing(event: DeviceEvent) -> None:
        raise ValueError(f"cannot apply {event}")

    task = asyncio.create_task(events.dispatch(failing))
    await asyncio.sleep(0)
    hub.publish(speed(1.0))  # does not raise here, in the bleak callback's place
    with pytest.raises(ValueError, match="cannot apply"):
        await task
    seen: list[DeviceEvent] = []
    reader = asyncio.create_task(events.dispatch(seen.append))
    await asyncio.sleep(0)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    hub.publish(speed(3.0))
    hub.close()
    assert seen == []
    assert [e async for e in events] == [speed(3.0)]  # queued for whoever reads next


async def test_a_handler_that_cancels_its_dispatch_never_breaks_the_publisher() -> None:
    """Cancelled from inside its handler: no more events reach it, publish and close still work."""
    hub = EventHub()
    events = hub.subscribe()
    got: list[DeviceEvent] = []
    task: asyncio.Task[None] | None = None

    def handler(event: DeviceEvent) -> None:
        got.append(event)
        assert task is not None
        task.cancel()
        hub.publish(speed(2.0))  # published and the hub closed from inside the handler
        hub.close()

    task = asyncio.create_task(events.dispatch(handler))
    await asyncio.sleep(0)
    hub.publish(speed(1.0))  # the publisher (a bleak callback) never raises
    with pytest.raises(asyncio.CancelledError):
        await task
    assert got == [speed(1.0)]


async def test_all_zero_record_after_a_stop_reaches_the_consumer() -> None:
    """The speed-0 record machines send after a stop is delivered, not dropped as empty."""
    hub = EventHub()
    events = hub.subscribe()
    decoder = TelemetryDecoder(hub, StatusInterpreter())
    decoder.on_treadmill_data(encode_treadmill_data(TreadmillData(speed_kmh=0.0)))
    hub.close()
    got = [e async for e in events]
    assert got == [speed(0.0)]
    assert isinstance(got[0], Telemetry)
    assert got[0].record == TreadmillData(speed_kmh=0.0)


def fails(decode: Callable[[bytes], object], data: bytes) -> bool:
    """Return whether `decode` refuses `data` with a ProtocolError."""
    try:
        decode(data)
    except ProtocolError:
        return True
    return False


def meaning(data: bytes) -> DeviceEvent | None:
    """Return what a status notification means with no write of ours awaiting an echo."""
    if fails(decode_status, data):
        return None
    return StatusInterpreter().interpret(decode_status(data), 0.0)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=12))
def test_no_byte_sequence_breaks_the_decoder(chunks: list[bytes]) -> None:
    """Any notifications at all: the decoder never raises, and counts exactly what it skipped."""
    loop = VirtualTimeEventLoop()

    async def feed() -> tuple[list[DeviceEvent], int]:
        hub = EventHub()
        events = hub.subscribe(maxsize=1000)
        decoder = TelemetryDecoder(hub, StatusInterpreter(), max_age_s=0.5)
        for chunk in chunks:
            decoder.on_treadmill_data(chunk)
            decoder.on_status(chunk)
            decoder.on_training_status(chunk)
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # any held part is flushed by now
        decoder.close()
        hub.close()
        delivered: list[DeviceEvent] = [e async for e in events]
        return delivered, decoder.decode_errors

    try:
        delivered, errors = loop.run_until_complete(feed())
    finally:
        loop.close()
    # Each chunk is, for each decoder, decoded (an event, part of a record, or nothing to act
    # on) or a counted error; a status means what it means on its own (no echo was expected).
    skipped = sum(
        fails(decode_part, c) + fails(decode_status, c) + fails(decode_training_status, c)
        for c in chunks
    )
    assert errors == skipped
    statuses = [e for e in delivered if not isinstance(e, Telemetry)]
    assert statuses == [m for m in map(meaning, chunks) if m is not None]
    telemetry = [e for e in delivered if isinstance(e, Telemetry)]
    assert len(telemetry) <= len(chunks)
    for t in telemetry:  # a trusted value is the record's own, or set aside
        assert t.record is not None
        assert t.speed_kmh in {None, t.record.speed_kmh}
        assert t.incline_pct in {None, t.record.incline_pct}
        assert t.heart_rate_bpm in {None, t.record.heart_rate_bpm}
