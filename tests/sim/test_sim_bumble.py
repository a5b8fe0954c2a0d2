"""The simulated treadmill as a bumble GATT server: what a client sees through a real ATT stack."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakGATTProtocolError

from retrowalk.device.bumble_adapter import BumbleAdapter
from retrowalk.device.scan import ftms_result
from retrowalk.ftms.device_info import MANUFACTURER_NAME_UUID
from retrowalk.ftms.models import (
    CONTROL_POINT_UUID,
    FEATURE_UUID,
    STATUS_UUID,
    TREADMILL_DATA_UUID,
)
from retrowalk_sim.bumble_room import Room, bumble_room
from retrowalk_sim.bumble_server import ServerEvent, advertising_data

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from bleak.backends.device import BLEDevice
    from bleak.backends.scanner import AdvertisementData


@contextlib.asynccontextmanager
async def _client(
    profile: str = "home", events: list[ServerEvent] | None = None
) -> AsyncIterator[tuple[Room, BleakClient]]:
    hook = events.append if events is not None else None
    async with (
        bumble_room(profile, on_event=hook) as room,
        BumbleAdapter(device=room.central()) as adapter,
    ):
        device, _adv = await _find(adapter)
        async with BleakClient(device, backend=adapter.client_backend) as client:
            yield room, client


async def _find(adapter: BumbleAdapter) -> tuple[BLEDevice, AdvertisementData]:
    async with BleakScanner(backend=adapter.scanner_backend) as scanner:
        async for device, adv in scanner.advertisement_data():
            return device, adv
    raise AssertionError("the scanner stopped without a device")  # pragma: no cover


async def test_the_advertisement_names_an_ftms_treadmill() -> None:
    """A scan over bumble hears the full name and the FTMS service data with the treadmill bit."""
    async with bumble_room("home") as room, BumbleAdapter(device=room.central()) as adapter:
        device, adv = await _find(adapter)
    result = ftms_result(device, adv)
    assert result is not None
    assert result.is_treadmill
    assert result.name == "RW Home Treadmill"
    assert device.address == room.address


def test_a_name_too_long_for_the_advertisement_is_shortened_and_the_data_fits() -> None:
    """The advertisement never exceeds 31 bytes: a long name is cut, the service data stays."""
    data = advertising_data("X" * 40, [], {"00001826-0000-1000-8000-00805f9b34fb": b"\x01\x01\x00"})
    assert len(data) == 31
    assert b"\x16\x26\x18\x01\x01\x00" in data  # service data 0x1826: available, treadmill


async def test_every_characteristic_is_served_with_its_properties() -> None:
    """Discovery over ATT finds each characteristic of the profile, with its declared properties."""
    async with _client("home") as (room, client):
        for spec in room.model.services():
            service = client.services.get_service(spec.uuid)
            assert service is not None, spec.uuid
            for char_spec in spec.characteristics:
                char = service.get_characteristic(char_spec.uuid)
                assert char is not None, char_spec.uuid
                assert set(char.properties) == set(char_spec.properties), char_spec.uuid
        maker = await client.read_gatt_char(MANUFACTURER_NAME_UUID)
    assert bytes(maker) == b"retrowalk simulator"


async def test_the_server_refuses_what_a_characteristic_does_not_declare() -> None:
    """Reading a notify-only value, writing a read-only one and an unarmed control point fail."""
    async with _client("home") as (room, client):
        with pytest.raises(BleakGATTProtocolError) as read:
            await client.read_gatt_char(TREADMILL_DATA_UUID)
        with pytest.raises(BleakGATTProtocolError) as write:
            await client.write_gatt_char(FEATURE_UUID, b"\x00" * 8, response=True)
        with pytest.raises(BleakGATTProtocolError) as unarmed:
            await client.write_gatt_char(CONTROL_POINT_UUID, b"\x00", response=True)
        feature = await client.read_gatt_char(FEATURE_UUID)
    assert (read.value.code, write.value.code, unarmed.value.code) == (0x02, 0x03, 0xFD)
    assert bytes(feature) != b"\x00" * 8  # the refused write changed nothing
    assert room.model.control_point_log == []  # the unarmed write never reached the machine


async def test_status_comes_before_the_indication_and_both_arrive() -> None:
    """A speed change sends its status notification first, then the control point indication."""
    received: list[tuple[str, bytes]] = []
    events: list[ServerEvent] = []
    async with _client("home", events) as (_room, client):
        await client.start_notify(STATUS_UUID, lambda _c, d: received.append(("status", bytes(d))))
        await client.start_notify(
            CONTROL_POINT_UUID, lambda _c, d: received.append(("cp", bytes(d)))
        )
        await client.write_gatt_char(CONTROL_POINT_UUID, b"\x00", response=True)
        await client.write_gatt_char(CONTROL_POINT_UUID, b"\x02\x2c\x01", response=True)  # 3 km/h
    assert received[:3] == [
        ("cp", b"\x80\x00\x01"),
        ("status", b"\x05\x2c\x01"),  # target speed changed to 3 km/h
        ("cp", b"\x80\x02\x01"),
    ]
    writes = [event.data for event in events if event.kind == "write"]
    assert writes[:2] == [b"\x00", b"\x02\x2c\x01"]
    assert [event.kind for event in events][:2] == ["advertising", "connected"]


async def test_pycycling_drives_the_treadmill_served_by_bumble() -> None:
    """pycycling, unmodified, over a real ATT stack: control, speed, start, stop, answers."""
    from pycycling.fitness_machine_service import FitnessMachineService  # noqa: PLC0415
    from pycycling.ftms_parsers.control_point import (  # noqa: PLC0415
        FTMSControlPointResponseResultCode,
    )

    answers: list[object] = []
    async with _client("home") as (room, client):
        ftms = FitnessMachineService(client)
        machine, targets = await ftms.get_all_features()
        assert machine.inclination_supported
        assert targets.speed_target_setting_supported
        ftms.set_control_point_response_handler(lambda r: answers.append(r.result_code_enum))
        await ftms.enable_control_point_indicate()
        await ftms.request_control()
        await ftms.set_target_speed(300)  # pycycling takes the wire number: 0.01 km/h
        await ftms.start_or_resume()
        await asyncio.sleep(10)
        assert room.model.speed_kmh == pytest.approx(3.0)
        await ftms.stop_or_pause(pause=False)
        await asyncio.sleep(10)
        assert not room.model.belt_running
    assert answers == [FTMSControlPointResponseResultCode.SUCCESS] * 4
