"""Splitting one Treadmill Data record over several notifications, as machines do for the MTU.

Public API: `split_treadmill_data(record, max_payload=20) -> list[bytes]`. Every part but the
last has More Data set (no speed); the last carries speed (docs/reference/ftms.md). Field groups
are never cut. The record is encoded once by the one codec in `retrowalk.ftms.treadmill_data`;
each part is its own flags and the byte ranges of its groups cut from that encoding (a group's
bytes do not depend on which other groups are present), the cut cached per flags layout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from retrowalk.ftms.treadmill_data import GROUPS, MORE_DATA, encode_treadmill_data

if TYPE_CHECKING:
    from retrowalk.ftms.models import TreadmillData

_SIZES: Final = {bit: sum(f.size for f in group) for bit, group in GROUPS}
_CACHE_LIMIT: Final = 4096

# One part: its flags word, and the (start, end) byte ranges of the whole record's encoding.
_Part = tuple[bytes, tuple[tuple[int, int], ...]]
# (flags of the whole record, max payload) -> its parts, in order
_LAYOUTS: dict[tuple[int, int], tuple[_Part, ...]] = {}


def split_treadmill_data(record: TreadmillData, max_payload: int = 20) -> list[bytes]:
    """Return More-Data parts of at most `max_payload` bytes; the last one carries speed."""
    whole = encode_treadmill_data(record)
    parts = _layout(whole[0] | whole[1] << 8, max_payload)
    return [flags + b"".join(whole[a:b] for a, b in ranges) for flags, ranges in parts]


def _layout(flags: int, max_payload: int) -> tuple[_Part, ...]:
    """Return (cached) the parts of a record with these flags."""
    key = (flags, max_payload)
    found = _LAYOUTS.get(key)
    if found is None:
        speed = not flags & MORE_DATA
        present = [bit for bit, _ in GROUPS if (bit == 0 and speed) or (bit and flags >> bit & 1)]
        offsets, at = {}, 2  # where each group's bytes start in the whole record
        for bit in present:
            offsets[bit] = at
            at += _SIZES[bit]
        found = tuple(
            (
                _part_flags(chunk).to_bytes(2, "little"),
                tuple((offsets[bit], offsets[bit] + _SIZES[bit]) for bit in sorted(chunk)),
            )
            for chunk in _chunks(present, max_payload) or [[]]
        )
        if len(_LAYOUTS) < _CACHE_LIMIT:
            _LAYOUTS[key] = found
    return found


def _part_flags(bits: list[int]) -> int:
    """Return the flags of a part holding these groups (More Data unless it carries speed)."""
    flags = 0 if 0 in bits else MORE_DATA
    for bit in bits:
        flags |= 1 << bit if bit else 0
    return flags


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
