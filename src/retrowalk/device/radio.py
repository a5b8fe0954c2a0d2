"""The host-stack-free halves of bleak backends over a host stack (bumble_adapter.py).

Public API:
- `Radio`: what a host stack offers a scanner (start and stop hearing advertisements, each one
  reported as bleak's `AdvertisementData` with its address and platform details);
  `RadioScanner(..., radio=...)`: the bleak scanner backend over one.
- `Found` (one discovered attribute: the stack's object, handle, UUID, properties, children)
  and `gatt_collection(services, wanted, max_write)`: bleak's GATT table from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

from bleak.backends.characteristic import BleakGATTCharacteristic, GattCharacteristicsFlags
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection

if TYPE_CHECKING:
    from bleak.assigned_numbers import CharacteristicPropertyName
    from bleak.backends.scanner import AdvertisementDataCallback

Heard = Callable[[str, AdvertisementData, object], None]  # (address, advertisement, details)


class Radio(Protocol):
    """A host stack's scanning: every advertisement as (address, data, platform details)."""

    async def start_scanning(self, heard: Heard, *, active: bool) -> None:
        """Report every advertisement to `heard` from now on."""
        ...

    async def stop_scanning(self, heard: Heard) -> None:
        """Stop reporting to `heard`."""
        ...


class RadioScanner(BaseBleakScanner):
    """A bleak scanner backend over a `Radio`."""

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        *,
        radio: Radio,
        **_: object,  # bleak's platform arguments (bluez=, cb=)
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._radio = radio
        self._active = scanning_mode != "passive"

    async def start(self) -> None:
        """Start scanning."""
        self.seen_devices = {}
        await self._radio.start_scanning(self._heard, active=self._active)

    async def stop(self) -> None:
        """Stop scanning."""
        await self._radio.stop_scanning(self._heard)

    def _heard(self, address: str, adv: AdvertisementData, details: object) -> None:
        if not self.is_allowed_uuid(adv.service_uuids):
            return
        device = self.create_or_update_device(address, address, adv.local_name, details, adv)
        self.call_detection_callbacks(device, adv)


@dataclass(frozen=True)
class Found:
    """One discovered service, characteristic or descriptor (`obj`: the stack's own handle)."""

    obj: object
    handle: int
    uuid: str  # bleak's spelling: 128-bit, lower case
    properties: int = 0  # a characteristic's property bits
    children: tuple[Found, ...] = ()


def gatt_collection(
    services: list[Found], wanted: set[str] | None, max_write: Callable[[], int]
) -> BleakGATTServiceCollection:
    """Return bleak's GATT table of `services` (only the `wanted` ones, when given)."""
    collection = BleakGATTServiceCollection()
    for found in services:
        if wanted is not None and found.uuid not in wanted:
            continue
        service = BleakGATTService(found.obj, found.handle, found.uuid)
        collection.add_service(service)
        for c in found.children:
            names = [_NAMES[f] for f in GattCharacteristicsFlags if c.properties & f.value]
            char = BleakGATTCharacteristic(c.obj, c.handle, c.uuid, names, max_write, service)
            collection.add_characteristic(char)
            for d in c.children:
                collection.add_descriptor(BleakGATTDescriptor(d.obj, d.handle, d.uuid, char))
    return collection


_NAMES = {
    f: cast("CharacteristicPropertyName", f.name.replace("_", "-"))
    for f in GattCharacteristicsFlags
}
