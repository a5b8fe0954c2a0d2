"""Treadmill Data (0x2ACD) codec: one notification <-> one record in domain units.

The wire layout and how a notification's length selects it are in `treadmill_layout`; merging
the More-Data parts of a record is `assembler`. "Not available" markers decode as None; a record
shorter than every layout its flags allow is decoded as far as it goes, with truncated=True; bytes
that fit more than one layout are read the preferred way and marked ambiguous. The encoder writes
the FTMS 1.0 layout (uint8 pace).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from retrowalk.errors import ProtocolError
from retrowalk.ftms._writer import compile_flags, compile_writer
from retrowalk.ftms.treadmill_layout import GROUPS, MORE_DATA, READINGS, Reading, layout, reading

if TYPE_CHECKING:
    from retrowalk.ftms._writer import Writer
    from retrowalk.ftms.models import TreadmillData

CHARACTERISTIC: Final = "Treadmill Data (0x2ACD)"

STEP_COUNT: Final = 1 << 13  # vendor extension (reserved in the spec)


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


_WRITERS: dict[int, Writer] = {}
_WRITER_LIMIT: Final = 4096


def _writer(flags: int) -> Writer:
    """Return the (cached) compiled writer of a flags value's FTMS 1.0 layout."""
    found = _WRITERS.get(flags)
    if found is None:
        chosen = layout(flags)
        head = flags.to_bytes(2, "little")
        found = compile_writer(chosen.fields, chosen.packer, head, CHARACTERISTIC)
        if len(_WRITERS) < _WRITER_LIMIT:
            _WRITERS[flags] = found
    return found


# The flags of one notification holding every present field of a record: straight-line code
# from GROUPS (a test per group), as every record encoded goes through it.
record_flags: Final = compile_flags(GROUPS, MORE_DATA)


def encode_treadmill_data(record: TreadmillData) -> bytes:
    """Return one notification with every present field (absent group members as N/A markers)."""
    return _writer(record_flags(record))(record)


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
