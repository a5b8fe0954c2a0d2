"""The bleak backends: advertisement, discovery, ATT errors, MTU, disconnects, a room."""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import (
    BleakCharacteristicNotFoundError,
    BleakDeviceNotFoundError,
    BleakError,
    BleakGATTProtocolError,
    BleakGATTProtocolErrorCode,
)
from sim_traffic import Traffic

from retrowalk.ftms import control_point as cp
from retrowalk.ftms.advertisement import decode_advertisement
from retrowalk.ftms.models import (
    CONTROL_POINT_UUID,
    FEATURE_UUID,
    FTMS_SERVICE_UUID,
    SPEED_RANGE_UUID,
    TREADMILL_DATA_UUID,
    ResultCode,
)
from retrowalk_sim.bleak_backend import SimulatedClient, SimulatedScanner, SimWorld


async def test_scanner_sees_every_treadmill_with_ftms_service_data(world: SimWorld) -> None:
    """BleakScanner finds each machine of the room by name, address and `01 01 00` service data."""
    machines = [world.add("home"), world.add("walking-pad"), world.add("fr30z", name="Gym #3")]
    found = await BleakScanner.discover(
        1.0, return_adv=True, backend=SimulatedScanner, service_uuids=[FTMS_SERVICE_UUID]
    )
    assert set(found) == {m.address for m in machines}
    device, adv = found[machines[2].address]
    assert adv.local_name == "Gym #3"
    assert device.name == "Gym #3"
    assert adv.service_data[FTMS_SERVICE_UUID] == b"\x01\x01\x00"
    assert decode_advertisement(adv.service_data[FTMS_SERVICE_UUID]).is_treadmill
    assert adv.rssi < 0


async def test_find_by_name_and_connect_by_address_string(world: SimWorld) -> None:
    """find_device_by_name works, and an address string connects through the world registry."""
    p = world.add("home", name="Basement")
    device = await BleakScanner.find_device_by_name("Basement", backend=SimulatedScanner)
    assert device is not None
    assert device.address == p.address
    async with BleakClient(p.address, backend=SimulatedClient) as client:
        assert client.name == "Basement"
        assert len(await client.read_gatt_char(FEATURE_UUID)) == 8


async def test_a_connected_treadmill_stops_advertising(world: SimWorld) -> None:
    """A machine with a central connected is invisible to scanners and refuses a second central."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient):
        found = await BleakScanner.discover(1.0, backend=SimulatedScanner)
        assert found == []
        with pytest.raises(TimeoutError):
            await BleakClient(p.device, backend=SimulatedClient, timeout=3.0).connect()


async def test_unknown_address_is_not_found(world: SimWorld) -> None:
    """Connecting to an address no running world has raises BleakDeviceNotFoundError."""
    with pytest.raises(BleakDeviceNotFoundError):
        await BleakClient("AA:BB:CC:DD:EE:FF", backend=SimulatedClient).connect()


async def test_services_have_real_handles_and_properties(world: SimWorld) -> None:
    """Discovery shows the FTMS characteristics with distinct handles, properties and CCCDs."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        service = client.services.get_service(FTMS_SERVICE_UUID)
        assert service is not None
        props = {c.uuid[4:8]: c.properties for c in service.characteristics}
        assert props == {
            "2acc": ["read"],
            "2acd": ["notify"],
            "2ad3": ["read", "notify"],
            "2ad4": ["read"],
            "2ad5": ["read"],
            "2ad9": ["write", "indicate"],
            "2ada": ["notify"],
        }
        handles = [c.handle for c in service.characteristics]
        assert len(set(handles)) == len(handles)
        cp_char = service.get_characteristic(CONTROL_POINT_UUID)
        assert cp_char is not None
        assert [d.uuid[4:8] for d in cp_char.descriptors] == ["2902"]


