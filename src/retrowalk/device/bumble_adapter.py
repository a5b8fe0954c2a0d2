"""bleak over bumble's Bluetooth host stack: any HCI transport becomes a bleak adapter.

Public API: `BumbleAdapter(spec)`, an async context manager that opens the bumble HCI transport
`spec` (`tcp-client:127.0.0.1:PORT` for `retrowalk sim --transport tcp-server:...`, `usb:0` for a
USB dongle) and powers a host on it, or `BumbleAdapter(device=...)` over a bumble `Device` the
caller built; single use. `.client_backend` and `.scanner_backend` are bleak backend classes
bound to it (`BleakClient(ble_device, backend=adapter.client_backend)`). The client keeps
BlueZ's habits (docs/architecture.md, "A real Bluetooth stack"). The one retrowalk module that
imports bumble.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid as std_uuid
import weakref
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bumble import att, core, hci
from bumble.core import AdvertisingData
from bumble.device import Advertisement, Device, Peer
from bumble.transport import open_transport

from retrowalk.device.hci_spec import ADAPTER_ADVICE, EXAMPLES, check_adapter
from retrowalk.device.radio import Found, Heard, RadioScanner, gatt_collection
from retrowalk.errors import ConfigError, DeviceError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from bleak.args import SizedBuffer
    from bleak.backends.characteristic import BleakGATTCharacteristic
    from bleak.backends.client import NotifyCallback
    from bleak.backends.descriptor import BleakGATTDescriptor
    from bleak.backends.device import BLEDevice
    from bumble.transport.common import Transport

HOST_ADDRESS = "C0:52:57:00:00:01"  # a random static address (top bits 11): "RW"
POWER_ON_TIMEOUT_S = 10.0
DEFAULT_MTU = 517
_CANCEL_CONNECT_TIMEOUT_S = 2.0
_LOST = "its transport closed (did `retrowalk sim` stop?); retrying reopens it"
_T = TypeVar("_T")
_AD = AdvertisingData.Type
_UUID_LISTS = (
    _AD.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    _AD.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    _AD.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    _AD.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
)


def _uuid(value: core.UUID) -> str:
    """Return a bumble UUID as bleak spells it (128-bit, lower case)."""
    return str(std_uuid.UUID(bytes=bytes(reversed(value.uuid_128_bytes))))


def _found(peer: Peer) -> list[Found]:
    """Return what discovery found, as plain records."""
    found = []
    for s in peer.services:
        chars = []
        for c in s.characteristics:
            descriptors = tuple(Found(d, d.handle, _uuid(d.type)) for d in c.descriptors)
            chars.append(Found(c, c.handle, _uuid(c.uuid), int(c.properties), descriptors))
        found.append(Found(s, s.handle, _uuid(s.uuid), 0, tuple(chars)))
    return found


def _advertisement_data(advertisement: Advertisement) -> AdvertisementData:
    """Return bleak's view of one advertisement (AD structures that repeat counted once)."""
    data = advertisement.data
    uuids: dict[str, None] = {}  # ordered, de-duplicated (the scan response repeats them)
    for kind in _UUID_LISTS:
        for entry in cast("list[list[core.UUID]]", data.get_all(kind)):
            uuids.update(dict.fromkeys(_uuid(u) for u in entry))
    kinds = (_AD.SERVICE_DATA_16_BIT_UUID, _AD.SERVICE_DATA_128_BIT_UUID)
    pairs = [cast("list[tuple[core.UUID, bytes]]", data.get_all(kind)) for kind in kinds]
    service_data = {_uuid(u): bytes(v) for found in pairs for u, v in found}
    names = data.get_all(_AD.COMPLETE_LOCAL_NAME) or data.get_all(_AD.SHORTENED_LOCAL_NAME)
    name, rssi = (names[0] if names else None), advertisement.rssi
    return AdvertisementData(name, {}, service_data, list(uuids), None, rssi, (advertisement,))


