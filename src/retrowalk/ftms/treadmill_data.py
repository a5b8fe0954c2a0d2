"""Treadmill Data (0x2ACD): decode, encode, split over notifications, and merge parts again.

Flags uint16, then each field group present when its flag bit says so, in bit order. Bit 0 is
inverted ("More Data"): speed is present when it is 0. Bit 13 (reserved in the spec) is used by
walking pads for a uint24 step count after the standard fields. "Not available" markers decode as
None; a record shorter than its flags promise is decoded as far as it goes, with truncated=True.
"""

from __future__ import annotations

import dataclasses
import struct
from dataclasses import dataclass
from typing import Any, Final

from retrowalk.errors import ProtocolError
from retrowalk.ftms._wire import BOUNDS, STRUCT_CODES, Field, to_int
from retrowalk.ftms.models import TreadmillData

CHARACTERISTIC: Final = "Treadmill Data (0x2ACD)"

MORE_DATA: Final = 0x0001  # flag bit 0: speed absent, more parts follow
STEP_COUNT: Final = 1 << 13  # vendor extension (reserved in the spec)

_NA16: Final = frozenset({0xFFFF})
_NA_S16: Final = frozenset({0x7FFF})

# The one declaration of the wire format: (flag bit, fields in wire order).
GROUPS: Final[tuple[tuple[int, tuple[Field, ...]], ...]] = (
    (0, (Field("speed_kmh", "u16", 100),)),
    (1, (Field("average_speed_kmh", "u16", 100),)),
    (2, (Field("total_distance_m", "u24"),)),
    (
        3,
        (
            Field("incline_pct", "s16", 10, _NA_S16),
            Field("ramp_angle_deg", "s16", 10, _NA_S16),
        ),
    ),
    (
        4,
        (
            Field("positive_elevation_gain_m", "u16", 10, _NA16),
            # 0x7FFF seen on real machines although the field is unsigned
            Field("negative_elevation_gain_m", "u16", 10, frozenset({0x7FFF, 0xFFFF})),
        ),
    ),
    (5, (Field("instantaneous_pace_km_min", "u8", 10),)),
    (6, (Field("average_pace_km_min", "u8", 10),)),
    (
        7,
        (
            Field("total_energy_kcal", "u16", 1, _NA16),
            Field("energy_per_hour_kcal", "u16", 1, _NA16),
            Field("energy_per_minute_kcal", "u8", 1, frozenset({0xFF})),
        ),
    ),
    (8, (Field("heart_rate_bpm", "u8"),)),
    (9, (Field("metabolic_equivalent", "u8", 10),)),
    (10, (Field("elapsed_time_s", "u16"),)),
    (11, (Field("remaining_time_s", "u16"),)),
    (
        12,
        (
            Field("force_on_belt_n", "s16", 1, _NA_S16),
            Field("power_output_w", "s16", 1, _NA_S16),
        ),
    ),
    (13, (Field("steps", "u24"),)),
)

_GROUP_NAMES: Final = tuple((bit, tuple(f.name for f in group)) for bit, group in GROUPS)
_RECORD_FIELDS: Final = tuple(
    f.name for f in dataclasses.fields(TreadmillData) if f.name != "truncated"
)


@dataclass(frozen=True, slots=True)
class _Plan:
    """The fields a flags value promises, compiled for fast decoding."""

    fields: tuple[Field, ...]
    length: int
    unpacker: struct.Struct
    # (attribute, index into the unpacked tuple, is uint24, divisor, not-available markers)
    steps: tuple[tuple[str, int, bool, int, frozenset[int]], ...]
    # (field, lowest raw, highest raw, raw written for None or -1 if the field has none)
    encode_steps: tuple[tuple[Field, int, int, int], ...]


_PLANS: dict[int, _Plan] = {}
_PLAN_CACHE_LIMIT: Final = 4096


def _groups_for(flags: int) -> list[tuple[int, tuple[Field, ...]]]:
    """Return the field groups present for a flags value, in wire order."""
    return [
        (bit, group)
        for bit, group in GROUPS
        if (bit == 0 and not flags & MORE_DATA) or (bit != 0 and flags >> bit & 1)
    ]


