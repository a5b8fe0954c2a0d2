"""Replaying a real machine's captured bytes through bleak, byte for byte."""

from __future__ import annotations

import asyncio

from bleak import BleakClient
from sim_traffic import Traffic

from retrowalk.ftms.feature import decode_features
from retrowalk.ftms.models import (
    CONTROL_POINT_UUID,
    FEATURE_UUID,
    SPEED_RANGE_UUID,
    STATUS_UUID,
    TREADMILL_DATA_UUID,
)
from retrowalk.ftms.ranges import decode_speed_range
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld
from retrowalk_sim.profiles import PROFILES
from retrowalk_sim.replay import ReplayScript

# CITYSPORTS walking pad, btsnoop of the vendor app (tests/ftms/data/ftms_public_vectors.json)
CITYSPORTS = ReplayScript(
    name="CITYSPORTS-Linker",
    reads={
        FEATURE_UUID: bytes.fromhex("4412000001000000"),
        SPEED_RANGE_UUID: bytes.fromhex("640058023200"),
    },
    notifications=(
        (0.5, STATUS_UUID, bytes.fromhex("059600")),
        (1.0, TREADMILL_DATA_UUID, bytes.fromhex("8424c8002100000100ffffff3c00410000")),
        (2.0, TREADMILL_DATA_UUID, bytes.fromhex("842458020000000000ffffff0200000000")),
        (2.5, CONTROL_POINT_UUID, bytes.fromhex("800801")),
    ),
    loop_s=3.0,
)


async def test_replay_delivers_captured_bytes_unchanged(world: SimWorld) -> None:
    """A replayed walking pad reads and notifies exactly the captured bytes, on schedule, looped."""
    p = world.add_replay(CITYSPORTS)
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        features = decode_features(bytes(await client.read_gatt_char(FEATURE_UUID)))
        assert features == PROFILES["walking-pad"].features
        speed_range = decode_speed_range(bytes(await client.read_gatt_char(SPEED_RANGE_UUID)))
        assert speed_range == PROFILES["walking-pad"].speed_range
        t = Traffic(client)
        await t.subscribe_all()
        await asyncio.sleep(6.5)
        data = t.of(TREADMILL_DATA_UUID)
        assert data[:2] == [
            bytes.fromhex(h)
            for h in ("8424c8002100000100ffffff3c00410000", "842458020000000000ffffff0200000000")
        ]
        assert len(data) == 4  # looped every 3 s
        assert [r.speed_kmh for _, r in t.records[:2]] == [2.0, 6.0]
        assert t.statuses()[0] == bytes.fromhex("059600")
        await client.write_gatt_char(CONTROL_POINT_UUID, b"\x08\x01", response=True)
        assert p.model.control_point_log == [b"\x08\x01"]
