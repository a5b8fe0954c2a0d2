"""bleak backends over simulated peripherals: unchanged BleakClient/BleakScanner code works.

Public API:
- `SimWorld()`: a room of simulated peripherals. `world.add(profile="home", name=None,
  address=None, mtu=23, tweaks=None) -> SimPeripheral[TreadmillModel]`;
  `world.add_hr_strap(linked_to=peripheral, name=...) -> SimPeripheral[HeartRateStrap]`;
  `world.get(address)`. `async with world:` starts every device's timers on the running loop,
  and on exit powers every device off (links drop) and stops them. Single use.
- `SimPeripheral`: `.model` (the device), `.address`, `.name`, `.mtu`, `.connected`,
  `.device` (a bleak `BLEDevice` whose `details` is the peripheral), `.advertisement()`.
- `SimulatedClient`: `BleakClient(peripheral.device, backend=SimulatedClient)`; an address string
  works too (looked up in every running world). Extra keyword: `mtu` (the central's MTU, default
  517; the link uses the smaller of both).
- `SimulatedScanner`: `BleakScanner(backend=SimulatedScanner)` sees every advertising (not
  connected, not refusing) peripheral of every running world, once per `ADVERTISING_INTERVAL_S`.

ATT behaviour as a real stack shows it: writing a characteristic without "write" raises
`BleakGATTProtocolError` (0x03 Write Not Permitted); reading one without "read" 0x02; writing the
control point before enabling its indications 0xFD (CCCD Improperly Configured); the control
point indication (and status notifications) arrive before `write_gatt_char` returns. Every
operation takes `LINK_LATENCY_S` of loop time. A link drop calls the disconnected callback (as
BlueZ and CoreBluetooth also do after `disconnect()`). Connecting to a peripheral that does not
accept (already connected, refusing after a drop) waits for the client's timeout and raises
`TimeoutError`, like bleak does; an unknown address raises `BleakDeviceNotFoundError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import (
    BleakDeviceNotFoundError,
    BleakError,
    BleakGATTProtocolError,
    BleakGATTProtocolErrorCode,
)

from retrowalk_sim.gatt import CCCD_UUID, AttError, CharSpec, ServiceSpec, SimDevice
from retrowalk_sim.heart_rate import HeartRateStrap
from retrowalk_sim.model import TreadmillModel
from retrowalk_sim.profiles import MachineProfile, get_profile

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import TracebackType

    from bleak.args import SizedBuffer
    from bleak.backends.client import NotifyCallback

__all__ = ["SimPeripheral", "SimWorld", "SimulatedClient", "SimulatedScanner"]

LINK_LATENCY_S = 0.03  # one ATT request and its response (a couple of connection intervals)
CONNECT_S = 0.25
ADVERTISING_INTERVAL_S = 0.5
DEFAULT_CENTRAL_MTU = 517
D = TypeVar("D", bound=SimDevice)
_RUNNING: list[SimWorld] = []  # worlds inside `async with`, searched by address and scanners
_addresses = itertools.count(1)


class SimWorld:
    """A room of simulated peripherals, running on the current event loop while entered."""

    def __init__(self) -> None:
        self.peripherals: list[SimPeripheral[Any]] = []
        self._state = "new"

    def add(  # noqa: PLR0913 - keyword-only knobs of one peripheral
        self,
        profile: str | MachineProfile = "home",
        *,
        name: str | None = None,
        address: str | None = None,
        mtu: int = 23,
        tweaks: Mapping[str, object] | None = None,
        record_traffic: bool = False,
    ) -> SimPeripheral[TreadmillModel]:
        """Add a treadmill; `tweaks` replaces profile fields by name (e.g. notify_hz=5)."""
        machine = get_profile(profile) if isinstance(profile, str) else profile
        if tweaks:
            machine = machine.with_tweaks(**tweaks)
        model = TreadmillModel(machine, record_traffic=record_traffic)
        return self._add(model, name or machine.local_name, address, mtu)

    def add_hr_strap(
        self,
        *,
        linked_to: SimPeripheral[TreadmillModel] | None = None,
        name: str = "RW HR Strap",
        address: str | None = None,
        seed: int = 1,
    ) -> SimPeripheral[HeartRateStrap]:
        """Add a heart-rate strap following the workload of `linked_to`'s treadmill."""
        strap = HeartRateStrap(linked_to.model if linked_to else None, seed=seed)
        return self._add(strap, name, address, 23)

    def get(self, address: str) -> SimPeripheral[Any] | None:
        """Return the peripheral with this address (case-insensitive), if any."""
        wanted = address.upper()
        return next((p for p in self.peripherals if p.address.upper() == wanted), None)

    @property
    def running(self) -> bool:
        """Return whether the world is entered."""
        return self._state == "running"

    async def __aenter__(self) -> Self:
        if self._state != "new":
            raise RuntimeError("a SimWorld is single use: create a new one")
        self._state = "running"
        _RUNNING.append(self)
        for peripheral in self.peripherals:
            peripheral.model.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._state = "closed"
        if self in _RUNNING:
            _RUNNING.remove(self)
        for peripheral in self.peripherals:
            peripheral.power_off()

    def _add(self, device: D, name: str, address: str | None, mtu: int) -> SimPeripheral[D]:
        if self._state == "closed":
            raise RuntimeError("this SimWorld is closed")
        if address is None:
            n = next(_addresses)
            address = f"5A:11:00:00:{n >> 8 & 0xFF:02X}:{n & 0xFF:02X}"
        if self.get(address) is not None or _find(address) is not None:
            raise ValueError(f"a simulated peripheral already has address {address}")
        peripheral = SimPeripheral(self, device, name=name, address=address, mtu=mtu)
        self.peripherals.append(peripheral)
        if self.running:
            device.start()
        return peripheral