def _plan(flags: int) -> _Plan:
    """Return the (cached) decoding plan of a flags value."""
    plan = _PLANS.get(flags)
    if plan is not None:
        return plan
    fields = tuple(f for _, group in _groups_for(flags) for f in group)
    codes = "".join(STRUCT_CODES[f.wire] for f in fields)
    steps: list[tuple[str, int, bool, int, frozenset[int]]] = []
    index = 0
    for f in fields:
        wide = f.wire == "u24"
        steps.append((f.name, index, wide, f.divisor, f.not_available))
        index += 2 if wide else 1
    encode_steps = tuple(
        (f, *BOUNDS[f.wire], -1 if f.encode_marker is None else f.encode_marker) for f in fields
    )
    plan = _Plan(
        fields,
        sum(f.size for f in fields),
        struct.Struct("<" + codes),
        tuple(steps),
        encode_steps,
    )
    if len(_PLANS) < _PLAN_CACHE_LIMIT:
        _PLANS[flags] = plan
    return plan


def decode_treadmill_data(data: bytes) -> TreadmillData:
    """Return the record in one notification (a More-Data part decodes to its own fields)."""
    return decode_part(data)[0]


def decode_part(data: bytes) -> tuple[TreadmillData, bool]:
    """Return (record, more_data): more_data is True for a part that carries no speed."""
    values, more, truncated = _decode_values(data)
    return TreadmillData.from_values(values, truncated=truncated), more


def _decode_values(data: bytes) -> tuple[dict[str, Any], bool, bool]:
    """Return (present values by attribute, more_data, truncated) of one notification."""
    data = bytes(data)
    size = len(data)
    if size < 2:
        raise ProtocolError(CHARACTERISTIC, data, f"needs the 2-byte flags, got {size} bytes")
    flags = data[0] | data[1] << 8
    plan = _plan(flags)
    if flags & MORE_DATA and size - 2 == plan.length + 2:
        # Some machines always set More Data yet send speed: exactly 2 bytes too many says so.
        flags &= ~MORE_DATA
        plan = _plan(flags)
    more = bool(flags & MORE_DATA)
    values: dict[str, Any] = {}
    if size - 2 >= plan.length:  # trailing bytes beyond the promised fields are ignored
        raw_values = plan.unpacker.unpack_from(data, 2)
        for name, index, wide, divisor, not_available in plan.steps:
            raw = raw_values[index]
            if wide:
                raw |= raw_values[index + 1] << 16
            if raw in not_available:
                continue
            values[name] = raw if divisor == 1 else raw / divisor
        return values, more, False
    offset = 2
    for f in plan.fields:  # truncated: decode every whole field that arrived
        if offset + f.size > size:
            break
        value = f.to_domain(f.read(data, offset))
        if value is not None:
            values[f.name] = value
        offset += f.size
    return values, more, True


def _record_flags(record: TreadmillData) -> int:
    """Return the flags of one notification holding every present field of `record`."""
    flags = 0
    for bit, names in _GROUP_NAMES:
        for name in names:
            if getattr(record, name) is not None:
                flags |= 1 << bit
                break
    return flags ^ MORE_DATA  # inverted: bit 0 set means speed absent


def _raw_values(record: TreadmillData, plan: _Plan) -> list[int]:
    """Return the struct values of `plan`'s fields (absent group members as N/A markers)."""
    raws: list[int] = []
    for f, low, high, marker in plan.encode_steps:
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
    flags = _record_flags(record)
    plan = _plan(flags)
    return flags.to_bytes(2, "little") + plan.unpacker.pack(*_raw_values(record, plan))


# One part of a split record: its flags bytes, its struct, and which of the whole record's
# struct values (in wire order) it packs.
_SplitPart = tuple[bytes, struct.Struct, tuple[int, ...]]
_SPLITS: dict[tuple[int, int], tuple[_SplitPart, ...]] = {}


# (flag bit, payload size, indices of its struct values among the whole record's values)
_Group = tuple[int, int, tuple[int, ...]]


def _split_layout(flags: int, max_payload: int) -> tuple[_SplitPart, ...]:
    """Return (cached) how a record with these flags is split into parts of `max_payload`."""
    layout = _SPLITS.get((flags, max_payload))
    if layout is not None:
        return layout
    groups: list[_Group] = []
    index = 0
    for bit, fields in _groups_for(flags):
        count = sum(2 if f.wire == "u24" else 1 for f in fields)
        groups.append((bit, sum(f.size for f in fields), tuple(range(index, index + count))))
        index += count
    parts: list[_SplitPart] = []
    for chunk in _chunks(groups, max_payload) or [[]]:
        part_flags = MORE_DATA
        for bit, _, _ in chunk:
            part_flags = part_flags & ~MORE_DATA if bit == 0 else part_flags | 1 << bit
        indices = tuple(i for _, _, group_indices in chunk for i in group_indices)
        parts.append((part_flags.to_bytes(2, "little"), _plan(part_flags).unpacker, indices))
    layout = tuple(parts)
    if len(_SPLITS) < _PLAN_CACHE_LIMIT:
        _SPLITS[flags, max_payload] = layout
    return layout


