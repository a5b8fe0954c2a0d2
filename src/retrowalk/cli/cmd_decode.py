"""`retrowalk decode`: turn FTMS bytes (from a log, nRF Connect, a btsnoop) into readable JSON.

Treadmill Data records say `ambiguous` (the bytes fit more than one layout: which was read and
why) and, given the machine's Feature and ranges as read from it, `suspect` (values those
declarations contradict), as retrowalk itself sees them.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, TypeVar

from retrowalk.errors import EXIT_OK, ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")

_DESCRIPTION = """\
Decode the bytes of an FTMS characteristic (or the FTMS advertising service data)
and print them as JSON, with the unit in every key. Several HEX arguments for
treadmill-data are the More-Data parts of one record and are merged; for the
others they are joined. Control-point bytes starting with 80 are a response,
else a request.

A Treadmill Data record whose bytes fit more than one layout says which it read
under "ambiguous". Given the machine's own --feature, --speed-range or
--incline-range bytes, the values they contradict are listed under "suspect"."""
_EXAMPLES = """\
examples:
  retrowalk decode treadmill-data 84242c0131000002000000003d005b0000
  retrowalk decode 2ad9 80:02:05
  retrowalk decode treadmill-data 19002c011400050000 --incline-range e2ff96000500"""

_NAMES = (
    "treadmill-data, control-point, status, training-status, feature, speed-range, "
    "incline-range, advertisement"
)
_SEPARATORS = (" ", ":", "-", "_", "\t", "\n")
# A raw advertising structure: length, type 0x16 (service data, 16-bit UUID), UUID 0x1826.
_AD_PREFIX = bytes([0x16, 0x26, 0x18])
_UUID_PREFIX = bytes([0x26, 0x18])


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk decode`."""
    p = subparsers.add_parser(
        "decode",
        help="decode FTMS bytes into JSON",
        description=_DESCRIPTION,
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "characteristic",
        metavar="CHARACTERISTIC",
        help=f"a name ({_NAMES}), a short UUID (2acd) or a full UUID",
    )
    p.add_argument(
        "hex",
        nargs="+",
        metavar="HEX",
        help="bytes in hex; spaces, colons and dashes are allowed (quote them)",
    )
    p.add_argument("--compact", action="store_true", help="print each record on one line")
    machine = p.add_argument_group(
        "the machine's declarations (treadmill-data only)",
        "bytes as read from the machine's characteristics; values they contradict are suspect",
    )
    machine.add_argument("--feature", metavar="HEX", help="Fitness Machine Feature (2acc), 8 bytes")
    machine.add_argument(
        "--speed-range", metavar="HEX", help="Supported Speed Range (2ad4), 6 bytes"
    )
    machine.add_argument(
        "--incline-range", metavar="HEX", help="Supported Inclination Range (2ad5), 6 bytes"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Decode and print; ProtocolError/ConfigError for bytes that are not what was named."""
    from retrowalk.ftms.registry import lookup, to_json  # noqa: PLC0415 - lazy CLI

    characteristic = lookup(args.characteristic)
    chunks = [parse_hex(text) for text in args.hex]
    indent = None if args.compact else 2
    mark = _declarations(args, characteristic.name)
    if characteristic.name == "treadmill-data" and not all(len(c) == 1 for c in chunks):
        records = [(mark(record), parts) for record, parts in _assemble(chunks)]
        if len(records) > 1:
            print(
                f"retrowalk: the {len(chunks)} parts hold {len(records)} records "
                "(a field repeats, or a part without speed came last)",
                file=sys.stderr,
            )
        for record, parts in records:
            fields: dict[str, object] = {"characteristic": characteristic.name}
            if parts > 1:
                fields["parts"] = parts
            print(json.dumps({**fields, **to_json(record)}, indent=indent))
        return EXIT_OK
    data = b"".join(chunks)  # one record: pasted byte by byte, or in pieces
    if characteristic.name == "advertisement":
        data = _strip_advertising_header(data)
    record = mark(characteristic.decode(data))
    out: dict[str, object] = {"characteristic": characteristic.name}
    if characteristic.name == "control-point":
        out["kind"] = "response" if data[:1] == b"\x80" else "request"
    out.update(to_json(record))
    print(json.dumps(out, indent=indent))
    return EXIT_OK


def parse_hex(text: str, what: str = "HEX") -> bytes:
    """Return the bytes of hex text with optional separators and 0x prefix; ConfigError if not."""
    cleaned = text.strip()
    if cleaned[:2].lower() == "0x":
        cleaned = cleaned[2:]
    for separator in _SEPARATORS:
        cleaned = cleaned.replace(separator, "")
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise ConfigError(
            f"{what} {text!r} is not hex bytes: use pairs of 0-9/a-f, e.g. 84 24 96 00 or "
            "84:24:96:00"
        ) from None


def _declarations(args: argparse.Namespace, name: str) -> Callable[[Any], Any]:
    """Return what marks a record suspect against the declarations given (identity if none)."""
    given = {
        option: getattr(args, option.replace("-", "_"))
        for option in ("feature", "speed-range", "incline-range")
    }
    if all(value is None for value in given.values()):
        return lambda record: record
    if name != "treadmill-data":
        options = [f"--{o}" for o, v in given.items() if v is not None]
        verb = "applies" if len(options) == 1 else "apply"
        raise ConfigError(f"{', '.join(options)} {verb} to treadmill-data only, not to {name}")
    from retrowalk.ftms.feature import decode_features  # noqa: PLC0415 - lazy CLI
    from retrowalk.ftms.ranges import decode_incline_range, decode_speed_range  # noqa: PLC0415
    from retrowalk.ftms.suspect import mark_suspect  # noqa: PLC0415

    def read(option: str, decode: Callable[[bytes], T]) -> T | None:
        text = given[option]
        return None if text is None else decode(parse_hex(text, f"--{option}"))

    features = read("feature", decode_features)
    speed_range = read("speed-range", decode_speed_range)
    incline_range = read("incline-range", decode_incline_range)
    return lambda record: mark_suspect(
        record, features=features, speed_range=speed_range, incline_range=incline_range
    )


def _assemble(chunks: list[bytes]) -> list[tuple[Any, int]]:
    """Return (record, number of parts) for the parts given, merged as a client would."""
    from retrowalk.ftms.assembler import TreadmillDataAssembler  # noqa: PLC0415 - lazy CLI

    # No limit but the content: the parts given are all there is.
    assembler = TreadmillDataAssembler(max_parts=len(chunks) + 1, max_age_s=1e9)
    out: list[tuple[Any, int]] = []
    held = 0
    for chunk in chunks:
        held += 1
        record = assembler.feed(chunk, now=0.0)
        if record is not None:
            # a repeated field gives out the parts held before this one
            done = held if assembler.deadline is None else held - 1
            out.append((record, done))
            held -= done
    rest = assembler.flush()
    if rest is not None:
        out.append((rest, held))
    return out


def _strip_advertising_header(data: bytes) -> bytes:
    """Return the service data after the UUID if the raw AD structure or the UUID was pasted."""
    if len(data) >= 7 and data[1:4] == _AD_PREFIX and data[0] == len(data) - 1:
        return data[4:]
    if len(data) >= 5 and data[:2] == _UUID_PREFIX:
        return data[2:]
    return data
