"""A simulated device served over a real Bluetooth host stack: bumble's GATT server.

Public API:
- `serve(model, device, *, name, on_event=None, mtu=23)`: an async context manager that builds
  `device`'s GATT table from `model.services()` (the `ServiceSpec`s the in-process backend lays
  out), advertises `name` with the model's service UUIDs and data, lets one central at a time
  connect (ATT MTU at most `mtu`) and yields a `Served`. On exit the link is dropped cleanly
  (LL terminate), advertising and the model's timers stop.
- `Served`: `.connected` (the central's address, or None), `.model`, `.advertising`, `.on_event`.
- `ServerEvent`: what `on_event` hears: "connected", "disconnected", "write" (a control point
  write, with its bytes), "advertising".

The ATT rules bumble leaves to the application (docs/reference/bumble.md, pitfall 6) are kept
here, from each characteristic's declared properties: a read of a characteristic without "read"
answers 0x02 (Read Not Permitted), a write to one without "write" or "write-without-response"
0x03, a control point written before its indications are enabled 0xFD, and an `AttError` of the
model its own code. Everything the model sends goes out, in order, after the ATT response of the
write that caused it (status notifications, then the control point indication).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import uuid as std_uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bumble import att, gatt
from bumble.core import UUID, AdvertisingData

from retrowalk_sim.gatt import AttError, CharSpec
from retrowalk_sim.trace import Trace

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from bumble.device import Connection, Device

    from retrowalk_sim.gatt import ServiceSpec, SimDevice

__all__ = ["Served", "ServerEvent", "serve"]

log = logging.getLogger(__name__)

ADVERTISING_INTERVAL_MS = 20  # a central connects on the next advertising PDU (pitfall 8)
DISCONNECT_TIMEOUT_S = 2.0
_AD_LIMIT = 31
_BASE_UUID_TAIL = "-0000-1000-8000-00805f9b34fb"


@dataclass(frozen=True)
class ServerEvent:
    """Something the served device saw: a central came or went, a control point write."""

    kind: str  # "connected", "disconnected", "write", "advertising"
    peer: str | None = None
    data: bytes = b""
    reason: int | None = None


def bleak_uuid(value: UUID) -> str:
    """Return a bumble UUID as bleak writes it (128-bit, lower case, dashes)."""
    return str(std_uuid.UUID(bytes=bytes(reversed(value.uuid_128_bytes))))


def short_uuid(value: str) -> UUID:
    """Return `value` (bleak's 128-bit spelling) as bumble puts it on the air: 16 bits if it can."""
    if value.lower().endswith(_BASE_UUID_TAIL) and value.startswith("0000"):
        return UUID.from_16_bits(int(value[4:8], 16))
    return UUID(value)


def advertising_data(name: str, service_uuids: list[str], service_data: dict[str, bytes]) -> bytes:
    """Return the advertisement: flags, service data, the name, and the service UUIDs if room.

    Everything lives in the 31-byte advertisement (the virtual controller has no real scan
    response: docs/reference/bumble.md, pitfall 7). The complete name comes before the UUID
    list, since centrals find a treadmill by its name and the service data names the service
    already; a name that does not fit even alone is sent shortened.
    """
    t = AdvertisingData.Type
    uuids = [short_uuid(u).to_bytes() for u in service_uuids]
    listed = [
        (t.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS, b"".join(u for u in uuids if len(u) == 2)),
        (t.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, b"".join(u for u in uuids if len(u) > 2)),
    ]
    structures: list[tuple[int, bytes]] = [(t.FLAGS, bytes([0x06]))]  # LE general, no BR/EDR
    structures += [
        (t.SERVICE_DATA_16_BIT_UUID, short_uuid(u).to_bytes() + data)
        for u, data in service_data.items()
    ]
    encoded = name.encode()
    room = _AD_LIMIT - sum(2 + len(value) for _, value in structures) - 2
    if len(encoded) > room:
        structures.append((t.SHORTENED_LOCAL_NAME, encoded[: max(room, 0)]))
    else:
        structures.append((t.COMPLETE_LOCAL_NAME, encoded))
    for kind, value in listed:
        if value and sum(2 + len(v) for _, v in structures) + 2 + len(value) <= _AD_LIMIT:
            structures.append((kind, value))
    return bytes(AdvertisingData(structures))


class _Port:
    """The connected central, as the model sees it: sends queue up behind the ATT response."""

    def __init__(self, served: Served, connection: Connection) -> None:
        self.served = served
        self.connection = connection
        self.outbox: asyncio.Queue[tuple[gatt.Characteristic[Any], bytes] | None] = asyncio.Queue()
        self.drop_requested = asyncio.Event()
        self.lost = asyncio.Event()

    @property
    def max_payload(self) -> int:
        """Return the largest notification payload (ATT MTU - 3)."""
        return int(self.connection.att_mtu) - 3

    def subscribed(self, uuid: str) -> bool:
        """Return whether the central enabled notifications or indications on `uuid`."""
        return self.served.cccd(self.connection, uuid) != 0

    def send(self, uuid: str, data: bytes) -> None:
        """Queue a notification or indication (dropped if the central did not subscribe)."""
        characteristic = self.served.characteristic(uuid)
        if characteristic is not None and self.subscribed(uuid):
            self.outbox.put_nowait((characteristic, bytes(data)))

    def drop(self, refuse_s: float) -> None:
        """Drop the link from the peripheral's side; advertise again after `refuse_s`."""
        self.served.refuse_for(refuse_s)
        self.drop_requested.set()


class Served:
    """One simulated device on a bumble `Device`: its GATT table and its single link."""

    def __init__(
        self,
        model: SimDevice,
        device: Device,
        name: str,
        on_event: Callable[[ServerEvent], None] | None,
    ) -> None:
        self.model = model
        self.device = device
        self.name = name
        self.advertising = False
        self.on_event = on_event if on_event is not None else (lambda _event: None)
        self._by_uuid: dict[str, gatt.Characteristic[Any]] = {}
        self._specs: dict[str, CharSpec] = {}
        self._port: _Port | None = None
        self._refuse_until = -math.inf
        self._closing = False

    @property
    def connected(self) -> str | None:
        """Return the connected central's address, or None."""
        return None if self._port is None else str(self._port.connection.peer_address)

    def characteristic(self, uuid: str) -> gatt.Characteristic[Any] | None:
        """Return the bumble characteristic of `uuid` (bleak's spelling), if the table has it."""
        return self._by_uuid.get(uuid)

    def cccd(self, connection: Connection, uuid: str) -> int:
        """Return the CCCD bits `connection` wrote for `uuid` (0: not subscribed)."""
        characteristic = self._by_uuid.get(uuid)
        if characteristic is None:
            return 0
        value = self.device.gatt_server.subscribers.get(connection, {}).get(characteristic.handle)
        return value[0] if value else 0

    def refuse_for(self, seconds: float) -> None:
        """Advertise (accept a central) again only `seconds` from now."""
        if seconds > 0:
            self._refuse_until = asyncio.get_running_loop().time() + seconds

    def build(self, services: list[ServiceSpec]) -> None:
        """Add `services` to the device's GATT server, enforcing each declared property."""
        for spec in services:
            characteristics = [self._characteristic(c) for c in spec.characteristics]
            self.device.add_service(gatt.Service(short_uuid(spec.uuid), characteristics))

    def _characteristic(self, spec: CharSpec) -> gatt.Characteristic[Any]:
        properties = gatt.Characteristic.Properties(0)
        for name in spec.properties:
            properties |= gatt.Characteristic.Properties[name.upper().replace("-", "_")]
        permissions = gatt.Characteristic.Permissions(0)
        if spec.has("read"):
            permissions |= gatt.Characteristic.Permissions.READABLE
        if spec.has("write") or spec.has("write-without-response"):
            permissions |= gatt.Characteristic.Permissions.WRITEABLE
        value = gatt.CharacteristicValue(
            read=lambda _connection: self._read(spec),
            write=lambda connection, data: self._write(spec, connection, data),
        )
        characteristic = gatt.Characteristic(short_uuid(spec.uuid), properties, permissions, value)
        self._by_uuid[spec.uuid] = characteristic
        self._specs[spec.uuid] = spec
        return characteristic

    def _read(self, spec: CharSpec) -> bytes:
        if spec.read is None or not spec.has("read"):
            raise att.ATT_Error(att.ErrorCode.READ_NOT_PERMITTED)
        return spec.read()

    def _write(self, spec: CharSpec, connection: Connection, data: bytes) -> None:
        if spec.write is None or not (spec.has("write") or spec.has("write-without-response")):
            raise att.ATT_Error(att.ErrorCode.WRITE_NOT_PERMITTED)
        if spec.needs_cccd_for_write and not self.cccd(connection, spec.uuid):
            raise att.ATT_Error(att.ErrorCode.CCCD_IMPROPERLY_CONFIGURED)
        if spec.needs_cccd_for_write:
            self.on_event(ServerEvent("write", str(connection.peer_address), bytes(data)))
        try:
            spec.write(bytes(data))
        except AttError as error:
            raise att.ATT_Error(error.code) from error

    async def advertise(self) -> None:
        """Advertise (connectable) from now on, after any refusal window."""
        wait = self._refuse_until - asyncio.get_running_loop().time()
        if wait > 0:
            await asyncio.sleep(wait)
        data = advertising_data(
            self.name, self.model.advertised_services(), self.model.service_data()
        )
        await self.device.start_advertising(
            advertising_data=data,
            scan_response_data=b"",
            advertising_interval_min=ADVERTISING_INTERVAL_MS,
            advertising_interval_max=ADVERTISING_INTERVAL_MS,
        )
        self.advertising = True
        self.on_event(ServerEvent("advertising"))

    def on_connection(self, connection: Connection, links: asyncio.TaskGroup) -> None:
        """A central connected: the model gets a port, the link gets its sender."""
        self.advertising = False
        if self._port is not None:  # one central at a time, as a treadmill
            links.create_task(connection.disconnect(), name="retrowalk-sim-refuse")
            return
        port = _Port(self, connection)
        self._port = port
        connection.on(connection.EVENT_DISCONNECTION, lambda reason: self._gone(port, reason))
        trace = getattr(self.model, "trace", None)
        if isinstance(trace, Trace) and not trace.anchored:
            trace.anchor(asyncio.get_running_loop().time())  # the session clock starts
        self.model.attach(port)
        self.on_event(ServerEvent("connected", str(connection.peer_address)))
        links.create_task(self._run_link(port), name=f"retrowalk-sim-link-{connection.handle}")

    def _gone(self, port: _Port, reason: int) -> None:
        if self._port is not port:
            return
        self._port = None
        self.model.detach()
        port.lost.set()
        self.on_event(ServerEvent("disconnected", str(port.connection.peer_address), b"", reason))

    async def _run_link(self, port: _Port) -> None:
        """Send what the model queued, in order, until the link drops; then advertise again."""
        async with asyncio.TaskGroup() as group:
            sender = group.create_task(self._send_all(port), name="retrowalk-sim-sender")
            dropper = group.create_task(port.drop_requested.wait(), name="retrowalk-sim-drop")
            lost = group.create_task(port.lost.wait(), name="retrowalk-sim-lost")
            await asyncio.wait({dropper, lost}, return_when=asyncio.FIRST_COMPLETED)
            # A cancel alone can be lost (3.11's wait_for returns if bumble's indication is
            # confirmed as it lands; no advertising again, ever): the end mark None ends it.
            sender.cancel()
            port.outbox.put_nowait(None)
            dropper.cancel()
            if not lost.done():
                await _disconnect(port.connection)
            lost.cancel()
        if not self._closing:
            await self.advertise()

    async def _send_all(self, port: _Port) -> None:
        while True:
            item = await port.outbox.get()
            if item is None:
                return
            characteristic, data = item
            uuid = bleak_uuid(characteristic.uuid)
            try:
                if self.cccd(port.connection, uuid) & 0x02:
                    await self.device.indicate_subscriber(port.connection, characteristic, data)
                else:
                    await self.device.notify_subscriber(port.connection, characteristic, data)
            except TimeoutError:
                log.warning("the central never confirmed an indication on %s", uuid)

    async def close(self) -> None:
        """Drop the link cleanly and stop advertising."""
        self._closing = True
        port = self._port
        if port is not None:
            await _disconnect(port.connection)
        if self.advertising:
            with contextlib.suppress(Exception):  # a transport that died: nothing to stop
                await self.device.stop_advertising()
            self.advertising = False


async def _disconnect(connection: Connection) -> None:
    with contextlib.suppress(Exception):  # the link may be gone already: nothing left to drop
        async with asyncio.timeout(DISCONNECT_TIMEOUT_S):
            await connection.disconnect()


@contextlib.asynccontextmanager
async def serve(
    model: SimDevice,
    device: Device,
    *,
    name: str,
    on_event: Callable[[ServerEvent], None] | None = None,
    mtu: int = 23,
) -> AsyncIterator[Served]:
    """Serve `model` on the powered-on bumble `device` until the block ends (see the module)."""
    device.gatt_server.max_mtu = mtu  # most treadmills keep the default: records split
    served = Served(model, device, name, on_event)
    served.build(model.services())
    model.start()
    raised: list[BaseException] = []  # the block's own exception, kept out of the group
    try:
        async with asyncio.TaskGroup() as links:

            def on_connection(connection: Connection) -> None:
                served.on_connection(connection, links)

            device.on(device.EVENT_CONNECTION, on_connection)
            await served.advertise()
            try:
                yield served
            except Exception as exc:
                raised.append(exc)
                raise
            finally:
                device.remove_listener(device.EVENT_CONNECTION, on_connection)
                await served.close()
    except ExceptionGroup as group:
        if raised and list(group.exceptions) == raised:
            raise raised[0] from None  # the caller's error, not a link task's: as it was raised
        raise
    finally:
        model.close()
