"""Compiled Treadmill Data writing: a record's flags, and its values to its layout's bytes.

The simulator and the virtual treadmill encode a record per notification, thousands an hour.
Like the readers (`_readers`), the writer of a flags layout is the Python source of one small
function written from the `Field` declarations and compiled once: each field is one statement
(the "not available" marker for None, else the scaled integer and its range check) and one
struct call packs them all. The source holds only attribute names from the declarations,
integer literals and local names. A value out of range is refused by `Field.to_raw`, which
says why; so is None for a field with no "not available" code. The flags function that picks
the layout is compiled the same way, a test per field group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn, Protocol, cast

from retrowalk.ftms._wire import BOUNDS, to_int

if TYPE_CHECKING:
    import struct

    from retrowalk.ftms._wire import Field
    from retrowalk.ftms.models import TreadmillData


class FlagsOf(Protocol):
    """Returns the flags of a notification holding every present field of a record."""

    def __call__(self, record: TreadmillData, /) -> int: ...


class Writer(Protocol):
    """Writes a record's fields of one layout, after the given flags bytes."""

    def __call__(self, record: TreadmillData, /) -> bytes: ...


def compile_writer(
    fields: tuple[Field, ...], packer: struct.Struct, head: bytes, characteristic: str
) -> Writer:
    """Return the writer of `fields` (in wire order, packed by `packer`) after `head`."""
    lines = ["def write(record):", "    get = record.__dict__"]
    values: list[str] = []
    for index, f in enumerate(fields):
        name = f"r{index}"
        lines.append(f"    v = get[{f.name!r}]")
        marker = f.encode_marker
        absent = f"_refuse({index}, None)" if marker is None else f"{name} = {marker}"
        lines.append(f"    if v is None: {absent}")
        low, high = BOUNDS[f.wire]
        refused = f"{name} < {low} or {name} > {high}"
        if f.not_available:
            refused += f" or {name} in {tuple(sorted(f.not_available))!r}"
        lines += [
            "    else:",
            f"        {name} = _to_int(v, {f.divisor})",
            f"        if {refused}: _refuse({index}, v)",
        ]
        values += [f"{name} & 0xFFFF", f"{name} >> 16"] if f.wire == "u24" else [name]
    lines.append(f"    return _head + _pack({', '.join(values)})")

    def refuse(index: int, value: float | None) -> NoReturn:
        fields[index].to_raw(value, characteristic)  # raises, saying what is allowed
        msg = f"{fields[index].name}={value!r} passed its range check twice"  # pragma: no cover
        raise AssertionError(msg)  # pragma: no cover

    namespace: dict[str, object] = {
        "_to_int": to_int,
        "_pack": packer.pack,
        "_head": head,
        "_refuse": refuse,
    }
    source = "\n".join(lines) + "\n"
    exec(compile(source, "<treadmill data writer>", "exec"), namespace)  # noqa: S102 - source built above from the Field declarations only
    return cast("Writer", namespace["write"])


def compile_flags(groups: tuple[tuple[int, tuple[Field, ...]], ...], inverted: int) -> FlagsOf:
    """Return the flags function of `groups` (flag bit, fields); `inverted` bits are flipped."""
    lines = ["def flags(record):", "    get = record.__dict__", "    f = 0"]
    for bit, group in groups:
        present = " or ".join(f"get[{f.name!r}] is not None" for f in group)
        lines.append(f"    if {present}: f |= {1 << bit}")
    lines.append(f"    return f ^ {inverted}")
    namespace: dict[str, object] = {}
    source = "\n".join(lines) + "\n"
    exec(compile(source, "<treadmill data flags>", "exec"), namespace)  # noqa: S102 - source built above from the Field declarations only
    return cast("FlagsOf", namespace["flags"])


__all__ = ["FlagsOf", "Writer", "compile_flags", "compile_writer"]
