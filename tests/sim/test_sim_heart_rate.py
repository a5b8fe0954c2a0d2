"""The simulated heart-rate strap, read through bleak and pycycling's HeartRateService."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from bleak import BleakClient, BleakScanner
from pycycling.heart_rate_service import HeartRateService

from retrowalk.ftms import control_point as cp
from retrowalk.ftms.models import CONTROL_POINT_UUID
from retrowalk_sim.bleak_backend import SimulatedClient, SimulatedScanner, SimWorld
from retrowalk_sim.heart_rate import HEART_RATE_SERVICE_UUID


async def test_strap_bpm_follows_the_treadmill_workload(world: SimWorld) -> None:
    """Pycycling parses every measurement; the heart rate climbs while walking, with drop-outs."""
    treadmill = world.add("home")
    strap = world.add_hr_strap(linked_to=treadmill, name="Chest Strap")
    found = await BleakScanner.discover(
        1.0, backend=SimulatedScanner, service_uuids=[HEART_RATE_SERVICE_UUID]
    )
    assert [d.address for d in found] == [strap.address]
    readings: list[tuple[float, Any]] = []
    async with (
        BleakClient(strap.device, backend=SimulatedClient) as hr_client,
        BleakClient(treadmill.device, backend=SimulatedClient) as tm_client,
    ):
        service = HeartRateService(hr_client)
        loop = asyncio.get_running_loop()
        service.set_hr_measurement_handler(lambda m: readings.append((loop.time(), m)))
        await service.enable_hr_measurement_notifications()
        await asyncio.sleep(60.0)
        resting = readings[-1][1].bpm
        await tm_client.start_notify(CONTROL_POINT_UUID, lambda _c, _d: None)
        for request in (cp.request_control(), cp.set_target_speed(6.0), cp.start_or_resume()):
            await tm_client.write_gatt_char(
                CONTROL_POINT_UUID, cp.encode_request(request), response=True
            )
        await asyncio.sleep(300.0)
        walking = readings[-1][1].bpm
    assert 60 <= resting <= 70
    assert walking > resting + 20
    assert all(m.sensor_contact for _, m in readings)
    assert all(m.rr_interval for _, m in readings)
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(readings)]
    assert max(gaps) >= 6.0  # a drop-out: the strap lost contact for a few seconds
    assert sorted(gaps)[len(gaps) // 2] == 1.0  # otherwise one measurement per second
