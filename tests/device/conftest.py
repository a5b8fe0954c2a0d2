"""Device-layer fixtures: simulated treadmills, and the target of the `hardware` tests.

The target is the simulator, or the real treadmill named by --ble-address/--ble-name; with either
option every device test not marked `hardware` is skipped (docs/hardware-tests.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from sim_target import BACKENDS, open_sim

from retrowalk.device.scan import find_treadmill
from retrowalk.device.treadmill import FtmsTreadmill
from retrowalk.errors import DeviceError
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sim_target import OpenSim

    from retrowalk_sim.model import TreadmillModel

log = logging.getLogger(__name__)

HARDWARE_SCAN_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
NOT_A_HARDWARE_TEST = (
    "not a hardware test: it needs the simulator (faults, console actions, exact wire bytes) "
    "or tests pure logic; run it without --ble-address/--ble-name"
)


@pytest.fixture(params=BACKENDS)
def sim_treadmill(
    request: pytest.FixtureRequest,
) -> OpenSim:
    """Return `open(profile, tweaks=..., record_traffic=..., **options)`: a connected simulator.

    Each test using it runs twice: through the fast in-process backend and through bumble's
    host stack on a virtual controller (handles, CCCD writes, MTU, ATT errors for real).
    `record_traffic` keeps what the machine sent in `target.model.sent`; the other options go
    to FtmsTreadmill.
    """
    return functools.partial(open_sim, request.param)


def hardware_target(config: pytest.Config) -> str | None:
    """Return the real treadmill's address or name given on the command line, else None."""
    address = config.getoption("ble_address")
    name = config.getoption("ble_name")
    return str(address or name) if (address or name) else None


@pytest.fixture(autouse=True)
def _hardware_runs_only_hardware_tests(request: pytest.FixtureRequest) -> None:
    """With --ble-address/--ble-name, skip every device test not marked `hardware`."""
    if hardware_target(request.config) is None:
        return
    if request.node.get_closest_marker("hardware") is not None:
        return
    marker = request.node.get_closest_marker("simulator_only")
    pytest.skip(str(marker.args[0]) if marker and marker.args else NOT_A_HARDWARE_TEST)


@dataclass
class TreadmillTarget:
    """Where a `hardware` test runs: the simulated "home" treadmill, or the real one."""

    real_target: str | None
    model: TreadmillModel | None = None  # the simulated machine, once opened (None on hardware)

    @property
    def is_real(self) -> bool:
        """Return whether the tests drive a real treadmill."""
        return self.real_target is not None

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[FtmsTreadmill]:
        """Find and connect the treadmill (scan, then a plain BleakClient); stop it on exit."""
        if self.real_target is not None:
            device = await find_treadmill(self.real_target, timeout_s=HARDWARE_SCAN_TIMEOUT_S)
            async with _stopping(FtmsTreadmill.from_device(device)) as treadmill:
                yield treadmill
            return
        world = SimWorld()
        peripheral = world.add("home")
        self.model = peripheral.model
        async with world:
            device = await find_treadmill(peripheral.address, simulated_world=world, timeout_s=5)
            treadmill = FtmsTreadmill.from_device(device, backend=SimulatedClient)
            async with _stopping(treadmill):
                yield treadmill


@contextlib.asynccontextmanager
async def _stopping(treadmill: FtmsTreadmill) -> AsyncIterator[FtmsTreadmill]:
    """Enter the treadmill and always send Stop before disconnecting (time-bounded)."""
    async with treadmill:
        try:
            yield treadmill
        finally:
            if treadmill.capabilities.has_control_point and treadmill.is_connected:
                try:
                    async with asyncio.timeout(STOP_TIMEOUT_S):
                        await treadmill.stop()
                except (DeviceError, TimeoutError):
                    log.exception("STOP AT THE END OF THE TEST FAILED: stop the belt by hand")
            elif treadmill.capabilities.has_control_point:
                log.error("the link is down at the end of the test: check the belt has stopped")


@pytest.fixture
def treadmill_target(request: pytest.FixtureRequest) -> TreadmillTarget:
    """Return the test target: the simulator, or the real treadmill named on the command line."""
    return TreadmillTarget(hardware_target(request.config))
