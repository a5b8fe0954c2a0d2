"""FTMS advertising service data (after the 0x1826 UUID): flags uint8 + machine type uint16.

A treadmill advertises `01 01 00`. Some machines send the type bytes swapped (`01 00 01`): a
little-endian value with only its high byte set, that byte being a valid type, is read swapped.
"""

from __future__ import annotations

from typing import Final

from retrowalk.errors import ProtocolError
from retrowalk.ftms.models import Advertisement, MachineType

CHARACTERISTIC: Final = "FTMS service data (0x1826)"

MACHINE_AVAILABLE: Final = 0x01
_DEFINED_TYPES: Final = 0x3F  # bits 0-5


def decode_advertisement(data: bytes) -> Advertisement:
    """Return availability and machine types; trailing bytes are ignored."""
    data = bytes(data)
    if len(data) < 3:
        raise ProtocolError(
            CHARACTERISTIC, data, f"needs flags + machine type (3 bytes), got {len(data)}"
        )
    available = bool(data[0] & MACHINE_AVAILABLE)
    low, high = data[1], data[2]
    if low == 0 and high and not high & ~_DEFINED_TYPES:
        return Advertisement(available, MachineType(high), byte_swapped=True)
    return Advertisement(available, MachineType(low | high << 8))


def encode_advertisement(advertisement: Advertisement) -> bytes:
    """Return the 3 service-data bytes (swapped if the record says the machine swaps them)."""
    types = int(advertisement.machine_types)
    if not 0 <= types <= 0xFFFF:
        raise ProtocolError(CHARACTERISTIC, b"", f"machine_types={types:#x} is not a uint16")
    flags = MACHINE_AVAILABLE if advertisement.available else 0
    if advertisement.byte_swapped:
        return bytes([flags]) + types.to_bytes(2, "big")
    return bytes([flags]) + types.to_bytes(2, "little")


__all__ = ["CHARACTERISTIC", "decode_advertisement", "encode_advertisement"]
