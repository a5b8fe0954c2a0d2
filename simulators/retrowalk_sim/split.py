"""Splitting one Treadmill Data record over several notifications, as machines do for the MTU.

Public API: `split_treadmill_data(record, max_payload=20) -> list[bytes]`. Every part but the
last has More Data set (no speed); the last carries speed (docs/reference/ftms.md). Field groups
are never cut; each part is the encoding of the record's values in its groups, so the bytes come
from the one codec in `retrowalk.ftms.treadmill_data`.
"""

from __future__ import annotations

from typing import Final

from retrowalk.ftms.models import TreadmillData
from retrowalk.ftms.treadmill_data import GROUPS, encode_treadmill_data, record_flags

_SIZES: Final = {bit: sum(f.size for f in group) for bit, group in GROUPS}
_NAMES: Final = {bit: tuple(f.name for f in group) for bit, group in GROUPS}
_CACHE_LIMIT: Final = 4096

# (flags of the whole record, max payload) -> the field names each part holds, in order
_LAYOUTS: dict[tuple[int, int], tuple[tuple[str, ...], ...]] = {}


def split_treadmill_data(record: TreadmillData, max_payload: int = 20) -> list[bytes]:
    """Return More-Data parts of at most `max_payload` bytes; the last one carries speed."""
    parts = _layout(record_flags(record), max_payload)
    return [
        encode_treadmill_data(
            TreadmillData.from_values({name: getattr(record, name) for name in names})
        )
        for names in parts
    ]


def _layout(flags: int, max_payload: int) -> tuple[tuple[str, ...], ...]:
    """Return (cached) the field names of each part for a record with these flags."""
    key = (flags, max_payload)
    found = _LAYOUTS.get(key)
    if found is None:
        speed = not flags & 1
        present = [bit for bit, _ in GROUPS if (bit == 0 and speed) or (bit and flags >> bit & 1)]
        chunks = _chunks(present, max_payload) or [[]]
        found = tuple(tuple(name for bit in chunk for name in _NAMES[bit]) for chunk in chunks)
        if len(_LAYOUTS) < _CACHE_LIMIT:
            _LAYOUTS[key] = found
    return found


def _chunks(bits: list[int], max_payload: int) -> list[list[int]]:
    """Return the groups packed in order into parts; speed goes in the last part."""
    capacity = max_payload - 2
    largest = max((_SIZES[bit] for bit in bits), default=0)
    if largest > capacity:
        msg = f"max_payload {max_payload} cannot hold a {largest}-byte field group plus flags"
        raise ValueError(msg)
    chunks: list[list[int]] = []
    used = capacity
    for bit in bits:
        if bit == 0:
            continue
        if used + _SIZES[bit] > capacity:
            chunks.append([])
            used = 0
        chunks[-1].append(bit)
        used += _SIZES[bit]
    if 0 in bits:
        if chunks and used + _SIZES[0] <= capacity:
            chunks[-1].insert(0, 0)
        else:
            chunks.append([0])
    return chunks


__all__ = ["split_treadmill_data"]
