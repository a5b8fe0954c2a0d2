"""bleak backends over simulated peripherals: unchanged BleakClient/BleakScanner code works.

Public API:
- `SimWorld()`: a room of simulated peripherals. `world.add(profile="home", name=None,
  address=None, mtu=23, tweaks=None) -> SimPeripheral[TreadmillModel]`;
  `world.add_hr_strap(linked_to=peripheral, name=...) -> SimPeripheral[HeartRateStrap]`;
  `world.add_replay(script) -> SimPeripheral[ReplayDevice]` (captured bytes, `replay.py`);
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
point indication (and status notifications) arrive before `write_gatt_char` returns. A write
without response returns at once and reaches the device half a latency later, where errors are
silently dropped (ATT commands get no answer); a characteristic without that property raises
BleakError, as BlueZ does. Every operation takes `LINK_LATENCY_S` of loop time. A link drop
calls the disconnected callback (as BlueZ and CoreBluetooth also do after `disconnect()`).
Connecting to a peripheral that does not accept (already connected, refusing after a drop)
waits for the client's timeout and raises `TimeoutError`, like bleak does; an unknown address
raises `BleakDeviceNotFoundError`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import BaseBleakScanner
from bleak.exc import (
    BleakDeviceNotFoundError,
    BleakError,
    BleakGATTProtocolError,
    BleakGATTProtocolErrorCode,
)

from retrowalk_sim.gatt import CCCD_UUID, AttError, CharSpec
from retrowalk_sim.world import Link, SimPeripheral, SimWorld, find_peripheral, running_worlds

if TYPE_CHECKING:
    from collections.abc import Callable

    from bleak.args import SizedBuffer
    from bleak.backends.characteristic import BleakGATTCharacteristic
    from bleak.backends.client import NotifyCallback
    from bleak.backends.descriptor import BleakGATTDescriptor
    from bleak.backends.device import BLEDevice

__all__ = ["SimPeripheral", "SimWorld", "SimulatedClient", "SimulatedScanner"]

LINK_LATENCY_S = 0.03  # one ATT request and its response (a couple of connection intervals)
CONNECT_S = 0.25
ADVERTISING_INTERVAL_S = 0.5
DEFAULT_CENTRAL_MTU = 517


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
        self._link: Link | None = None
        del kwargs

    @property
    def name(self) -> str:
        """Return the peripheral's name."""
        peripheral = self._peripheral or find_peripheral(self.address)
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
        peripheral = self._peripheral or find_peripheral(self.address)
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
        self._link = peripheral.accept(self, self._central_mtu, self._wanted)
        self.services = self._link.collection

    async def disconnect(self) -> None:
        """Disconnect; the disconnected callback runs, as with BlueZ and CoreBluetooth."""
        link = self._link
        if link is None:
            return
        await asyncio.sleep(LINK_LATENCY_S)
        if link.open:
            link.peripheral.release(link)
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

    def _require_link(self) -> Link:
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
        for world in running_worlds():
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
