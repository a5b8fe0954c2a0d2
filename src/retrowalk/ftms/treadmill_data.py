"""Treadmill Data (0x2ACD) codec: one notification <-> one record in domain units.

The wire layout and how a notification's length selects it are in `treadmill_layout`; merging
the More-Data parts of a record is `assembler`. "Not available" markers decode as None; a record
shorter than every layout its flags allow is decoded as far as it goes, with truncated=True; bytes
that fit more than one layout are read the preferred way and marked ambiguous. The encoder writes
the FTMS 1.0 layout (uint8 pace).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from retrowalk.errors import ProtocolError
from retrowalk.ftms._wire import BOUNDS, Field, to_int
from retrowalk.ftms.treadmill_layout import GROUPS, MORE_DATA, READINGS, Reading, layout, reading

if TYPE_CHECKING:
    import struct

    from retrowalk.ftms.models import TreadmillData

CHARACTERISTIC: Final = "Treadmill Data (0x2ACD)"

STEP_COUNT: Final = 1 << 13  # vendor extension (reserved in the spec)

_GROUP_NAMES: Final = tuple((bit, tuple(f.name for f in group)) for bit, group in GROUPS)


def reading_of(data: bytes) -> Reading:
    """Return how `data` is read (layout, More Data, truncated, ambiguous); ProtocolError if < 2."""
    size = len(data)
    if size < 2:
        raise ProtocolError(
            CHARACTERISTIC, bytes(data), f"needs the 2-byte flags, got {size} bytes"
        )
    return reading(data[0] | data[1] << 8, size)


def decode_treadmill_data(data: bytes) -> TreadmillData:
    """Return the record in one notification (a More-Data part decodes to its own fields)."""
    try:  # the hot path: a flags and length seen before
        found = READINGS[data[0] | data[1] << 8 | len(data) << 16]
    except (KeyError, IndexError):
        found = reading_of(data)
    return found.decode(data)


def decode_part(data: bytes) -> tuple[TreadmillData, bool]:
    """Return (record, more_data): more_data is True for a part that carries no speed."""
    found = reading_of(data)
    return found.decode(data), found.more_data


@dataclass(frozen=True, slots=True)
class _Encoder:
    """The FTMS 1.0 layout of a flags value, ready to pack."""

    packer: struct.Struct
    # (field, lowest raw, highest raw, raw written for None or -1 if the field has none)
    steps: tuple[tuple[Field, int, int, int], ...]


_ENCODERS: dict[int, _Encoder] = {}
_ENCODER_LIMIT: Final = 4096


def _encoder(flags: int) -> _Encoder:
    """Return the (cached) encoder of a flags value."""
    found = _ENCODERS.get(flags)
    if found is None:
        chosen = layout(flags)
        found = _Encoder(
            chosen.packer,
            tuple(
                (f, *BOUNDS[f.wire], -1 if f.encode_marker is None else f.encode_marker)
                for f in chosen.fields
            ),
        )
        if len(_ENCODERS) < _ENCODER_LIMIT:
            _ENCODERS[flags] = found
    return found


def record_flags(record: TreadmillData) -> int:
    """Return the flags of one notification holding every present field of `record`."""
    flags = 0
    for bit, names in _GROUP_NAMES:
        for name in names:
            if getattr(record, name) is not None:
                flags |= 1 << bit
                break
    return flags ^ MORE_DATA  # inverted: bit 0 set means speed absent


def _raw_values(record: TreadmillData, encoder: _Encoder) -> list[int]:
    """Return the struct values of the encoder's fields (absent group members as N/A markers)."""
    raws: list[int] = []
    for f, low, high, marker in encoder.steps:
        value = getattr(record, f.name)
        if value is None:
            raw = marker
        else:
            raw = to_int(value, f.divisor)
            if raw < low or raw > high or raw in f.not_available:
                f.to_raw(value, CHARACTERISTIC)  # raises with the full explanation
        if f.wire == "u24":
            raws += (raw & 0xFFFF, raw >> 16)
        else:
            raws.append(raw)
    return raws


def encode_treadmill_data(record: TreadmillData) -> bytes:
    """Return one notification with every present field (absent group members as N/A markers)."""
    flags = record_flags(record)
    encoder = _encoder(flags)
    return flags.to_bytes(2, "little") + encoder.packer.pack(*_raw_values(record, encoder))


__all__ = [
    "CHARACTERISTIC",
    "GROUPS",
    "MORE_DATA",
    "STEP_COUNT",
    "decode_part",
    "decode_treadmill_data",
    "encode_treadmill_data",
    "reading_of",
    "record_flags",
]
