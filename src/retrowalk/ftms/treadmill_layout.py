"""Treadmill Data (0x2ACD) wire layout: the one field declaration, and which layout bytes fit.

Flags uint16, then each field group present when its flag bit says so, in bit order. Bit 0 is
inverted ("More Data"): speed is present when it is 0. Bit 13 (reserved in the spec) is used by
walking pads for a uint24 step count after the standard fields.

The flags alone do not fix the layout. FTMS 1.0 declares Instantaneous and Average Pace uint8
(0.1 km/min); the GATT Specification Supplement, which later FTMS revisions defer to, declares
them uint16 in another unit. Some machines set More Data yet send speed. So a flags value has up
to four layouts, and the notification's length picks one (docs/reference/ftms.md):

1. the layouts whose fields fill the bytes exactly; if none,
2. the layouts whose fields fit with bytes over (trailing bytes are ignored); if none,
3. the record is truncated: read with the first layout below as far as the bytes go.

Within a class the order of preference is: bit 0 as every revision states it (set: no speed)
before speed sent anyway, then FTMS 1.0's uint8 pace before the Supplement's uint16. When the
chosen class holds more than one layout the record is marked ambiguous, saying why. A pace read
as uint16 is consumed but reported as absent, since its unit is not km/min.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from retrowalk.ftms._readers import compile_reader, interpret_reader
from retrowalk.ftms._wire import STRUCT_CODES, Field

if TYPE_CHECKING:
    from retrowalk.ftms._readers import Decoder, ValuesReader

MORE_DATA: Final = 0x0001  # flag bit 0: speed absent, more parts follow
PACE_BITS: Final = (1 << 5) | (1 << 6)

_NA16: Final = frozenset({0xFFFF})
_NA_S16: Final = frozenset({0x7FFF})

# The one declaration of the wire format (FTMS 1.0): (flag bit, fields in wire order).
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

FTMS_PACE: Final = 1  # bytes per pace field in FTMS 1.0
GSS_PACE: Final = 2  # bytes per pace field in the GATT Specification Supplement


@dataclass(frozen=True, slots=True)
class Layout:
    """One reading of a flags value: its fields in wire order and their compiled struct."""

    flags: int
    speed: bool  # Instantaneous Speed present
    pace_width: int  # FTMS_PACE or GSS_PACE (FTMS_PACE when no pace bit is set)
    fields: tuple[Field, ...]
    unreported: frozenset[str]  # fields read to keep the offsets, reported as absent
    length: int
    packer: struct.Struct

    @property
    def label(self) -> str:
        """Return how this layout reads the doubtful parts of its flags, for a reason."""
        parts = []
        if self.flags & PACE_BITS:
            parts.append(
                "uint8 pace (FTMS 1.0)"
                if self.pace_width == FTMS_PACE
                else "uint16 pace (GATT Specification Supplement)"
            )
        if self.flags & MORE_DATA:
            parts.append("a speed although More Data is set" if self.speed else "no speed")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Reading:
    """How one notification (flags and length) is read, and what its length says of it."""

    layout: Layout
    size: int  # of the whole notification, flags included
    more_data: bool  # a part without speed: more parts follow
    truncated: bool
    ambiguous: tuple[str, ...]
    doubtful: frozenset[str]  # attributes another fitting layout reads differently
    decode: Decoder  # bytes -> TreadmillData
    values: ValuesReader  # bytes -> the present values by attribute (for merging parts)

    def compiled(self) -> Reading:
        """Return this reading with compiled readers (same values, several times faster)."""
        decode, values = compile_reader(
            self.layout.fields,
            self.layout.packer,
            self.layout.unreported,
            available=self.size - 2,
            ambiguous=self.ambiguous,
            doubtful=self.doubtful,
        )
        return replace(self, decode=decode, values=values)


_LAYOUTS: dict[tuple[int, bool, int], Layout] = {}
# Compiled readings by flags | size << 16, filled by `reading` (read directly on the decoder's
# hot path), and readings not yet seen COMPILE_AFTER times with how often they were.
READINGS: dict[int, Reading] = {}
_WARMING: dict[int, tuple[Reading, int]] = {}
_CACHE_LIMIT: Final = 4096
# Compiling costs a few hundred microseconds, so only what repeats is compiled: a machine sends
# one to three layouts thousands of times, garbage rarely repeats.
COMPILE_AFTER: Final = 3


def layout(flags: int, *, speed: bool | None = None, pace_width: int = FTMS_PACE) -> Layout:
    """Return the (cached) layout of `flags`; speed defaults to what bit 0 says."""
    if speed is None:
        speed = not flags & MORE_DATA
    key = (flags, speed, pace_width)
    found = _LAYOUTS.get(key)
    if found is not None:
        return found
    fields: list[Field] = []
    unreported: set[str] = set()
    for bit, group in GROUPS:
        if (bit == 0 and speed) or (bit != 0 and flags >> bit & 1):
            for f in group:
                if bit in {5, 6} and pace_width == GSS_PACE:
                    f = replace(f, wire="u16")  # noqa: PLW2901 - the Supplement's width
                    unreported.add(f.name)
                fields.append(f)
    codes = "".join(STRUCT_CODES[f.wire] for f in fields)
    found = Layout(
        flags,
        speed,
        pace_width,
        tuple(fields),
        frozenset(unreported),
        sum(f.size for f in fields),
        struct.Struct("<" + codes),
    )
    if len(_LAYOUTS) < _CACHE_LIMIT:
        _LAYOUTS[key] = found
    return found


def reading(flags: int, size: int) -> Reading:
    """Return the (cached) reading of a notification of `size` bytes starting with `flags`."""
    key = flags | size << 16
    found = READINGS.get(key)
    if found is not None:
        return found
    warming = _WARMING.get(key)
    found, uses = (_resolve(flags, size), 1) if warming is None else (warming[0], warming[1] + 1)
    if uses >= COMPILE_AFTER and len(READINGS) < _CACHE_LIMIT:
        found = found.compiled()
        READINGS[key] = found
        _WARMING.pop(key, None)
    else:
        if len(_WARMING) >= _CACHE_LIMIT:
            _WARMING.clear()  # garbage filled it: start counting afresh
        _WARMING[key] = (found, uses)
    return found


def _candidates(flags: int) -> list[Layout]:
    """Return the layouts the flags allow, most preferred first."""
    speeds = (False, True) if flags & MORE_DATA else (True,)
    widths = (FTMS_PACE, GSS_PACE) if flags & PACE_BITS else (FTMS_PACE,)
    return [layout(flags, speed=s, pace_width=w) for s in speeds for w in widths]


def _resolve(flags: int, size: int) -> Reading:
    """Choose the layout the bytes fit (module docstring) and compile its reader."""
    data_bytes = size - 2
    candidates = _candidates(flags)
    exact = [c for c in candidates if c.length == data_bytes]
    over = [c for c in candidates if c.length < data_bytes]
    fitting = exact or over
    ambiguous: tuple[str, ...] = ()
    doubtful: frozenset[str] = frozenset()
    if fitting:
        chosen = fitting[0]
        if len(fitting) > 1:
            doubtful = _differing(chosen, fitting[1:])
            how = "exactly" if exact else "with bytes over"
            others = "".join(f"; not as {c.label}" for c in fitting[1:])
            reason = (
                f"{data_bytes} data bytes fit {len(fitting)} layouts {how}: read as "
                f"{chosen.label}{others}"
            )
            ambiguous = (reason,)
        truncated = False
    else:
        chosen = candidates[0]
        truncated = True
        if flags & PACE_BITS and data_bytes > _pace_offset(chosen):
            reason = (
                f"{data_bytes} data bytes are fewer than any layout needs ({chosen.length} "
                "or more) and the pace width cannot be told: read as FTMS 1.0's uint8"
            )
            ambiguous = (reason,)
            doubtful = frozenset(
                f.name for f in chosen.fields if _offset_of(chosen, f.name) >= _pace_offset(chosen)
            )
    decode, values = interpret_reader(
        chosen.fields,
        chosen.unreported,
        available=data_bytes,
        ambiguous=ambiguous,
        doubtful=doubtful,
    )
    more = bool(flags & MORE_DATA) and not chosen.speed
    return Reading(chosen, size, more, truncated, ambiguous, doubtful, decode, values)


def _differing(chosen: Layout, others: list[Layout]) -> frozenset[str]:
    """Return the attributes of `chosen` some other layout reads elsewhere, or not at all."""
    mine = _placed(chosen)
    doubtful: set[str] = set()
    for other in others:
        theirs = _placed(other)
        doubtful.update(name for name, at in mine.items() if theirs.get(name) != at)
        doubtful.update(name for name in theirs if name not in mine)
    return frozenset(doubtful)


def _placed(chosen: Layout) -> dict[str, tuple[int, str]]:
    """Return each attribute's (offset, wire format) in `chosen`."""
    placed: dict[str, tuple[int, str]] = {}
    offset = 0
    for f in chosen.fields:
        placed[f.name] = (offset, f.wire)
        offset += f.size
    return placed


def _offset_of(chosen: Layout, name: str) -> int:
    return _placed(chosen)[name][0]


def _pace_offset(chosen: Layout) -> int:
    """Return the offset of the first pace field among the data bytes."""
    offset = 0
    for f in chosen.fields:
        if f.name in {"instantaneous_pace_km_min", "average_pace_km_min"}:
            break
        offset += f.size
    return offset


__all__ = [
    "COMPILE_AFTER",
    "FTMS_PACE",
    "GROUPS",
    "GSS_PACE",
    "MORE_DATA",
    "PACE_BITS",
    "READINGS",
    "Layout",
    "Reading",
    "layout",
    "reading",
]
