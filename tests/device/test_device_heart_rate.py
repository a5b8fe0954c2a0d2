"""Heart rate from the simulated strap through pycycling's HeartRateService and bleak."""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakClient

from retrowalk.device.heart_rate import HeartRateMonitor
from retrowalk.device.scan import connect_heart_rate, find_heart_rate_monitor, simulated_world
from retrowalk.errors import ConfigError, DeviceNotFound
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld


async def test_readings_follow_the_strap() -> None:
    """Readings arrive about once a second and match what the strap shows."""
    world = SimWorld()
    treadmill = world.add(profile="home")
    strap = world.add_hr_strap(linked_to=treadmill)
    async with world:
        client = BleakClient(strap.device, backend=SimulatedClient)
        async with HeartRateMonitor(client) as monitor:
            readings: list[int | None] = []
            async for bpm in monitor.readings():
                readings.append(bpm)
                if len(readings) == 10:
                    break
            assert all(r is not None and 55 <= r <= 80 for r in readings)
            assert readings[-1] == pytest.approx(strap.model.bpm, abs=2)
        assert not client.is_connected


async def test_dropout_yields_none_then_recovers() -> None:
    """While the strap is silent the iterator yields None every dropout period, then bpm again."""
    world = SimWorld()
    strap = world.add_hr_strap(linked_to=None)
    async with world:
        client = BleakClient(strap.device, backend=SimulatedClient)
        async with HeartRateMonitor(client, dropout_s=3.0) as monitor:
            readings = monitor.readings()
            assert isinstance(await anext(readings), int)
            strap.model.dropout(10.0)
            loop = asyncio.get_running_loop()
            began = loop.time()
            gap: list[int | None] = []
            async for bpm in readings:
                gap.append(bpm)
                if bpm is not None:
                    break
            assert gap[:3] == [None, None, None]
            assert isinstance(gap[-1], int)
            assert 9.0 <= loop.time() - began <= 12.0
            assert monitor.last_bpm == gap[-1]
            await readings.aclose()


async def test_readings_end_when_the_monitor_closes() -> None:
    """A reader waiting for the next beat is released when the monitor closes."""
    world = SimWorld()
    strap = world.add_hr_strap()
    async with world:
        client = BleakClient(strap.device, backend=SimulatedClient)
        monitor = HeartRateMonitor(client)
        async with monitor:
            readings = monitor.readings()
            await anext(readings)
        async with asyncio.timeout(1):
            rest = [bpm async for bpm in readings]
        assert len(rest) <= 1


async def test_find_strap_by_service_and_by_name() -> None:
    """The first device advertising 0x180D is found, or a strap by its name."""
    world = SimWorld()
    world.add(profile="home")
    strap = world.add_hr_strap(name="Polar H10 12345")
    async with world:
        first = await find_heart_rate_monitor(None, simulated=True, timeout_s=3)
        named = await find_heart_rate_monitor("polar h10 12345", simulated=True, timeout_s=3)
        with pytest.raises(DeviceNotFound, match="strap"):
            await find_heart_rate_monitor("Garmin HRM", simulated=True, timeout_s=2)
    assert first.address == strap.address
    assert named.address == strap.address


def test_dropout_time_must_be_positive() -> None:
    """A zero dropout time is refused."""
    client = BleakClient("00:00:00:00:00:01", backend=SimulatedClient)
    with pytest.raises(ConfigError):
        HeartRateMonitor(client, dropout_s=0)


async def test_connect_heart_rate_in_a_simulated_world_with_a_strap() -> None:
    """`simulated_world(hr_strap=True)` + `connect_heart_rate(None)` gives live readings."""
    async with (
        simulated_world("walking-pad", hr_strap=True),
        connect_heart_rate(None, simulated=True, timeout_s=3) as monitor,
    ):
        readings = monitor.readings()
        bpm = await anext(readings)
        await readings.aclose()
    assert isinstance(bpm, int)
