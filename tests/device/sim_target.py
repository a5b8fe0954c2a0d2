"""The simulated treadmill of the device tests, through the fast backend or through bumble.

`open_sim(backend, profile, tweaks=..., record_traffic=..., **options)` yields
(SimTarget, connected FtmsTreadmill); the `sim_treadmill` fixture runs a test on each backend.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bleak import BleakClient

from retrowalk.device.bumble_adapter import BumbleAdapter
from retrowalk.device.scan import find_treadmill
from retrowalk.device.treadmill import FtmsTreadmill
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld
from retrowalk_sim.bumble_room import bumble_room

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from retrowalk_sim.model import TreadmillModel

BACKENDS = ("fake", "bumble")


@dataclass(frozen=True)
class SimTarget:
    """The simulated treadmill a device test drives, through either stack."""

    backend: str  # "fake": retrowalk's in-process bleak backend; "bumble": a real ATT/GATT stack
    model: TreadmillModel
    address: str


@contextlib.asynccontextmanager
async def open_sim(
    backend: str,
    profile: str = "home",
    *,
    tweaks: dict[str, object] | None = None,
    record_traffic: bool = False,
    **options: Any,
) -> AsyncIterator[tuple[SimTarget, FtmsTreadmill]]:
    """Serve `profile` on `backend` and yield it with a connected FtmsTreadmill."""
    if backend == "fake":
        world = SimWorld()
        peripheral = world.add(profile=profile, tweaks=tweaks, record_traffic=record_traffic)
        async with world:
            client = BleakClient(peripheral.device, backend=SimulatedClient)
            async with FtmsTreadmill(client, **options) as treadmill:
                yield SimTarget(backend, peripheral.model, peripheral.address), treadmill
        return
    async with (
        bumble_room(profile, tweaks=tweaks, record_traffic=record_traffic) as room,
        BumbleAdapter(device=room.central()) as adapter,
    ):
        device = await find_treadmill(room.name, via=adapter.scanner_backend)
        client = BleakClient(device, backend=adapter.client_backend)  # type: ignore[arg-type]
        async with FtmsTreadmill(client, **options) as treadmill:
            yield SimTarget(backend, room.model, device.address), treadmill


if TYPE_CHECKING:
    # What the `sim_treadmill` fixture returns: open_sim with its backend filled in.
    OpenSim = Callable[..., contextlib.AbstractAsyncContextManager[tuple[SimTarget, FtmsTreadmill]]]
