"""Test helper: record what a plain BleakClient receives from a simulated device."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from retrowalk.ftms import control_point as cp
from retrowalk.ftms.assembler import TreadmillDataAssembler
from retrowalk.ftms.control_point import decode_response, encode_request
from retrowalk.ftms.models import (
    CONTROL_POINT_UUID,
    STATUS_UUID,
    TRAINING_STATUS_UUID,
    TREADMILL_DATA_UUID,
    ControlRequest,
    ControlResponse,
    MachineStatus,
    ResultCode,
    TreadmillData,
)
from retrowalk.ftms.status import decode_status

if TYPE_CHECKING:
    from bleak import BleakClient
    from bleak.backends.characteristic import BleakGATTCharacteristic


@dataclass
class Traffic:
    """Everything a BleakClient received, with loop times, decoded where it is FTMS."""

    client: BleakClient
    raw: list[tuple[float, str, bytes]] = field(default_factory=list)
    records: list[tuple[float, TreadmillData]] = field(default_factory=list)
    assembler: TreadmillDataAssembler = field(default_factory=TreadmillDataAssembler)
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    def on_notify(self, char: BleakGATTCharacteristic, data: bytearray) -> None:
        """Record one notification or indication (bleak callback)."""
        now = asyncio.get_running_loop().time()
        self.raw.append((now, char.uuid, bytes(data)))
        if char.uuid == CONTROL_POINT_UUID:
            self.answered.set()
        if char.uuid == TREADMILL_DATA_UUID:
            record = self.assembler.feed(bytes(data), now)
            if record is not None:
                self.records.append((now, record))

    def on_notify_raw(self, char: BleakGATTCharacteristic, data: bytearray) -> None:
        """Record one notification without decoding it (bleak callback)."""
        self.raw.append((asyncio.get_running_loop().time(), char.uuid, bytes(data)))

    def of(self, uuid: str) -> list[bytes]:
        """Return the payloads received on `uuid`, in order."""
        return [data for _, u, data in self.raw if u == uuid]

    def statuses(self) -> list[bytes]:
        """Return the Fitness Machine Status payloads."""
        return self.of(STATUS_UUID)

    def decoded_statuses(self) -> list[MachineStatus]:
        """Return the decoded Fitness Machine Status notifications."""
        return [decode_status(s) for s in self.statuses()]

    def speeds(self, since: float = 0.0) -> list[tuple[float, float | None]]:
        """Return (time, reported speed) of every merged record since `since`."""
        return [(t, r.speed_kmh) for t, r in self.records if t >= since]

    async def subscribe_all(self) -> None:
        """Enable every notification and indication the device has."""
        for uuid in (TREADMILL_DATA_UUID, STATUS_UUID, TRAINING_STATUS_UUID, CONTROL_POINT_UUID):
            if self.client.services.get_characteristic(uuid) is not None:
                await self.client.start_notify(uuid, self.on_notify)

    async def command(self, request: ControlRequest) -> ControlResponse:
        """Write a control point request and return the indication that answered it."""
        return decode_response(await self.write_control_point(encode_request(request)))

    async def write_control_point(self, data: bytes) -> bytes:
        """Write raw bytes to the control point; return the one indication that answers them."""
        before = len(self.of(CONTROL_POINT_UUID))
        self.answered.clear()
        await self.client.write_gatt_char(CONTROL_POINT_UUID, data, response=True)
        async with asyncio.timeout(5.0):
            await self.answered.wait()
        answers = self.of(CONTROL_POINT_UUID)[before:]
        assert len(answers) == 1, "exactly one indication per procedure"
        return answers[0]

    def first_time(self, predicate: object, since: float = 0.0) -> float | None:
        """Return the time of the first merged record since `since` satisfying `predicate`."""
        assert callable(predicate)
        return next((t for t, r in self.records if t >= since and predicate(r)), None)


def now() -> float:
    """Return the loop time."""
    return asyncio.get_running_loop().time()


async def running(t: Traffic, speed: float, wait: float = 10.0) -> None:
    """Take control, set a speed, start, and let the belt get there."""
    assert (await t.command(cp.request_control())).result is ResultCode.SUCCESS
    assert (await t.command(cp.set_target_speed(speed))).result is ResultCode.SUCCESS
    assert (await t.command(cp.start_or_resume())).result is ResultCode.SUCCESS
    await asyncio.sleep(wait)