def _chunks(groups: list[_Group], max_payload: int) -> list[list[_Group]]:
    """Return the groups packed in order into parts; speed goes in the last part."""
    speed = [g for g in groups if g[0] == 0]
    others = [g for g in groups if g[0] != 0]
    capacity = max_payload - 2
    largest = max((size for _, size, _ in groups), default=0)
    if largest > capacity:
        msg = f"max_payload {max_payload} cannot hold a {largest}-byte field group plus flags"
        raise ValueError(msg)
    chunks: list[list[_Group]] = []
    used = capacity
    for group in others:
        if used + group[1] > capacity:
            chunks.append([])
            used = 0
        chunks[-1].append(group)
        used += group[1]
    if speed:
        if chunks and used + speed[0][1] <= capacity:
            chunks[-1].insert(0, speed[0])
        else:
            chunks.append([speed[0]])
    return chunks


def split_treadmill_data(record: TreadmillData, max_payload: int = 20) -> list[bytes]:
    """Return More-Data parts of at most `max_payload` bytes; the last one carries speed."""
    flags = _record_flags(record)
    raws = _raw_values(record, _plan(flags))
    layout = _split_layout(flags, max_payload)
    return [head + packer.pack(*[raws[i] for i in indices]) for head, packer, indices in layout]


def merge(earlier: TreadmillData, later: TreadmillData) -> TreadmillData:
    """Return `earlier` updated with every value present in `later`."""
    values: dict[str, Any] = {}
    for name in _RECORD_FIELDS:
        value = getattr(later, name)
        if value is None:
            value = getattr(earlier, name)
        if value is not None:
            values[name] = value
    return TreadmillData.from_values(values, truncated=earlier.truncated or later.truncated)


class TreadmillDataAssembler:
    """Merges More-Data parts into records; never waits forever.

    A part without speed is held. The record is given out when a part with speed arrives, when a
    held part would be overwritten (a new record began), when `max_parts` are held, when the
    oldest held part is `max_age_s` old at the next feed or `poll`, or on `flush`.
    """

    def __init__(self, max_parts: int = 4, max_age_s: float = 1.0) -> None:
        if max_parts < 1 or max_age_s <= 0:
            msg = f"max_parts must be >= 1 and max_age_s > 0 (got {max_parts}, {max_age_s})"
            raise ValueError(msg)
        self.max_parts = max_parts
        self.max_age_s = max_age_s
        # The held parts' present values merged (later parts win), kept as a dict so a record
        # is built once, when it goes out.
        self._pending: dict[str, Any] | None = None
        self._truncated = False
        self._count = 0
        self._started = 0.0

    @property
    def deadline(self) -> float | None:
        """Return the loop time by which the held parts go out (None when nothing is held)."""
        return None if self._pending is None else self._started + self.max_age_s

    def feed(self, data: bytes, now: float) -> TreadmillData | None:
        """Return a merged record when this part completes one; ProtocolError on bad bytes."""
        values, more, truncated = _decode_values(data)
        if not more:
            pending = self._pending
            if pending is None:
                return TreadmillData.from_values(values, truncated=truncated)
            pending.update(values)
            truncated = truncated or self._truncated
            self._pending, self._count = None, 0
            return TreadmillData.from_values(pending, truncated=truncated)
        out: TreadmillData | None = None
        pending = self._pending
        if pending is not None and (
            not pending.keys().isdisjoint(values) or now - self._started >= self.max_age_s
        ):
            out = self._take()
        if self._pending is None:
            self._pending, self._truncated, self._started = values, truncated, now
        else:
            self._pending.update(values)
            self._truncated = self._truncated or truncated
        self._count += 1
        if self._count >= self.max_parts:
            assert out is None  # only possible with max_parts == 1, when nothing was held
            out = self._take()
        return out

    def poll(self, now: float) -> TreadmillData | None:
        """Return the held parts as a record if they are `max_age_s` old, else None."""
        deadline = self.deadline
        if deadline is not None and now >= deadline:
            return self._take()
        return None

    def flush(self) -> TreadmillData | None:
        """Return whatever is held (None if nothing) and forget it."""
        return self._take()

    def _take(self) -> TreadmillData | None:
        pending = self._pending
        self._pending, self._count = None, 0
        if pending is None:
            return None
        return TreadmillData.from_values(pending, truncated=self._truncated)


__all__ = [
    "CHARACTERISTIC",
    "GROUPS",
    "TreadmillDataAssembler",
    "decode_part",
    "decode_treadmill_data",
    "encode_treadmill_data",
    "merge",
    "split_treadmill_data",
]
