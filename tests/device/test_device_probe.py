"""`probe`: a machine captured through a real ATT stack (bumble), checked against the simulator.

The simulated treadmill's own record (its control point log, its belt) is the ground truth of
what the probe did; the capture must hold what the machine declared and sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import pytest
from bleak import BleakClient

from retrowalk.device.bumble_adapter import BumbleAdapter
from retrowalk.device.link import read_device_info
from retrowalk.device.probe import probe
from retrowalk.device.scan import find_treadmill
from retrowalk.ftms.models import (
    CONTROL_POINT_UUID,
    FEATURE_UUID,
    SPEED_RANGE_UUID,
    TREADMILL_DATA_UUID,
    SpeedRange,
)
from retrowalk.ftms.ranges import encode_speed_range
from retrowalk_sim.bumble_room import Room, bumble_room
from retrowalk_sim.from_capture import profile_from_capture
from retrowalk_sim.gatt_table import ftms_services
from retrowalk_sim.profiles import HOME

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from retrowalk.ftms.capture import Capture
    from retrowalk_sim.bumble_server import ServerEvent

CHECK = [b"\x00", b"\x07", b"\x02\x32\x00", b"\x02\x64\x00", b"\x08\x01"]  # 0.5 then 1.0 km/h


@contextlib.asynccontextmanager
async def _connected(
    on_event: Callable[[ServerEvent], None] | None = None,
) -> AsyncIterator[tuple[Room, BleakClient]]:
    async with (
        bumble_room("home", trace=True, on_event=on_event) as room,
        BumbleAdapter(device=room.central()) as adapter,
    ):
        device = await find_treadmill(None, via=adapter.scanner_backend)
        async with BleakClient(device, backend=adapter.client_backend) as client:
            yield room, client


async def _probe(client: BleakClient, *, confirmed: bool, seconds: float = 60.0) -> Capture:
    async def confirm(_speeds: SpeedRange) -> bool:
        return confirmed

    return await probe(
        client,
        seconds=seconds,
        confirm=confirm,
        progress=lambda _line: None,
        source="test",
        info=await read_device_info(client),
    )


async def test_a_probe_records_the_declarations_a_minute_of_data_and_the_control_check() -> None:
    """What the machine declares, every record of the minute, the check's writes in order."""
    async with _connected() as (room, client):
        capture = await _probe(client, confirmed=True)
    feature = capture.characteristic(FEATURE_UUID)
    speed = capture.characteristic(SPEED_RANGE_UUID)
    assert feature is not None
    assert speed is not None
    assert speed.data == encode_speed_range(HOME.speed_range)
    assert capture.address is None  # not asked for
    assert capture.device_info.manufacturer == "retrowalk simulator"
    records = [p for p in capture.packets(TREADMILL_DATA_UUID) if p.t is not None and p.t <= 60]
    # Every record of the minute, each split over two notifications at the default MTU of 23.
    assert len(records) == pytest.approx(2 * HOME.notify_hz * 60, abs=8)
    assert [p.data for p in capture.packets(CONTROL_POINT_UUID, "write")] == CHECK
    assert room.model.control_point_log == CHECK  # the machine saw exactly these
    assert capture.control_check
    trace = room.model.trace
    assert trace is not None
    assert max(s.belt_kmh for s in trace.samples()) == pytest.approx(1.0)
    assert room.model.speed_kmh == 0.0  # stopped at the end


async def test_without_a_yes_the_belt_never_moves() -> None:
    """No confirmation: no control point write at all, and the file says why."""
    async with _connected() as (room, client):
        capture = await _probe(client, confirmed=False, seconds=5.0)
    assert room.model.control_point_log == []
    assert not capture.control_check
    assert capture.notes == ("no control check: the person did not confirm it",)


async def test_a_probe_cancelled_while_the_belt_runs_still_stops_it() -> None:
    """Ctrl-C mid-check: Stop goes out before the probe ends, and the belt comes to rest."""
    slowest = asyncio.Event()

    def seen(event: ServerEvent) -> None:
        if event.kind == "write" and event.data == b"\x02\x32\x00":
            slowest.set()

    async with _connected(seen) as (room, client):
        task = asyncio.create_task(_probe(client, confirmed=True, seconds=1.0))
        await slowest.wait()
        await asyncio.sleep(4.0)
        assert room.model.speed_kmh > 0
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(10.0)
        assert room.model.control_point_log[-1] == b"\x08\x01"
        assert room.model.speed_kmh == 0.0


async def test_the_capture_becomes_a_profile_that_measures_like_the_machine() -> None:
    """Ranges, record layout, cadence, start delay and acceleration measured from the bytes."""
    async with _connected() as (_room, client):
        capture = await _probe(client, confirmed=True)
    profile = profile_from_capture(capture, "captured")
    assert profile.speed_range == HOME.speed_range
    assert profile.incline_range == HOME.incline_range
    assert profile.features == HOME.features
    assert profile.record_fields == HOME.record_fields
    assert profile.notify_hz == pytest.approx(HOME.notify_hz, rel=0.05)
    assert profile.accel_kmh_per_s == pytest.approx(HOME.accel_kmh_per_s, abs=0.3)
    assert HOME.start_delay_s <= profile.start_delay_s <= HOME.start_delay_s + 1.0
    assert profile.local_name == HOME.local_name
    served = ftms_services(profile, bytes, lambda _data: None)[0].characteristics
    assert [c.uuid for c in served] == [
        c.uuid for c in ftms_services(HOME, bytes, lambda _data: None)[0].characteristics
    ]
