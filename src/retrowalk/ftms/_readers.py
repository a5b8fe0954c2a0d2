"""Readers for one Treadmill Data layout: interpreted field by field, or compiled.

A notification is read by the layout its flags and length select (`treadmill_layout`). A layout
seen once or twice is read by `interpret_reader`, a loop over its `Field` declarations. One that
repeats, as every real machine's do, gets `compile_reader`: the Python source of two small
functions written from the same declarations and compiled once, the way `dataclasses` builds
`__init__`. Its struct unpacks every field in one call, and each value is one statement (scale,
"not available" marker) instead of a trip round a loop. The source holds only attribute names
from the declarations, integer literals and local names. Both readers give the same values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

from retrowalk.ftms.models import TREADMILL_FIELDS, TreadmillData

if TYPE_CHECKING:
    import struct

    from retrowalk.ftms._wire import Field


class Decoder(Protocol):
    """Reads one notification into a record (the caller has checked flags and length)."""

    def __call__(self, data: bytes, /) -> TreadmillData: ...


class ValuesReader(Protocol):
    """Reads one notification into its present values by attribute (markers left out)."""

    def __call__(self, data: bytes, /) -> dict[str, float | int]: ...


def compile_reader(  # noqa: PLR0913 - the layout's parts, keyword-only after three
    fields: tuple[Field, ...],
    packer: struct.Struct,
    unreported: frozenset[str],
    *,
    available: int,
    ambiguous: tuple[str, ...],
    doubtful: frozenset[str] = frozenset(),
) -> tuple[Decoder, ValuesReader]:
    """Return (decode, values) for `fields` read from `available` data bytes after the flags.

    Fields that do not fit whole in `available` bytes are absent and the record is truncated.
    """
    whole = _whole(fields, available)
    truncated = len(whole) < len(fields)
    if truncated:
        import struct  # noqa: PLC0415 - only truncated layouts need a second struct

        codes = packer.format[1 : 1 + _code_count(fields, len(whole))]
        packer = struct.Struct("<" + codes)
    targets, stores = _statements(whole, unreported)
    unpack = f"    {', '.join(targets)}, = _unpack(data, 2)\n" if targets else ""
    body = "".join(f"    {line}\n" for line in stores)
    source = (
        "def decode(data):\n"
        f"{unpack}"
        "    out = _template.copy()\n"
        f"{body}"
        "    record = _new(_cls)\n"
        "    _set(record, '__dict__', out)\n"
        "    return record\n"
        "def values(data):\n"
        f"{unpack}"
        "    out = {}\n"
        f"{body}"
        "    return out\n"
    )
    # Copying a filled dict and storing the present values is several times cheaper than a
    # dict display of every attribute (measured with bench/bench_decode.py).
    template = {
        **dict.fromkeys(TREADMILL_FIELDS),
        "truncated": truncated,
        "ambiguous": ambiguous,
        "suspect": (),
        "doubtful": doubtful,
    }
    namespace: dict[str, object] = {
        "_unpack": packer.unpack_from,
        "_new": object.__new__,
        "_set": object.__setattr__,  # a frozen dataclass: its whole __dict__ at once
        "_cls": TreadmillData,
        "_template": template,
    }
    exec(compile(source, "<treadmill data reader>", "exec"), namespace)  # noqa: S102 - source built above from the Field declarations only
    return cast("Decoder", namespace["decode"]), cast("ValuesReader", namespace["values"])


def interpret_reader(
    fields: tuple[Field, ...],
    unreported: frozenset[str],
    *,
    available: int,
    ambiguous: tuple[str, ...],
    doubtful: frozenset[str] = frozenset(),
) -> tuple[Decoder, ValuesReader]:
    """Return (decode, values) like `compile_reader`'s, reading one field at a time."""
    whole = tuple(_whole(fields, available))
    truncated = len(whole) < len(fields)

    def values(data: bytes) -> dict[str, float | int]:
        out: dict[str, float | int] = {}
        offset = 2
        for f in whole:
            if f.name not in unreported:
                value = f.to_domain(f.read(data, offset))
                if value is not None:
                    out[f.name] = value
            offset += f.size
        return out

    def decode(data: bytes) -> TreadmillData:
        return TreadmillData.from_values(
            values(data), truncated=truncated, ambiguous=ambiguous, doubtful=doubtful
        )

    return decode, values


def _whole(fields: tuple[Field, ...], available: int) -> list[Field]:
    """Return the leading fields that fit whole in `available` bytes."""
    whole: list[Field] = []
    used = 0
    for f in fields:
        if used + f.size > available:
            break
        whole.append(f)
        used += f.size
    return whole


def _code_count(fields: tuple[Field, ...], count: int) -> int:
    """Return how many struct format characters the first `count` fields take."""
    return sum(2 if f.wire == "u24" else 1 for f in fields[:count])


def _statements(fields: list[Field], unreported: frozenset[str]) -> tuple[list[str], list[str]]:
    """Return (unpack targets, statements storing each present value into `out`).

    A value that is a "not available" marker is not stored (None in a record, left out of the
    values); a field read only to keep the offsets is unpacked into `_`.
    """
    targets: list[str] = []
    stores: list[str] = []
    for index, f in enumerate(fields):
        name = f"v{index}"
        if f.name in unreported:
            targets.append("_")
            continue
        if f.wire == "u24":  # unpacked as uint16 + uint8, low word first
            targets += [name, name + "h"]
            raw = f"({name} | {name}h << 16)"
        else:
            targets.append(name)
            raw = name
        value = raw if f.divisor == 1 else f"{raw} / {f.divisor}"
        store = f"out[{f.name!r}] = {value}"
        if f.not_available:
            codes = sorted(f.not_available)
            test = f"{raw} != {codes[0]}" if len(codes) == 1 else f"{raw} not in {tuple(codes)!r}"
            store = f"if {test}: {store}"
        stores.append(store)
    return targets, stores


__all__ = ["Decoder", "ValuesReader", "compile_reader", "interpret_reader"]
