"""Wire-format primitives shared by the FTMS codecs: one `Field` declares a value once.

A Field names the record attribute, its little-endian wire type, its resolution (the domain value
of one wire step, as a divisor: 100 means 0.01 units) and the "not available" markers that decode
as None. Codecs never do their own struct arithmetic beyond what is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from retrowalk.errors import ProtocolError

WireType = Literal["u8", "u16", "u24", "u32", "s16"]

SIZES: Final[dict[WireType, int]] = {"u8": 1, "u16": 2, "u24": 3, "u32": 4, "s16": 2}
BOUNDS: Final[dict[WireType, tuple[int, int]]] = {
    "u8": (0, 0xFF),
    "u16": (0, 0xFFFF),
    "u24": (0, 0xFFFFFF),
    "u32": (0, 0xFFFFFFFF),
    "s16": (-0x8000, 0x7FFF),
}
# struct codes; u24 is packed as u16 + u8 (low word first), joined by the codec.
STRUCT_CODES: Final[dict[WireType, str]] = {
    "u8": "B",
    "u16": "H",
    "u24": "HB",
    "u32": "I",
    "s16": "h",
}


_HALF: Final = 0.5 + 1e-6
_OUT_OF_RANGE: Final = 1 << 40


@dataclass(frozen=True, slots=True)
class Field:
    """One wire field: record attribute, wire type, divisor to domain units, N/A markers."""

    name: str
    wire: WireType
    divisor: int = 1
    not_available: frozenset[int] = frozenset()

    @property
    def size(self) -> int:
        """Return the field's length in bytes."""
        return SIZES[self.wire]

    @property
    def encode_marker(self) -> int | None:
        """Return the marker the encoder writes for an absent value (the largest one)."""
        return max(self.not_available) if self.not_available else None

    def to_domain(self, raw: int) -> float | int | None:
        """Return the domain value of a raw wire integer (None for a "not available" marker)."""
        if raw in self.not_available:
            return None
        if self.divisor == 1:
            return raw
        return raw / self.divisor

    def to_raw(self, value: float | None, characteristic: str) -> int:
        """Return the wire integer for a domain value, rounded half away from zero."""
        if value is None:
            marker = self.encode_marker
            if marker is None:
                raise ProtocolError(characteristic, b"", f"{self.name} has no 'not available' code")
            return marker
        raw = to_int(value, self.divisor)
        low, high = BOUNDS[self.wire]
        if not low <= raw <= high or raw in self.not_available:
            raise ProtocolError(
                characteristic,
                b"",
                f"{self.name}={value!r} does not fit {self.wire} in steps of "
                f"1/{self.divisor} (allowed {low / self.divisor:g}..{high / self.divisor:g}, "
                f"reserved codes {sorted(self.not_available)})",
            )
        return raw

    def read(self, data: bytes, offset: int) -> int:
        """Return the raw integer at `offset` (caller checks the length)."""
        size = SIZES[self.wire]
        return int.from_bytes(data[offset : offset + size], "little", signed=self.wire == "s16")

    def float_at(self, data: bytes, offset: int) -> float:
        """Return the field at `offset` in domain units, as a float (for marker-free fields)."""
        return self.read(data, offset) / self.divisor

    def write(self, raw: int) -> bytes:
        """Return the little-endian bytes of a raw integer."""
        return raw.to_bytes(SIZES[self.wire], "little", signed=self.wire == "s16")


def to_int(value: float, divisor: int) -> int:
    """Return round-half-away-from-zero of value * divisor (1.15 km/h -> 115, not 114)."""
    if type(value) is int:
        return value * divisor
    scaled = value * divisor
    # A half within 1e-6 counts as a half: binary noise (1.15 * 100 = 114.99999999999999,
    # 2.675 * 100 = 267.49999999999997) must not decide the step.
    if 0 <= scaled < _OUT_OF_RANGE:
        return int(scaled + _HALF)
    if -_OUT_OF_RANGE < scaled < 0:
        return -int(_HALF - scaled)
    return _OUT_OF_RANGE  # inf, nan, or beyond every wire range: the caller reports it


def require(characteristic: str, data: bytes, length: int, what: str) -> None:
    """Raise ProtocolError unless `data` has at least `length` bytes."""
    if len(data) < length:
        raise ProtocolError(
            characteristic,
            data,
            f"{what} needs at least {length} bytes, got {len(data)}",
        )


def read_fields(
    characteristic: str, data: bytes, offset: int, fields: tuple[Field, ...]
) -> dict[str, float | int | None]:
    """Return the domain values of consecutive fields from `offset`; short data is an error."""
    total = sum(f.size for f in fields)
    require(characteristic, data, offset + total, " + ".join(f.name for f in fields))
    out: dict[str, float | int | None] = {}
    for f in fields:
        out[f.name] = f.to_domain(f.read(data, offset))
        offset += f.size
    return out


def write_fields(
    characteristic: str, values: dict[str, float | int | None], fields: tuple[Field, ...]
) -> bytes:
    """Return the wire bytes of consecutive fields."""
    return b"".join(f.write(f.to_raw(values[f.name], characteristic)) for f in fields)


__all__ = [
    "BOUNDS",
    "SIZES",
    "STRUCT_CODES",
    "Field",
    "WireType",
    "read_fields",
    "require",
    "to_int",
    "write_fields",
]