class BumbleAdapter:
    """One bumble host on one HCI transport, shared by every client and scanner of a run."""

    def __init__(self, spec: str | None = None, *, device: Device | None = None) -> None:
        if (spec is None) == (device is None):
            raise ValueError("give a transport spec or a bumble Device, not both")
        self.spec = "(in process)" if spec is None else check_adapter(spec)
        self.device: Device | None = device
        self.addresses: dict[str, hci.Address] = {}  # as scanned: the type each one had
        self.connecting = asyncio.Lock()  # one pending LE connection per host
        self._transport: Transport | None = None
        self._owns_host = device is None  # built on our transport: rebuilt if the transport dies
        self._clients: weakref.WeakSet[BumbleClient] = weakref.WeakSet()
        self._heard: Heard | None = None
        self._state = "new"
        adapter = self

        class Client(BumbleClient):
            def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:  # noqa: ANN401 - bleak's keywords
                super().__init__(address_or_ble_device, adapter=adapter, **kwargs)

        class Scanner(RadioScanner):
            def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - bleak's
                super().__init__(*args, radio=adapter, **kwargs)

        self.client_backend: type[BaseBleakClient] = Client
        self.scanner_backend: type[BaseBleakScanner] = Scanner

    @property
    def host(self) -> Device:
        """Return the powered-on bumble device (raise if the adapter is not open)."""
        if self._state == "lost":
            raise BleakError(f"the Bluetooth adapter {self.spec} is gone: {_LOST}")
        if self.device is None or self._state != "open":
            raise BleakError(f"the Bluetooth adapter {self.spec} is not open")
        return self.device

    async def reopen_if_lost(self) -> None:
        """Open the transport again after it closed (`retrowalk sim` restarted); BleakError if not.

        Every link on the old transport is already reported lost; clients reconnect by address
        (the address types learned by scanning are kept).
        """
        if self._state != "lost":
            return
        await self._close_transport()
        try:
            await self._power_on()
        except (ConfigError, DeviceError) as exc:
            await self._close_transport()
            raise BleakError(f"the Bluetooth adapter {self.spec} is still gone: {exc}") from exc
        self._state = "open"

    def attach(self, client: BumbleClient) -> None:
        """Remember a connected client, to report its link lost if the transport closes."""
        self._clients.add(client)

    def _watch(self, transport: Transport) -> None:
        def closed(_: object) -> None:
            if self._transport is not transport or self._state != "open":
                return  # closed by us, or an old transport
            self._state = "lost"
            for client in list(self._clients):
                client.transport_lost()

        transport.source.terminated.add_done_callback(closed)

    def address_of(self, address: str) -> hci.Address:
        """Return the address to connect to: as scanned, else as written (`/P`: public)."""
        return self.addresses.get(address.upper()) or hci.Address(address)

    async def start_scanning(self, heard: Heard, *, active: bool) -> None:
        """Report every advertisement the host hears to `heard` (a `Radio`: one scan at a time)."""
        self._heard = heard
        await self.host.start_scanning(active=active, filter_duplicates=False)

    async def stop_scanning(self, heard: Heard) -> None:
        """Stop reporting to `heard`; stop scanning."""
        if self._heard is heard:
            self._heard = None
        if self._state == "lost":
            return  # nothing scans on a closed transport
        with contextlib.suppress(core.BaseBumbleError):  # the transport went away meanwhile
            await self.host.stop_scanning()

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        address = advertisement.address.to_string(with_type_qualifier=False)
        self.addresses[address.upper()] = advertisement.address
        if self._heard is not None:
            self._heard(address, _advertisement_data(advertisement), advertisement.address)

    async def __aenter__(self) -> Self:
        if self._state != "new":
            raise RuntimeError("a BumbleAdapter is single use: create a new one")
        self._state = "opening"
        try:
            await self._power_on()
        except BaseException:
            await self._close_transport()
            raise
        self._state = "open"
        return self

    async def _power_on(self) -> None:
        if self._owns_host:
            transport = self._transport = await self._open()
            source, sink = transport.source, transport.sink
            self.device = Device.with_hci("retrowalk", hci.Address(HOST_ADDRESS), source, sink)
            self._watch(transport)
        assert self.device is not None
        self.device.on(self.device.EVENT_ADVERTISEMENT, self._on_advertisement)
        try:
            async with asyncio.timeout(POWER_ON_TIMEOUT_S):
                await self.device.power_on()
        except TimeoutError as exc:
            raise DeviceError(
                f"the Bluetooth controller at {self.spec} did not answer within "
                f"{POWER_ON_TIMEOUT_S:g} s; is it a Bluetooth HCI transport?"
            ) from exc
        except core.BaseBumbleError as exc:  # the transport closed, or the controller refused
            raise DeviceError(
                f"the Bluetooth controller at {self.spec} failed while starting ({exc}); "
                "is it a Bluetooth HCI transport, and not in use by another program?"
            ) from exc

    async def __aexit__(self, *exc_info: object) -> None:
        lost, self._state = self._state == "lost", "closed"
        device = self.device
        if device is not None and not lost:
            for connection in list(device.connections.values()):
                with contextlib.suppress(Exception):  # a link or transport already gone
                    await asyncio.wait_for(connection.disconnect(), 2.0)
        await self._close_transport()

    async def _open(self) -> Transport:
        try:
            return await open_transport(self.spec)
        except (ValueError, core.BaseBumbleError) as exc:
            raise ConfigError(f"--adapter {self.spec!r}: {exc}; use {EXAMPLES}") from exc
        except Exception as exc:
            raise DeviceError(
                f"cannot open the Bluetooth adapter {self.spec}: {exc}. {ADAPTER_ADVICE}"
            ) from exc

    async def _close_transport(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            await transport.close()


class BumbleClient(BaseBleakClient):
    """A bleak client backend over a `BumbleAdapter`'s host (see the module docstring)."""

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        adapter: BumbleAdapter,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        services: set[str] | None = None,
        **_: object,  # bleak's platform arguments (bluez=, winrt=)
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        details = getattr(address_or_ble_device, "details", None)
        self._peer_address = details if isinstance(details, hci.Address) else None
        self._name: str | None = getattr(address_or_ble_device, "name", None)
        self._adapter = adapter
        self._wanted = services
        self._peer: Peer | None = None
        self._subscribers: dict[int, Callable[[bytes], None]] = {}

    @property
    def name(self) -> str:
        """Return the advertised name (the address with dashes when there was none)."""
        return self._name or self.address.replace(":", "-")

    @property
    def mtu_size(self) -> int:
        """Return the negotiated ATT MTU."""
        return int(self._peer.connection.att_mtu) if self._peer is not None else 23

    @property
    def is_connected(self) -> bool:
        """Return whether the link is up."""
        return self._peer is not None

    async def connect(self, pair: bool, **_: object) -> None:  # noqa: ARG002, FBT001 - bleak's
        """Connect, exchange MTUs and discover every service, characteristic and descriptor."""
        if self._peer is not None:
            return
        address = self._peer_address or self._adapter.address_of(self.address)
        await self._adapter.reopen_if_lost()
        host = self._adapter.host
        task = asyncio.current_task()
        cancels = task.cancelling() if task is not None else 0
        async with self._adapter.connecting:
            try:
                connection = await host.connect(address, timeout=self._timeout)
            except asyncio.CancelledError:
                await _cancel_connecting(host)
                raise
            except (TimeoutError, core.BaseBumbleError) as exc:
                _resurface_cancel(task, cancels)
                reason = str(exc) or f"nobody answered within {self._timeout:g} s"
                raise BleakDeviceNotFoundError(self.address, f"{self.address}: {reason}") from exc
        peer = Peer(connection)
        self._peer = peer
        self._adapter.attach(self)
        connection.on(connection.EVENT_DISCONNECTION, lambda _reason: self._lost(peer))
        try:
            await self._gatt(peer.request_mtu(DEFAULT_MTU))
            await self._gatt(peer.discover_all())  # type: ignore[no-untyped-call] # bumble's
        except BaseException:
            await self.disconnect()
            raise
        self.services = gatt_collection(_found(peer), self._wanted, lambda: self.mtu_size - 3)

    async def disconnect(self) -> None:
        """Disconnect; the disconnected callback runs, as with BlueZ."""
        peer = self._peer
        if peer is None:
            return
        with contextlib.suppress(core.BaseBumbleError):  # the link went down meanwhile
            await peer.connection.disconnect()
        self._lost(peer)

    async def pair(self, *_args: object, **_: object) -> None:
        """Pair: not offered (treadmills need no pairing)."""
        raise NotImplementedError("pairing over a bumble adapter is not supported")

    async def unpair(self) -> None:
        """Unpair: not offered."""
        raise NotImplementedError("pairing over a bumble adapter is not supported")

    async def read_gatt_char(
        self,
        characteristic: BleakGATTCharacteristic,
        **_: object,
    ) -> bytearray:
        """Read a characteristic's value."""
        return bytearray(await self._gatt(self._require().read_value(characteristic.obj)))

    async def read_gatt_descriptor(
        self,
        descriptor: BleakGATTDescriptor,
        **_: object,
    ) -> bytearray:
        """Read a descriptor's value."""
        return bytearray(await self._gatt(self._require().read_value(descriptor.obj)))

    async def write_gatt_char(
        self,
        characteristic: BleakGATTCharacteristic,
        data: SizedBuffer,
        response: bool,  # noqa: FBT001 - bleak's signature
    ) -> None:
        """Write a characteristic (an ATT Write Request, or a Write Command without response)."""
        call = self._require().write_value(characteristic.obj, bytes(data), response)
        await self._gatt(call)

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        """Write a descriptor (with response)."""
        await self._gatt(self._require().write_value(descriptor.obj, bytes(data), True))  # noqa: FBT003

    async def start_notify(
        self,
        characteristic: BleakGATTCharacteristic,
        callback: NotifyCallback,
        **_: object,
    ) -> None:
        """Subscribe (notifications when offered, else indications) by writing the CCCD."""
        peer = self._require()

        def deliver(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = deliver
        await self._gatt(peer.subscribe(characteristic.obj, deliver))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        """Unsubscribe by writing the CCCD."""
        peer = self._require()
        deliver = self._subscribers.pop(characteristic.handle, None)
        await self._gatt(peer.unsubscribe(characteristic.obj, deliver))

    def _require(self) -> Peer:
        if self._peer is None:
            raise BleakError("Not connected")
        return self._peer

    def transport_lost(self) -> None:
        """The adapter's transport closed: the link is gone without a disconnect event."""
        if self._peer is not None:
            self._lost(self._peer)

    def _lost(self, peer: Peer) -> None:
        """The link went down (either side): forget it, then tell bleak's user once."""
        if self._peer is not peer:
            return
        self._peer = None
        self._subscribers.clear()
        if self._disconnected_callback is not None:
            asyncio.get_running_loop().call_soon(self._disconnected_callback)

    async def _gatt(self, call: Awaitable[_T]) -> _T:
        """Await one GATT procedure, in bleak's errors (see the module docstring)."""
        task = asyncio.current_task()
        cancels = task.cancelling() if task is not None else 0
        try:
            result = await call
        except att.ATT_Error as exc:
            _resurface_cancel(task, cancels)
            raise BleakGATTProtocolError(exc.error_code) from exc
        except asyncio.CancelledError:
            if self._peer is None and task is not None and not task.cancelling():
                raise BleakError("the link dropped during a GATT procedure") from None
            raise
        except core.BaseBumbleError as exc:
            _resurface_cancel(task, cancels)
            raise BleakError(f"GATT procedure failed: {exc}") from exc
        _resurface_cancel(task, cancels)
        return result


def _resurface_cancel(task: asyncio.Task[object] | None, cancels: int) -> None:
    """Raise CancelledError if `task` was cancelled during a bumble call that hid it.

    bumble awaits its ATT answers with `asyncio.wait_for`, which on Python 3.11 returns the
    answer (or raises its error) instead of the cancel when both land in one loop pass: the
    cancel was lost, and the task's owner (a TaskGroup, Ctrl-C) waited for it forever.
    """
    if task is not None and task.cancelling() > cancels:
        raise asyncio.CancelledError


async def _cancel_connecting(host: Device) -> None:
    # bumble withdraws a pending LE connect only when its own timeout fires; cancelled from
    # outside (bleak's timeout, a reconnect's deadline) the controller keeps it and refuses
    # every later connect with Command Disallowed, so withdraw it here.
    with contextlib.suppress(Exception):  # nothing pending any more, or the transport is gone
        async with asyncio.timeout(_CANCEL_CONNECT_TIMEOUT_S):
            await host.send_command(hci.HCI_LE_Create_Connection_Cancel_Command())
