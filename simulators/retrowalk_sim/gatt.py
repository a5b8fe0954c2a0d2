"""A tiny GATT server description shared by every simulated peripheral.

Public API:
- `CharSpec` (uuid, bleak property names, read and write handlers) and `ServiceSpec`.
- `AttError(code)`: raised by a write handler to answer with an ATT error (the bleak backend turns
  it into `bleak.exc.BleakGATTProtocolError`).
- `Port`: what a simulated device talks to while a central is connected (`send`, `subscribed`,
  `max_payload`, `drop`).
- `SimDevice`: what a peripheral hosts (a `TreadmillModel`, a `HeartRateStrap`).
- `uuid16(n)`: the full Bluetooth base UUID string of a 16-bit UUID.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

Property = Literal["read", "write", "write-without-response", "notify", "indicate"]

ATT_INVALID_ATTRIBUTE_VALUE_LENGTH = 0x0D
ATT_CCCD_IMPROPERLY_CONFIGURED = 0xFD


def uuid16(value: int) -> str:
    """Return the 128-bit string form of a 16-bit Bluetooth UUID (lower case, like bleak)."""
    return f"0000{value:04x}-0000-1000-8000-00805f9b34fb"


CCCD_UUID = uuid16(0x2902)


class AttError(Exception):
    """An ATT error response (Core spec Vol 3 Part F 3.4.1.1) from a simulated server."""

    def __init__(self, code: int, reason: str = "") -> None:
        self.code = code
        super().__init__(f"ATT error 0x{code:02X}" + (f": {reason}" if reason else ""))


@dataclass(frozen=True)
class CharSpec:
    """One characteristic: UUID, properties (bleak names) and the server's handlers."""

    uuid: str
    properties: tuple[Property, ...]
    read: Callable[[], bytes] | None = None
    write: Callable[[bytes], None] | None = None
    needs_cccd_for_write: bool = False  # a control point: indications must be on before a write

    def has(self, prop: Property) -> bool:
        """Return whether the characteristic declares `prop`."""
        return prop in self.properties


@dataclass(frozen=True)
class ServiceSpec:
    """One primary service and its characteristics, in handle order."""

    uuid: str
    characteristics: tuple[CharSpec, ...]


class Port(Protocol):
    """The connected central, as a simulated device sees it."""

    @property
    def max_payload(self) -> int:
        """Return the largest notification payload (ATT MTU - 3)."""
        ...

    def subscribed(self, uuid: str) -> bool:
        """Return whether the central enabled notifications or indications on `uuid`."""
        ...

    def send(self, uuid: str, data: bytes) -> None:
        """Notify or indicate `data` on `uuid` (dropped if the central did not subscribe)."""
        ...

    def drop(self, refuse_s: float) -> None:
        """Drop the link; refuse new connections for `refuse_s` seconds."""
        ...


class SimDevice(Protocol):
    """A simulated device behind a peripheral: its GATT table, advertisement and lifecycle."""

    def services(self) -> list[ServiceSpec]:
        """Return the GATT services, in handle order."""
        ...

    def service_data(self) -> dict[str, bytes]:
        """Return the advertised service data (service UUID -> bytes)."""
        ...

    def advertised_services(self) -> list[str]:
        """Return the service UUIDs listed in the advertisement."""
        ...

    def attach(self, port: Port) -> None:
        """A central connected."""
        ...

    def detach(self) -> None:
        """The central disconnected (either side)."""
        ...

    def start(self) -> None:
        """Start the device's timers on the running loop."""
        ...

    def close(self) -> None:
        """Cancel every timer; the device stays inspectable."""
        ...