async def test_att_errors_like_a_real_stack(world: SimWorld) -> None:
    """Read-only write -> 0x03; control point read -> 0x02; write before indications -> 0xFD."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        with pytest.raises(BleakGATTProtocolError) as caught:
            await client.write_gatt_char(SPEED_RANGE_UUID, b"\x00", response=True)
        assert caught.value.code is BleakGATTProtocolErrorCode.WRITE_NOT_PERMITTED
        assert "Write Not Permitted" in str(caught.value)
        with pytest.raises(BleakGATTProtocolError) as caught:
            await client.read_gatt_char(CONTROL_POINT_UUID)
        assert caught.value.code is BleakGATTProtocolErrorCode.READ_NOT_PERMITTED
        with pytest.raises(BleakGATTProtocolError) as caught:
            await client.write_gatt_char(CONTROL_POINT_UUID, b"\x00", response=True)
        assert caught.value.code is BleakGATTProtocolErrorCode.CCCD_IMPROPERLY_CONFIGURED
        assert "Improperly Configured" in str(caught.value)
        assert p.model.control_point_log == []  # rejected before reaching the machine
        with pytest.raises(BleakError):
            await client.start_notify(FEATURE_UUID, lambda _c, _d: None)
        with pytest.raises(BleakCharacteristicNotFoundError):
            await client.read_gatt_char("00002ad6-0000-1000-8000-00805f9b34fb")


async def test_indication_arrives_before_the_write_returns(world: SimWorld) -> None:
    """The control point indication is delivered while write_gatt_char is still awaiting."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        seen: list[bytes] = []
        await client.start_notify(CONTROL_POINT_UUID, lambda _c, d: seen.append(bytes(d)))
        await client.write_gatt_char(CONTROL_POINT_UUID, b"\x00", response=True)
        assert seen == [b"\x80\x00\x01"]
        loop_time = asyncio.get_running_loop().time()
        written_at, data = p.model.control_point_writes[-1]
        assert data == b"\x00"
        assert written_at == pytest.approx(loop_time - 0.015)


async def test_stop_notify_and_disconnect_silence_the_device(world: SimWorld) -> None:
    """After stop_notify no data arrives; disconnect runs the callback and ends the link."""
    p = world.add("home")
    dropped: list[BleakClient] = []
    client = BleakClient(p.device, dropped.append, backend=SimulatedClient)
    await client.connect()
    t = Traffic(client)
    await client.start_notify(TREADMILL_DATA_UUID, t.on_notify)
    await asyncio.sleep(1.0)
    await client.stop_notify(TREADMILL_DATA_UUID)
    count = len(t.raw)
    await asyncio.sleep(1.0)
    assert len(t.raw) == count > 0
    await client.disconnect()
    await asyncio.sleep(0)
    assert dropped == [client]
    assert not client.is_connected
    assert not p.connected
    with pytest.raises(BleakError):
        await client.read_gatt_char(FEATURE_UUID)


async def test_room_of_treadmills_runs_independently(world: SimWorld) -> None:
    """Three treadmills at once, three clients: each follows only its own commands."""
    machines = [world.add("home") for _ in range(3)]
    async with (
        BleakClient(machines[0].device, backend=SimulatedClient) as c0,
        BleakClient(machines[1].device, backend=SimulatedClient) as c1,
        BleakClient(machines[2].device, backend=SimulatedClient) as c2,
    ):
        traffic = [Traffic(c) for c in (c0, c1, c2)]
        for i, t in enumerate(traffic):
            await t.subscribe_all()
            await t.command(cp.request_control())
            await t.command(cp.set_target_speed(2.0 + i))
            assert (await t.command(cp.start_or_resume())).result is ResultCode.SUCCESS
        await asyncio.sleep(10.0)
        assert [t.records[-1][1].speed_kmh for t in traffic] == [2.0, 3.0, 4.0]


async def test_world_exit_drops_links(world: SimWorld) -> None:
    """Leaving a SimWorld powers its machines off: connected clients see a disconnect."""
    dropped: list[BleakClient] = []
    async with SimWorld() as inner:
        p = inner.add("home")
        client = BleakClient(p.device, dropped.append, backend=SimulatedClient)
        await client.connect()
    await asyncio.sleep(0)
    assert dropped == [client]
    assert not client.is_connected


async def test_a_slow_machine_indicates_after_the_write_returns(world: SimWorld) -> None:
    """Kingsmith answers 0.12 s late: the write returns first, the indication follows."""
    p = world.add("kingsmith")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        seen: list[bytes] = []
        await client.start_notify(CONTROL_POINT_UUID, lambda _c, d: seen.append(bytes(d)))
        await client.write_gatt_char(CONTROL_POINT_UUID, b"\x07", response=True)
        assert seen == []
        await asyncio.sleep(0.12)
        assert seen == [b"\x80\x07\x01"]
