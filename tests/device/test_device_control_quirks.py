"""Control point quirks of real machines, built as small variants of the simulated treadmill."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING

import pytest
from bleak import BleakClient

from retrowalk.device.treadmill import FtmsTreadmill
from retrowalk.errors import ControlTimeout
from retrowalk.ftms.models import CONTROL_POINT_UUID
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld
from retrowalk_sim.model import TreadmillModel
from retrowalk_sim.profiles import PROFILES

if TYPE_CHECKING:
    from retrowalk_sim.gatt import ServiceSpec


class SilentControlPoint(TreadmillModel):
    """A treadmill that takes control point writes and never answers them (a stalled machine)."""

    def write_control_point(self, data: bytes) -> None:
        """Record the write; send no indication."""
        self.control_point_log.append(bytes(data))


class WriteWithoutResponseOnly(TreadmillModel):
    """A treadmill whose control point offers write-without-response only (a spec violation)."""

    def services(self) -> list[ServiceSpec]:
        """Return the usual table with the control point's "write" replaced."""
        table = super().services()
        return [
            dataclasses.replace(
                service,
                characteristics=tuple(
                    dataclasses.replace(c, properties=("write-without-response", "indicate"))
                    if c.uuid == CONTROL_POINT_UUID
                    else c
                    for c in service.characteristics
                ),
            )
            for service in table
        ]


async def test_silent_machine_raises_control_timeout_after_the_configured_time() -> None:
    """No indication within control_timeout_s raises ControlTimeout naming op and timeout."""
    world = SimWorld()
    model = SilentControlPoint(PROFILES["home"])
    peripheral = world._add(model, "RW Silent", None, 23)
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
    model = WriteWithoutResponseOnly(PROFILES["home"])
    peripheral = world._add(model, "RW Odd", None, 23)
    async with world:
        client = BleakClient(peripheral.device, backend=SimulatedClient)
        async with FtmsTreadmill(client) as treadmill:
            await treadmill.request_control()
            await treadmill.start()
            assert await treadmill.set_speed(2.0) == 2.0
    assert model.control_point_log == [b"\x00", b"\x07", b"\x02\xc8\x00"]