class SimPeripheral(Generic[D]):
    """One simulated peripheral: a device, its GATT table, advertisement and (single) link."""

    def __init__(self, world: SimWorld, model: D, *, name: str, address: str, mtu: int) -> None:
        self.world = world
        self.model = model
        self.name = name
        self.address = address
        self.mtu = mtu
        self.rssi = -55 - sum(address.encode()) % 20
        self.device = BLEDevice(address, name, self)
        self._link: _Link | None = None
        self._refuse_until = -math.inf

    def __repr__(self) -> str:
        return f"<SimPeripheral {self.name!r} {self.address}>"

    @property
    def connected(self) -> bool:
        """Return whether a central is connected."""
        return self._link is not None

    def accepting(self, now: float) -> bool:
        """Return whether the peripheral advertises and accepts a connection now."""
        return self.world.running and self._link is None and now >= self._refuse_until

    def advertisement(self) -> AdvertisementData:
        """Return the advertisement a scanner receives (name, service UUIDs, service data)."""
        return AdvertisementData(
            local_name=self.name,
            manufacturer_data={},
            service_data=self.model.service_data(),
            service_uuids=self.model.advertised_services(),
            tx_power=None,
            rssi=self.rssi,
            platform_data=(self,),
        )

    def power_off(self) -> None:
        """Switch the device off: the link drops and every timer stops."""
        self._drop(0.0)
        self.model.close()

    def _accept(self, client: SimulatedClient, central_mtu: int, wanted: set[str] | None) -> _Link:
        link = _Link(self, client, min(self.mtu, central_mtu), wanted)
        self._link = link
        self.model.attach(link)
        return link

    def _release(self, link: _Link) -> None:
        if self._link is link:
            self._link = None
            link.close()
            self.model.detach()

    def _drop(self, refuse_s: float) -> None:
        link = self._link
        if refuse_s > 0:
            self._refuse_until = asyncio.get_running_loop().time() + refuse_s
        if link is not None:
            self._release(link)
            link.client.on_link_lost()


class _Link:
    """One connection: the GATT collection the central saw, and its subscriptions."""

    def __init__(
        self,
        peripheral: SimPeripheral[Any],
        client: SimulatedClient,
        mtu: int,
        wanted: set[str] | None,
    ) -> None:
        self.peripheral = peripheral
        self.client = client
        self.mtu = mtu
        self.open = True
        self.callbacks: dict[str, NotifyCallback] = {}
        self.pending: set[asyncio.TimerHandle] = set()
        self.collection = _collection(peripheral.model.services(), wanted, lambda: mtu - 3)

    @property
    def max_payload(self) -> int:
        return self.mtu - 3

    def subscribed(self, uuid: str) -> bool:
        return uuid in self.callbacks

    def send(self, uuid: str, data: bytes) -> None:
        callback = self.callbacks.get(uuid)
        if callback is not None and self.open:
            callback(bytearray(data))

    def drop(self, refuse_s: float) -> None:
        self.peripheral._drop(refuse_s)  # noqa: SLF001 - the link belongs to its peripheral

    def command(self, spec: CharSpec, payload: bytes) -> None:
        """Handle an ATT Write Command that reached the peripheral (no response, no error)."""
        self.pending = {h for h in self.pending if not h.cancelled() and h.when() > _now()}
        if not self.open or spec.write is None:
            return
        if spec.needs_cccd_for_write and not self.subscribed(spec.uuid):
            return
        with contextlib.suppress(AttError):
            spec.write(payload)

    def close(self) -> None:
        """Mark the link down and forget Write Commands still in flight."""
        self.open = False
        for handle in self.pending:
            handle.cancel()
        self.pending.clear()


