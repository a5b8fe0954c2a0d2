"""Finding treadmills: scan, find by address/name/first, connect, and `retrowalk scan --sim`."""

from __future__ import annotations

import asyncio

import pytest

from retrowalk.cli.main import main
from retrowalk.device.api import LinkLost, LinkRestored
from retrowalk.device.scan import connect, find_treadmill, is_address, scan, simulated_world
from retrowalk.errors import ConfigError, DeviceNotFound
from retrowalk.ftms.models import MachineType
from retrowalk_sim.bleak_backend import SimWorld
from retrowalk_sim.profiles import PROFILES


def two_treadmills() -> SimWorld:
    """Return a world with a home treadmill and a walking pad (not yet running)."""
    world = SimWorld()
    world.add(profile="home")
    world.add(profile="walking-pad")
    return world


async def test_scan_yields_each_simulated_treadmill_once() -> None:
    """Every simulated FTMS machine is listed once, with name, address, type and signal."""
    world = two_treadmills()
    async with world:
        found = [r async for r in scan(timeout_s=5, simulated=True)]
    by_name = {r.name: r for r in found}
    assert set(by_name) == {PROFILES["home"].local_name, PROFILES["walking-pad"].local_name}
    for result in found:
        assert result.machine_type == MachineType.TREADMILL
        assert result.machine_type_label == "treadmill"
        assert isinstance(result.rssi, int)
        assert result.is_treadmill


async def test_find_first_treadmill() -> None:
    """Without a target, the first machine advertising the treadmill bit is chosen."""
    world = two_treadmills()
    async with world:
        device = await find_treadmill(None, simulated_world=world, timeout_s=5)
    assert device.address in {p.address for p in world.peripherals}


async def test_find_by_name_and_by_address() -> None:
    """A name (any case) or an address (any case) picks that machine."""
    world = two_treadmills()
    async with world:
        pad = next(p for p in world.peripherals if p.name == PROFILES["walking-pad"].local_name)
        by_name = await find_treadmill(pad.name.upper(), simulated_world=world, timeout_s=5)
        by_address = await find_treadmill(pad.address.lower(), simulated_world=world, timeout_s=5)
    assert by_name.address == pad.address
    assert by_address.address == pad.address


async def test_missing_treadmill_raises_not_found_with_advice() -> None:
    """An unknown name gives DeviceNotFound after the timeout, with what to try next."""
    world = two_treadmills()
    async with world:
        loop = asyncio.get_running_loop()
        began = loop.time()
        with pytest.raises(DeviceNotFound) as caught:
            await find_treadmill("Nobody's Treadmill", simulated_world=world, timeout_s=4)
        assert loop.time() - began == pytest.approx(4.0, abs=0.5)
    message = str(caught.value)
    assert "Nobody's Treadmill" in message
    assert "retrowalk scan" in message
    assert "another app" in message


async def test_connect_to_a_simulated_profile() -> None:
    """`connect(None, sim=PROFILE)` runs a simulator and yields a connected treadmill."""
    async with connect(None, sim="walking-pad") as treadmill:
        assert treadmill.is_connected
        assert treadmill.capabilities.speed_range == PROFILES["walking-pad"].speed_range
        await treadmill.request_control()
    assert not treadmill.is_connected


async def test_connect_with_unknown_profile_names_the_allowed_ones() -> None:
    """An unknown simulator profile is a ConfigError listing the known profiles."""
    with pytest.raises(ConfigError, match="walking-pad"):
        async with connect(None, sim="treadmill-9000"):
            pass


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AA:BB:CC:DD:EE:FF", True),
        ("aa-bb-cc-dd-ee-ff", True),
        ("12345678-1234-1234-1234-123456789ABC", True),
        ("FR30Z", False),
        ("KS-ST A1P", False),
    ],
)
def test_address_or_name(text: str, expected: bool) -> None:
    """Addresses and macOS UUIDs are recognised; names are not mistaken for them."""
    assert is_address(text) is expected


def test_cli_scan_lists_simulated_machines(capsys: pytest.CaptureFixture[str]) -> None:
    """`retrowalk scan --sim 3` prints a header and one row per simulated machine."""
    assert main(["scan", "--sim", "3", "--timeout", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["NAME", "ADDRESS", "TYPE", "SIGNAL"]
    assert len(out) == 4
    assert all("treadmill" in line and "dBm" in line for line in out[1:])


@pytest.mark.parametrize("argv", [["scan", "--sim", "0"], ["scan", "--timeout", "-1"]])
def test_cli_scan_refuses_bad_options(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Bad options exit 2 with one clear line."""
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("retrowalk: ")


async def test_connect_reports_a_drop_through_the_disconnected_callback() -> None:
    """A treadmill from `connect` hears of a dropped link at once, via bleak's callback."""
    async with simulated_world("home") as world, connect(None, world=world) as treadmill:
        events = treadmill.events()
        loop = asyncio.get_running_loop()
        dropped_at = loop.time()
        world.peripherals[0].model.drop_link()
        async with asyncio.timeout(0.2):  # well under the 0.5 s link poll
            async for event in events:
                if isinstance(event, LinkLost):
                    break
        assert loop.time() - dropped_at < 0.1
        async for event in events:
            if isinstance(event, LinkRestored):
                break
        assert treadmill.is_connected
