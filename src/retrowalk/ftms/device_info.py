"""The Device Information service (0x180A): who made the machine, and the simulator's name tag.

Not part of FTMS, but every FTMS treadmill seen so far serves it beside FTMS, and it is how a
central tells the retrowalk simulator from a real belt: the simulator names itself as its
manufacturer (`SIMULATOR_MANUFACTURER`) and writes its time scale into the Software Revision
(`simulator_software_revision(60)` is "retrowalk simulator, time x60"). `retrowalk run --yes`
and `--speedup` are accepted against a peer only when its Device Information says so. The
simulator's own service holds its pace, which a runner at another `--speedup` writes.

Public API: the service and characteristic UUIDs, `DeviceInfo` (what was read; each field None
when missing), `decode_text` (UTF-8, NUL padding dropped, never raises), the simulator's tag,
`encode_pace`/`decode_pace`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from retrowalk.errors import ProtocolError

DEVICE_INFORMATION_UUID = "0000180a-0000-1000-8000-00805f9b34fb"
MANUFACTURER_NAME_UUID = "00002a29-0000-1000-8000-00805f9b34fb"
MODEL_NUMBER_UUID = "00002a24-0000-1000-8000-00805f9b34fb"
SOFTWARE_REVISION_UUID = "00002a28-0000-1000-8000-00805f9b34fb"

SIMULATOR_MANUFACTURER = "retrowalk simulator"
# The simulator's own service: its pace, read and written as ASCII ("60"): a runner at
# `--speedup 60` writes 60 and the simulator runs 60 times faster until that central leaves.
SIMULATOR_SERVICE_UUID = "5257534d-0001-4c39-9a52-72657472f001"
SIMULATOR_PACE_UUID = "5257534d-0002-4c39-9a52-72657472f001"
# Beyond this the radio's own timing (connection events, scans, TCP) no longer keeps up with
# the treadmill's time: a notification every 10 ms of real time at a 1 Hz machine.
MAX_PACE = 100.0
_TIME = re.compile(r"\btime x(\d+(?:\.\d+)?)\b")
_MAX_TEXT = 64  # longer strings are cut: they end up on screen and in the session log


@dataclass(frozen=True)
class DeviceInfo:
    """What a machine says of itself in its Device Information service."""

    manufacturer: str | None = None
    model: str | None = None
    software: str | None = None

    @property
    def is_simulator(self) -> bool:
        """Return whether the peer names itself as retrowalk's simulator."""
        return self.manufacturer == SIMULATOR_MANUFACTURER

    @property
    def time_factor(self) -> float | None:
        """Return the simulator's time scale (1.0 when it gives none); None for a real machine."""
        if not self.is_simulator:
            return None
        found = _TIME.search(self.software or "")
        factor = float(found.group(1)) if found else 1.0
        return factor if math.isfinite(factor) and factor > 0 else 1.0

    def describe(self) -> str:
        """Return the manufacturer and model in one phrase ("unknown maker" when neither)."""
        return " ".join(p for p in (self.manufacturer, self.model) if p) or "unknown maker"


def simulator_software_revision(time_factor: float) -> str:
    """Return the Software Revision the simulator serves at `time_factor` times real time."""
    return f"{SIMULATOR_MANUFACTURER}, time x{time_factor:g}"


def encode_pace(factor: float) -> bytes:
    """Return the simulator's pace as written on its pace characteristic."""
    return f"{factor:g}".encode()


def decode_pace(data: bytes) -> float:
    """Return the pace a central wrote; ProtocolError unless a number above 0, at most 100."""
    try:
        factor = float(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError("simulator pace", data, "not a number in ASCII") from None
    if not (math.isfinite(factor) and 0 < factor <= MAX_PACE):
        raise ProtocolError("simulator pace", data, f"not above 0 and at most {MAX_PACE:g}")
    return factor


def decode_text(data: bytes) -> str:
    """Return a UTF-8 string characteristic as text (NUL padding and bad bytes dropped)."""
    text = data.split(b"\x00", 1)[0].decode("utf-8", errors="replace").replace("\ufffd", "")
    return "".join(c for c in text if c.isprintable()).strip()[:_MAX_TEXT]
