"""Capture a treadmill: its declarations, a stretch of its notifications, a low-speed check.

Public API: `probe_machine(target, *, adapter, accept, ...)` finds and connects the machine
(the system's Bluetooth, or a `BumbleAdapter`), lets `accept(name, info)` refuse it from its
Device Information, then captures it with `probe(client, *, seconds, confirm, progress, source,
info) -> Capture` over a connected `BleakClient`. It lists the FTMS and Device Information
characteristics, reads every readable one, records every notification and indication of the
FTMS service for `seconds` with its time, and then, only when `confirm()` says yes (the person,
on screen, with nobody on the belt), runs the control check: Request Control, Start, the
slowest speed the machine declares, one step up, Stop, each answer waited for (bounded), every
byte and its time recorded. Whatever happens during the check (an error, a refusal, Ctrl-C), a
Stop is sent before it returns. Bytes only: nothing is decoded on the way in, so a quirky
machine stays quirky in the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from bleak import BleakClient
from bleak.exc import BleakError

from retrowalk.errors import DeviceError, ProtocolError
from retrowalk.ftms import control_point as cp
from retrowalk.ftms.capture import Capture, Characteristic, DeviceInformation, Packet
from retrowalk.ftms.device_info import DEVICE_INFORMATION_UUID
from retrowalk.ftms.models import (
    CONTROL_POINT_UUID,
    FTMS_SERVICE_UUID,
    SPEED_RANGE_UUID,
    TREADMILL_DATA_UUID,
    ControlOp,
    SpeedRange,
)
from retrowalk.ftms.ranges import decode_speed_range

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from bleak.backends.characteristic import BleakGATTCharacteristic

    from retrowalk.device.bumble_adapter import BumbleAdapter
    from retrowalk.ftms.device_info import DeviceInfo

log = logging.getLogger(__name__)

ANSWER_TIMEOUT_S = 5.0  # per control point request (the FTMS limit is 30 s: be brisk here)
WALK_S = 8.0  # how long the belt runs at each of the two check speeds
SETTLE_S = 10.0  # recording after Stop: the coast-down to rest
PROGRESS_EVERY_S = 5.0
_NOTIFYING = ("notify", "indicate")


class _Recorder:
    """Every value on the air, timed from the start of the recording."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.start = self.loop.time()
        self.packets: list[Packet] = []
        self.answers: asyncio.Queue[bytes] = asyncio.Queue()

    def now(self) -> float:
        return round(self.loop.time() - self.start, 4)

    def add(self, uuid: str, direction: str, data: bytes) -> None:
        self.packets.append(
            Packet.model_validate(
                {"t": self.now(), "uuid": uuid, "direction": direction, "hex": data.hex()}
            )
        )

    def listener(self, char: BleakGATTCharacteristic) -> Callable[[object, bytearray], None]:
        direction = "notify" if "notify" in char.properties else "indicate"

        def heard(_sender: object, data: bytearray) -> None:
            self.add(char.uuid, direction, bytes(data))
            if char.uuid == CONTROL_POINT_UUID:
                self.answers.put_nowait(bytes(data))

        return heard


async def probe_machine(  # noqa: PLR0913 - keyword-only parts of one capture
    target: str | None,
    *,
    adapter: BumbleAdapter | None,
    accept: Callable[[str, DeviceInfo], None],
    seconds: float,
    confirm: Callable[[SpeedRange], Awaitable[bool]],
    progress: Callable[[str], None],
    source: str,
    with_address: bool = False,
    pace: float = 1.0,
) -> Capture:
    """Find the machine (`target`: address, name or None for the first), connect, capture it.

    `accept` raises to refuse the machine (`--yes` against anything but the simulator) before
    anything is recorded or moved. A `retrowalk sim` is asked to run at `pace` first.
    """
    from retrowalk.device.link import read_device_info, write_pace  # noqa: PLC0415 - a cycle
    from retrowalk.device.scan import find_treadmill  # noqa: PLC0415

    via = None if adapter is None else adapter.scanner_backend
    device = await find_treadmill(target, via=via)
    name = device.name or device.address
    progress(f"connecting to {name}...")
    backend = None if adapter is None else adapter.client_backend
    async with BleakClient(device, backend=backend) as client:
        info = await read_device_info(client)
        if info.time_factor not in (None, pace):
            with contextlib.suppress(BleakError):  # refused: `accept` names the mismatch
                await write_pace(client, pace)
            info = await read_device_info(client)
        accept(name, info)
        return await probe(
            client,
            seconds=seconds,
            confirm=confirm,
            progress=progress,
            source=source,
            info=info,
            with_address=with_address,
        )


