"""Supported Speed Range (0x2AD4) and Supported Inclination Range (0x2AD5)."""

from __future__ import annotations

from typing import Final

from retrowalk.ftms._wire import Field, read_fields, write_fields
from retrowalk.ftms.models import InclineRange, SpeedRange

SPEED_CHARACTERISTIC: Final = "Supported Speed Range (0x2AD4)"
INCLINE_CHARACTERISTIC: Final = "Supported Inclination Range (0x2AD5)"

SPEED_FIELDS: Final = (
    Field("minimum_kmh", "u16", 100),
    Field("maximum_kmh", "u16", 100),
    Field("increment_kmh", "u16", 100),
)
INCLINE_FIELDS: Final = (
    Field("minimum_pct", "s16", 10),
    Field("maximum_pct", "s16", 10),
    Field("increment_pct", "u16", 10),
)


def decode_speed_range(data: bytes) -> SpeedRange:
    """Return the speed range in km/h; trailing bytes are ignored."""
    v = read_fields(SPEED_CHARACTERISTIC, bytes(data), 0, SPEED_FIELDS)
    return SpeedRange(
        minimum_kmh=float(v["minimum_kmh"] or 0),
        maximum_kmh=float(v["maximum_kmh"] or 0),
        increment_kmh=float(v["increment_kmh"] or 0),
    )


def encode_speed_range(speed_range: SpeedRange) -> bytes:
    """Return the 6-byte read value."""
    values: dict[str, float | int | None] = {
        "minimum_kmh": speed_range.minimum_kmh,
        "maximum_kmh": speed_range.maximum_kmh,
        "increment_kmh": speed_range.increment_kmh,
    }
    return write_fields(SPEED_CHARACTERISTIC, values, SPEED_FIELDS)


def decode_incline_range(data: bytes) -> InclineRange:
    """Return the inclination range in %; trailing bytes are ignored."""
    v = read_fields(INCLINE_CHARACTERISTIC, bytes(data), 0, INCLINE_FIELDS)
    return InclineRange(
        minimum_pct=float(v["minimum_pct"] or 0),
        maximum_pct=float(v["maximum_pct"] or 0),
        increment_pct=float(v["increment_pct"] or 0),
    )


def encode_incline_range(incline_range: InclineRange) -> bytes:
    """Return the 6-byte read value."""
    values: dict[str, float | int | None] = {
        "minimum_pct": incline_range.minimum_pct,
        "maximum_pct": incline_range.maximum_pct,
        "increment_pct": incline_range.increment_pct,
    }
    return write_fields(INCLINE_CHARACTERISTIC, values, INCLINE_FIELDS)


__all__ = [
    "INCLINE_CHARACTERISTIC",
    "SPEED_CHARACTERISTIC",
    "decode_incline_range",
    "decode_speed_range",
    "encode_incline_range",
    "encode_speed_range",
]
