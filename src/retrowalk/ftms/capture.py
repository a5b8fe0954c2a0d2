"""A machine captured into a file: what it declares and every byte it sent, with its timing.

`retrowalk probe -o machine.json` writes one; `--sim machine.json` turns one into a simulated
machine (retrowalk_sim.from_capture). The public captures the tests hold (tests/ftms/data) are
shipped in this form too, with no timing where the source had none.

Public API: `Capture` (the file, version 1), `Characteristic`, `Packet`, `load_capture(path)`
(ConfigError naming the file and each bad field), `dump_capture(capture)` (JSON text). Bytes are
lower-case hex strings. A capture holds no Bluetooth address unless the person asked for one.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from retrowalk.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

FORMAT: Final = "retrowalk-capture"
VERSION: Final = 1
Direction = Literal["notify", "indicate", "write", "read"]
_MAX_BYTES = 512  # the largest ATT value


def _hex(value: str) -> str:
    """Return `value` as canonical hex (spaces allowed in files); ValueError otherwise."""
    text = value.replace(" ", "").lower()
    try:
        data = bytes.fromhex(text)
    except ValueError:
        raise ValueError("must be bytes as hex digits, e.g. '0c 16 00'") from None
    if len(data) > _MAX_BYTES:
        raise ValueError(f"holds {len(data)} bytes; an ATT value has at most {_MAX_BYTES}")
    return data.hex()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Characteristic(_Strict):
    """One characteristic found on the machine, and the value a read returned (if readable)."""

    uuid: str
    properties: tuple[str, ...] = ()
    value: str | None = None

    @field_validator("value")
    @classmethod
    def _value(cls, value: str | None) -> str | None:
        return None if value is None else _hex(value)

    @property
    def data(self) -> bytes | None:
        """Return the value read, as bytes."""
        return None if self.value is None else bytes.fromhex(self.value)


class Packet(_Strict):
    """One value on the air: `t` seconds after the recording began (None: not timed)."""

    t: Annotated[float, Field(ge=0)] | None = None
    uuid: str
    direction: Direction
    hex: str

    @field_validator("hex")
    @classmethod
    def _bytes(cls, value: str) -> str:
        return _hex(value)

    @property
    def data(self) -> bytes:
        """Return the packet's bytes."""
        return bytes.fromhex(self.hex)


class DeviceInformation(_Strict):
    """The Device Information strings (each None when the machine has none)."""

    manufacturer: str | None = None
    model: str | None = None
    software: str | None = None


class Capture(_Strict):
    """One machine, as captured."""

    format: Literal["retrowalk-capture"] = FORMAT
    version: Literal[1] = VERSION
    name: str = Field(min_length=1, max_length=64)
    source: str  # who captured it how: "retrowalk probe 0.1.0" or a public log with its address
    address: str | None = None  # only when the person asked for it (--with-address)
    device_info: DeviceInformation = DeviceInformation()
    characteristics: tuple[Characteristic, ...] = ()
    traffic: tuple[Packet, ...] = ()
    control_check: bool = False  # the traffic includes the low-speed control check
    notes: tuple[str, ...] = ()

    def characteristic(self, uuid: str) -> Characteristic | None:
        """Return the characteristic `uuid`, if the machine has it."""
        return next((c for c in self.characteristics if c.uuid == uuid), None)

    def packets(self, uuid: str, direction: Direction | None = None) -> list[Packet]:
        """Return the traffic of one characteristic, in order (one direction, if given)."""
        return [p for p in self.traffic if p.uuid == uuid and direction in (None, p.direction)]


def load_capture(path: Path) -> Capture:
    """Read a capture file; ConfigError naming the file and every bad field."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the capture: {exc}") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: line {exc.lineno}: not JSON: {exc.msg}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ConfigError(
            f'{path}: not a retrowalk capture (it needs "format": "{FORMAT}"); '
            "`retrowalk probe -o FILE` writes one"
        )
    try:
        return Capture.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


def dump_capture(capture: Capture) -> str:
    """Return the capture as the JSON text of a file."""
    return json.dumps(capture.model_dump(mode="json"), indent=1, ensure_ascii=False) + "\n"