async def probe(  # noqa: PLR0913 - keyword-only parts of one capture
    client: BleakClient,
    *,
    seconds: float,
    confirm: Callable[[SpeedRange], Awaitable[bool]],
    progress: Callable[[str], None],
    source: str,
    info: DeviceInfo,
    with_address: bool = False,
) -> Capture:
    """Return the capture of the connected machine (see the module docstring)."""
    service = client.services.get_service(FTMS_SERVICE_UUID)
    if service is None:
        raise DeviceError(f"{client.address} has no Fitness Machine service (0x1826)")
    chars = [*service.characteristics]
    found = [await _describe(client, c) for c in chars]
    dis = client.services.get_service(DEVICE_INFORMATION_UUID)
    if dis is not None:
        found += [await _describe(client, c) for c in dis.characteristics]
    recorder = _Recorder()
    for char in chars:
        if set(_NOTIFYING) & set(char.properties):
            await client.start_notify(char, recorder.listener(char))
    await _record(recorder, seconds, progress)
    checked, notes = False, ["no control check: the person did not confirm it"]
    speed_range = _speed_range(found)
    control = service.get_characteristic(CONTROL_POINT_UUID)
    if control is None or speed_range is None:
        notes = ["no control check: no control point or no readable Speed Range"]
    elif await confirm(speed_range):
        try:
            checked = await _control_check(client, control, recorder, speed_range, progress)
            notes = []
        except (BleakError, DeviceError) as exc:  # the bytes so far are the machine's answer
            notes = [f"the control check stopped early: {exc}"]
    name = getattr(client, "name", None) or "treadmill"
    return Capture(
        name=str(name)[:64],
        source=source,
        address=client.address if with_address else None,
        device_info=DeviceInformation(
            manufacturer=info.manufacturer, model=info.model, software=info.software
        ),
        characteristics=tuple(found),
        traffic=tuple(recorder.packets),
        control_check=checked,
        notes=tuple(notes),
    )


async def _describe(client: BleakClient, char: BleakGATTCharacteristic) -> Characteristic:
    value = None
    if "read" in char.properties:
        try:
            value = bytes(await client.read_gatt_char(char)).hex()
        except BleakError as exc:
            if not client.is_connected:
                raise
            log.warning("could not read %s: %s", char.uuid, exc)
    return Characteristic(uuid=char.uuid, properties=tuple(char.properties), value=value)


def _speed_range(found: list[Characteristic]) -> SpeedRange | None:
    declared = next((c.data for c in found if c.uuid == SPEED_RANGE_UUID and c.data), None)
    if declared is None:
        return None
    try:
        return decode_speed_range(declared)
    except ProtocolError:
        return None  # no trustworthy slowest speed: no control check


async def _record(
    recorder: _Recorder, seconds: float, progress: Callable[[str], None], what: str = "recorded"
) -> None:
    """Record for `seconds` from now, saying how far it got every few seconds."""
    begun = recorder.loop.time()
    while (left := begun + seconds - recorder.loop.time()) > 0:
        await asyncio.sleep(min(PROGRESS_EVERY_S, left))
        data = sum(p.uuid == TREADMILL_DATA_UUID for p in recorder.packets)
        done = recorder.loop.time() - begun
        progress(f"{what} {done:.0f} s of {seconds:g}: {data} Treadmill Data records in all")


def check_speeds(speeds: SpeedRange) -> tuple[float, float]:
    """Return the control check's two speeds: the slowest declared, then one step up."""
    slowest = speeds.minimum_kmh
    return slowest, min(speeds.maximum_kmh, slowest + max(speeds.increment_kmh, 0.5))


async def _control_check(
    client: BleakClient,
    control: BleakGATTCharacteristic,
    recorder: _Recorder,
    speeds: SpeedRange,
    progress: Callable[[str], None],
) -> bool:
    """Run the low-speed check; return whether it ran to its Stop. Stop is always sent."""
    response = "write" in control.properties

    async def send(payload: bytes, what: str) -> None:
        progress(what)
        recorder.add(CONTROL_POINT_UUID, "write", payload)
        await client.write_gatt_char(control, payload, response=response)
        with contextlib.suppress(TimeoutError):  # an unanswered request is part of the record
            async with asyncio.timeout(ANSWER_TIMEOUT_S):
                while (await recorder.answers.get())[:2] != bytes([ControlOp.RESPONSE, payload[0]]):
                    pass

    slowest, step = check_speeds(speeds)
    try:
        await send(cp.encode_request(cp.request_control()), "control check: Request Control")
        await send(cp.encode_request(cp.start_or_resume()), "control check: Start")
        slow = cp.encode_request(cp.set_target_speed(slowest))
        await send(slow, f"control check: {slowest:.2f} km/h, the slowest")
        await asyncio.sleep(WALK_S)
        await send(cp.encode_request(cp.set_target_speed(step)), f"control check: {step:.2f} km/h")
        await asyncio.sleep(WALK_S)
    finally:
        with contextlib.suppress(BleakError, TimeoutError):
            async with asyncio.timeout(ANSWER_TIMEOUT_S):
                await asyncio.shield(send(cp.encode_request(cp.stop()), "control check: Stop"))
    await _record(recorder, SETTLE_S, progress, "after Stop, recorded")  # the coast to rest
    return True
