"""The event stream and the telemetry decoder on their own: bounded queues, garbage, flushes."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrowalk.device.api import LinkLost
from retrowalk.device.stream import EventHub
from retrowalk.device.telemetry import TelemetryDecoder
from retrowalk.engine.clock import VirtualTimeEventLoop
from retrowalk.ftms.models import MachineStatus, StatusOp, TrainingStatus, TreadmillData
from retrowalk.ftms.treadmill_data import encode_treadmill_data


async def test_slow_consumer_loses_oldest_records_but_never_status() -> None:
    """A full queue drops the oldest telemetry first; status and link events always stay."""
    hub = EventHub()
    events = hub.subscribe(maxsize=3)
    hub.publish(MachineStatus(StatusOp.STOPPED_BY_SAFETY_KEY))
    for kmh in (1.0, 2.0, 3.0, 4.0):
        hub.publish(TreadmillData(speed_kmh=kmh))
    hub.publish(LinkLost("gone"))
    hub.close()
    got = [e async for e in events]
    assert got == [
        MachineStatus(StatusOp.STOPPED_BY_SAFETY_KEY),
        TreadmillData(speed_kmh=3.0),
        TreadmillData(speed_kmh=4.0),
        LinkLost("gone"),
    ]
    assert events.dropped == 2


async def test_each_subscription_gets_every_event() -> None:
    """Two consumers each see the whole stream; a closed one stops receiving."""
    hub = EventHub()
    first, second = hub.subscribe(), hub.subscribe()
    hub.publish(TreadmillData(speed_kmh=1.0))
    await second.aclose()
    hub.publish(TreadmillData(speed_kmh=2.0))
    hub.close()
    assert [e async for e in first] == [TreadmillData(speed_kmh=1.0), TreadmillData(speed_kmh=2.0)]
    assert [e async for e in second] == []


async def test_closing_with_an_error_raises_it_after_the_queued_events() -> None:
    """A hub closed with an error ends each iterator by raising that error."""
    hub = EventHub()
    events = hub.subscribe()
    hub.publish(TreadmillData(speed_kmh=1.0))
    hub.close(ConnectionError("gave up"))
    assert await anext(events) == TreadmillData(speed_kmh=1.0)
    with pytest.raises(ConnectionError, match="gave up"):
        await anext(events)


async def test_all_zero_record_after_a_stop_reaches_the_consumer() -> None:
    """The speed-0 record machines send after a stop is delivered, not dropped as empty."""
    hub = EventHub()
    events = hub.subscribe()
    decoder = TelemetryDecoder(hub)
    decoder.on_treadmill_data(encode_treadmill_data(TreadmillData(speed_kmh=0.0)))
    hub.close()
    assert [e async for e in events] == [TreadmillData(speed_kmh=0.0)]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=12))
def test_no_byte_sequence_breaks_the_decoder(chunks: list[bytes]) -> None:
    """Any notifications at all: the decoder never raises, and counts what it skipped."""
    loop = VirtualTimeEventLoop()

    async def feed() -> tuple[list[object], int]:
        hub = EventHub()
        events = hub.subscribe(maxsize=1000)
        decoder = TelemetryDecoder(hub, max_age_s=0.5)
        for chunk in chunks:
            decoder.on_treadmill_data(chunk)
            decoder.on_status(chunk)
            decoder.on_training_status(chunk)
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # any held part is flushed by now
        decoder.close()
        hub.close()
        delivered: list[object] = [e async for e in events]
        return delivered, decoder.decode_errors

    try:
        delivered, errors = loop.run_until_complete(feed())
    finally:
        loop.close()
    # Each chunk is, for each decoder, either an event (or part of a record) or a counted error.
    statuses = sum(isinstance(e, MachineStatus | TrainingStatus) for e in delivered)
    records = sum(isinstance(e, TreadmillData) for e in delivered)
    assert statuses + errors >= 2 * len(chunks)
    assert records <= len(chunks)