def _collection(
    services: list[ServiceSpec], wanted: set[str] | None, max_write: Callable[[], int]
) -> BleakGATTServiceCollection:
    """Lay the services out on ATT handles: service, then per characteristic decl/value/CCCD."""
    collection = BleakGATTServiceCollection()
    handle = 0x000B
    for spec in services:
        handle += 1
        service = BleakGATTService(spec, handle, spec.uuid)
        if wanted is not None and spec.uuid not in wanted:
            handle += 3 * len(spec.characteristics)
            continue
        collection.add_service(service)
        for char_spec in spec.characteristics:
            handle += 2  # declaration, then value
            char = BleakGATTCharacteristic(
                char_spec, handle, char_spec.uuid, list(char_spec.properties), max_write, service
            )
            collection.add_characteristic(char)
            if char_spec.has("notify") or char_spec.has("indicate"):
                handle += 1
                collection.add_descriptor(BleakGATTDescriptor(char_spec, handle, CCCD_UUID, char))
    return collection


def _now() -> float:
    return asyncio.get_running_loop().time()


def _find(address: str) -> SimPeripheral[Any] | None:
    for world in _RUNNING:
        found = world.get(address)
        if found is not None:
            return found
    return None


class SimulatedClient(BaseBleakClient):
    """A bleak client backend whose peer is a `SimPeripheral` (see the module docstring)."""

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        mtu: int = DEFAULT_CENTRAL_MTU,
        services: set[str] | None = None,
        **kwargs: Any,  # noqa: ANN401 - bleak passes platform arguments (bluez=, winrt=)
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        details = getattr(address_or_ble_device, "details", None)
        self._peripheral: SimPeripheral[Any] | None = (
            details if isinstance(details, SimPeripheral) else None
        )
        self._central_mtu = mtu
        self._wanted = services
        self._link: _Link | None = None
        del kwargs

    @property
    def name(self) -> str:
        """Return the peripheral's name."""
        peripheral = self._peripheral or _find(self.address)
        return peripheral.name if peripheral else self.address.replace(":", "-")

    @property
    def mtu_size(self) -> int:
        """Return the negotiated ATT MTU."""
        return self._link.mtu if self._link is not None else 23

    @property
    def is_connected(self) -> bool:
        """Return whether the link is up."""
        return self._link is not None and self._link.open

    async def connect(self, pair: bool, **kwargs: Any) -> None:  # noqa: ANN401, ARG002, FBT001 - bleak's signature
        """Connect (waiting up to the timeout while the peripheral does not accept)."""
        if self.is_connected:
            return
        peripheral = self._peripheral or _find(self.address)
        if peripheral is None:
            raise BleakDeviceNotFoundError(
                self.address, f"Device with address {self.address} was not found."
            )
        self._peripheral = peripheral
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self._timeout):
            while True:
                await asyncio.sleep(CONNECT_S)
                if peripheral.accepting(loop.time()):
                    break
        self._link = peripheral._accept(self, self._central_mtu, self._wanted)  # noqa: SLF001
        self.services = self._link.collection

    async def disconnect(self) -> None:
        """Disconnect; the disconnected callback runs, as with BlueZ and CoreBluetooth."""
        link = self._link
        if link is None:
            return
        await asyncio.sleep(LINK_LATENCY_S)
        if link.open:
            link.peripheral._release(link)  # noqa: SLF001
            self.on_link_lost()

    def on_link_lost(self) -> None:
        """The link went down: schedule the disconnected callback on the loop."""
        if self._link is None:
            return
        self._link = None
        callback = self._disconnected_callback
        if callback is not None:
            asyncio.get_running_loop().call_soon(callback)

    async def pair(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - bleak's signature
        """Pair (treadmills need no pairing: nothing to do)."""

    async def unpair(self) -> None:
        """Unpair (nothing to do)."""

    async def read_gatt_char(
        self,
        characteristic: BleakGATTCharacteristic,
        *,
        use_cached: bool = False,  # noqa: ARG002 - bleak's signature
        **kwargs: Any,  # noqa: ANN401, ARG002 - bleak's signature
    ) -> bytearray:
        """Read a characteristic (ATT 0x02 if it is not readable)."""
        spec = self._spec(characteristic)
        if spec.read is None or not spec.has("read"):
            raise BleakGATTProtocolError(BleakGATTProtocolErrorCode.READ_NOT_PERMITTED)
        await self._round_trip()
        return bytearray(spec.read())

    async def read_gatt_descriptor(
        self,
        descriptor: BleakGATTDescriptor,
        *,
        use_cached: bool = False,  # noqa: ARG002 - bleak's signature
        **kwargs: Any,  # noqa: ANN401, ARG002 - bleak's signature
    ) -> bytearray:
        """Read a descriptor: the CCCD shows the subscription state."""
        link = self._require_link()
        await self._round_trip()
        if descriptor.uuid != CCCD_UUID:
            raise BleakGATTProtocolError(BleakGATTProtocolErrorCode.READ_NOT_PERMITTED)
        spec = descriptor.obj
        if not isinstance(spec, CharSpec) or not link.subscribed(spec.uuid):
            return bytearray(b"\x00\x00")
        return bytearray(b"\x01\x00" if spec.has("notify") else b"\x02\x00")

    async def write_gatt_char(
        self,
        characteristic: BleakGATTCharacteristic,
        data: SizedBuffer,
        response: bool,  # noqa: FBT001 - bleak's signature
    ) -> None:
        """Write a characteristic; its indications are delivered before this returns.

        A write without response (an ATT command) returns at once; the peripheral handles it
        half a link latency later and silently drops it where an error would be due.
        """
        spec = self._spec(characteristic)
        payload = bytes(data)
        link = self._require_link()
        if not response:
            if not spec.has("write-without-response"):
                raise BleakError(
                    f"characteristic {spec.uuid} does not support write without response"
                )
            loop = asyncio.get_running_loop()
            link.pending.add(loop.call_later(LINK_LATENCY_S / 2, link.command, spec, payload))
            return
        if spec.write is None or not spec.has("write"):
            raise BleakGATTProtocolError(BleakGATTProtocolErrorCode.WRITE_NOT_PERMITTED)
        if spec.needs_cccd_for_write and not link.subscribed(spec.uuid):
            raise BleakGATTProtocolError(BleakGATTProtocolErrorCode.CCCD_IMPROPERLY_CONFIGURED)
        await asyncio.sleep(LINK_LATENCY_S / 2)
        self._require_link()
        try:
            spec.write(payload)
        except AttError as error:
            raise BleakGATTProtocolError(error.code) from error
        await asyncio.sleep(LINK_LATENCY_S / 2)
        self._require_link()

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        """Write a descriptor (none is writable besides the CCCD, which bleak routes elsewhere)."""
        del descriptor, data
        self._require_link()
        await self._round_trip()
        raise BleakGATTProtocolError(BleakGATTProtocolErrorCode.WRITE_NOT_PERMITTED)

    async def start_notify(
        self,
        characteristic: BleakGATTCharacteristic,
        callback: NotifyCallback,
        **kwargs: Any,  # noqa: ANN401, ARG002 - bleak's signature
    ) -> None:
        """Enable notifications (or indications) by writing the CCCD."""
        spec = self._spec(characteristic)
        if not (spec.has("notify") or spec.has("indicate")):
            raise BleakError(f"characteristic {spec.uuid} does not support notify or indicate")
        await self._round_trip()
        self._require_link().callbacks[spec.uuid] = callback

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        """Disable notifications by writing the CCCD."""
        spec = self._spec(characteristic)
        await self._round_trip()
        self._require_link().callbacks.pop(spec.uuid, None)

    def _require_link(self) -> _Link:
        link = self._link
        if link is None or not link.open:
            raise BleakError("Not connected")
        return link

    def _spec(self, characteristic: BleakGATTCharacteristic) -> CharSpec:
        self._require_link()
        spec = characteristic.obj
        if not isinstance(spec, CharSpec):
            raise BleakError(f"characteristic {characteristic.uuid} is not from a simulated device")
        return spec

    async def _round_trip(self) -> None:
        await asyncio.sleep(LINK_LATENCY_S)
        self._require_link()


class SimulatedScanner(BaseBleakScanner):
    """A bleak scanner backend that hears every advertising peripheral of every running world."""

    interval_s: ClassVar[float] = ADVERTISING_INTERVAL_S

    def __init__(
        self,
        detection_callback: Any,  # noqa: ANN401 - bleak's AdvertisementDataCallback | None
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,  # noqa: ANN401 - bleak passes platform arguments (bluez=, cb=)
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        del scanning_mode, kwargs
        self._handle: asyncio.Handle | None = None
        self._next = 0.0

    async def start(self) -> None:
        """Start hearing advertisements (the first sweep runs at once)."""
        self.seen_devices = {}
        loop = asyncio.get_running_loop()
        self._next = loop.time()
        self._handle = loop.call_soon(self._sweep)

    async def stop(self) -> None:
        """Stop hearing advertisements."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for world in tuple(_RUNNING):
            for peripheral in world.peripherals:
                if not peripheral.accepting(now):
                    continue
                adv = peripheral.advertisement()
                if not self.is_allowed_uuid(adv.service_uuids):
                    continue
                device = self.create_or_update_device(
                    peripheral.address, peripheral.address, peripheral.name, peripheral, adv
                )
                self.call_detection_callbacks(device, adv)
        self._next += self.interval_s
        self._handle = loop.call_at(self._next, self._sweep)
