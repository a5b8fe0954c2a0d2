"""Control point quirks of real machines, built with the simulator's faults and profile tweaks."""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakClient

from retrowalk.device.treadmill import FtmsTreadmill
from retrowalk.errors import ControlTimeout
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld


async def test_silent_machine_raises_control_timeout_after_the_configured_time() -> None:
    """No indication within control_timeout_s raises ControlTimeout naming op and timeout."""
    world = SimWorld()
    peripheral = world.add("home")
    model = peripheral.model
    model.mute_control_point()
    async with world:
        client = BleakClient(peripheral.device, backend=SimulatedClient)
        async with FtmsTreadmill(client, control_timeout_s=4.0) as treadmill:
            loop = asyncio.get_running_loop()
            began = loop.time()
            with pytest.raises(ControlTimeout) as caught:
                await treadmill.set_speed(3.0)
            assert loop.time() - began == pytest.approx(4.0)
            assert caught.value.op == "Set Target Speed 3.00 km/h"
            assert caught.value.timeout_s == 4.0
            assert "4 s" in str(caught.value)
            assert model.control_point_log == [b"\x02\x2c\x01"]


async def test_write_without_response_control_point_still_works() -> None:
    """A control point without "write" is driven with write-without-response."""
    world = SimWorld()
    peripheral = world.add("home", tweaks={"control_point_without_response": True})
    model = peripheral.model
    async with world:
        client = BleakClient(peripheral.device, backend=SimulatedClient)
        async with FtmsTreadmill(client) as treadmill:
            await treadmill.request_control()
            await treadmill.start()
            assert await treadmill.set_speed(2.0) == 2.0
    assert model.control_point_log == [b"\x00", b"\x07", b"\x02\xc8\x00"]
