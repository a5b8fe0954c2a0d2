"""Device-layer fixtures: a simulated world and an FtmsTreadmill over a real BleakClient."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import pytest
from bleak import BleakClient

from retrowalk.device.treadmill import FtmsTreadmill
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from retrowalk_sim.bleak_backend import SimPeripheral
    from retrowalk_sim.model import TreadmillModel


@contextlib.asynccontextmanager
async def _sim_treadmill(
    profile: str = "home", *, tweaks: dict[str, object] | None = None, **options: Any
) -> AsyncIterator[tuple[SimPeripheral[TreadmillModel], FtmsTreadmill]]:
    world = SimWorld()
    peripheral = world.add(profile=profile, tweaks=tweaks)
    async with world:
        client = BleakClient(peripheral.device, backend=SimulatedClient)
        async with FtmsTreadmill(client, **options) as treadmill:
            yield peripheral, treadmill


@pytest.fixture
def sim_treadmill() -> Callable[
    ..., contextlib.AbstractAsyncContextManager[tuple[SimPeripheral[TreadmillModel], FtmsTreadmill]]
]:
    """Return `open(profile, tweaks=..., **options)`: a running simulated treadmill, connected."""
    return _sim_treadmill
