"""Against a real broker: a flood of commands never costs an emergency stop, nor floods the log."""

from __future__ import annotations

import asyncio
import json
import logging
import struct
from typing import TYPE_CHECKING

import pytest

from mqtt_fakes import FakeEngine, Subscriber, settings_for, sink_running, wait_until
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import CommandKind
from retrowalk.engine.events import EngineState

if TYPE_CHECKING:
    from mqtt_broker import MqttBroker

pytestmark = [pytest.mark.realtime, pytest.mark.slow]

FLOOD = 4000
TRIALS = 10
JUNK = [
    b"{oops",
    b'{"command": "pause", "id": "j%d"}',
    b'{"command": "skip"}',
    b'{"command": "jump", "id": "j%d"}',
    b'{"command": "resume", "id": "j%d", "speed": 9}',
    b'{"command": "pause", "pad": "' + b"x" * 1500 + b'"}',
]


def _packet(kind: int, body: bytes) -> bytes:
    """Return an MQTT 3.1.1 control packet: fixed header (variable-length size) and body."""
    size, encoded = len(body), bytearray()
    while True:
        size, digit = divmod(size, 128)
        encoded.append(digit | (0x80 if size else 0))
        if not size:
            return bytes([kind, *encoded]) + body


def _text(value: bytes) -> bytes:
    return struct.pack("!H", len(value)) + value


def flood_packets(topic: str, stop: bytes) -> bytes:
    """Return FLOOD publish packets (QoS 0 junk) with `stop` (QoS 1) in the middle, as one write."""
    packets = []
    for n in range(FLOOD):
        if n == FLOOD // 2:
            packets.append(_packet(0x32, _text(topic.encode()) + struct.pack("!H", 1) + stop))
        else:
            junk = JUNK[n % len(JUNK)]
            payload = junk % n if b"%d" in junk else junk
            packets.append(_packet(0x30, _text(topic.encode()) + payload))
    return b"".join(packets)


async def flood(port: int, topic: str, stop: bytes) -> None:
    """Connect as a plain MQTT client and write the whole flood at once, as fast as TCP takes it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        connect = _text(b"MQTT") + bytes([4, 0x02]) + struct.pack("!H", 30) + _text(b"flooder")
        writer.write(_packet(0x10, connect))
        connack = await reader.readexactly(4)
        assert connack[0] == 0x20
        assert connack[3] == 0
        writer.write(flood_packets(topic, stop))
        await writer.drain()
        # The broker took the emergency stop: its PUBACK, after anything else it sends unasked
        # (amqtt delivers retained state to every client, subscribed or not).
        while (header := await reader.readexactly(2))[0] != 0x40:
            size, shift = header[1] & 0x7F, 7
            while header[-1] & 0x80:
                header = await reader.readexactly(1)
                size, shift = size | (header[0] & 0x7F) << shift, shift + 7
            await reader.readexactly(size)
        assert header[1] == 2  # PUBACK carries the packet id
        writer.write(b"\xe0\x00")  # DISCONNECT
        await writer.drain()
    finally:
        writer.close()
        await writer.wait_closed()


def stops(engine: FakeEngine) -> list[str | None]:
    """Return the ids of the emergency stops the engine got."""
    return [
        c.command.request_id
        for c in engine.commands
        if c.command.kind is CommandKind.EMERGENCY_STOP
    ]


@pytest.mark.parametrize("trial", range(TRIALS))
async def test_an_emergency_stop_in_a_flood_always_reaches_the_engine(
    broker: MqttBroker, caplog: pytest.LogCaptureFixture, trial: int
) -> None:
    """4,000 junk commands with one emergency stop in the middle (10 trials): the stop arrives.

    And is answered; the log says so in a line or two instead of a line per discarded message.
    """
    caplog.set_level(logging.WARNING)
    engine = FakeEngine(Bus())
    base = f"retrowalk/flood-{trial}"
    stop_id = f"stop-{trial}"
    stop = json.dumps({"command": "emergency_stop", "id": stop_id}).encode()
    settings = settings_for(broker.url(), f"flood-{trial}", final_flush_s=0.5)
    async with (
        Subscriber("127.0.0.1", broker.port, [f"{base}/state", f"{base}/cmd/result"]) as sub,
        sink_running(settings, engine),
    ):
        await sub.wait_for(lambda s: s.payloads(f"{base}/state"), 10)  # subscribed
        await flood(broker.port, f"{base}/cmd", stop)
        await wait_until(lambda: bool(stops(engine)), within_s=20)
        assert stops(engine) == [stop_id]
        assert engine.state is EngineState.HOLD
        await sub.wait_for(lambda s: any(r["id"] == stop_id for r in s.json(f"{base}/cmd/result")))
    answer = next(r for r in sub.json(f"{base}/cmd/result") if r["id"] == stop_id)
    assert answer["accepted"]
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("retrowalk.mqtt")]
    assert not [line for line in lines if "Discarding message" in line]
    assert len([line for line in lines if "discard" in line]) <= 2  # at once, then at the end
