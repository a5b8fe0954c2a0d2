"""The simulator's pace: how many times faster than real time its treadmill runs.

`retrowalk sim --speedup N` starts at N; a central writes its own pace to the simulator's pace
characteristic (retrowalk.ftms.device_info) and the treadmill runs at it until that central
leaves, then returns to N. Device Information's Software Revision always says the pace now.
`on_change(factor)` is the process's hook that speeds its event loop up or down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrowalk.errors import ProtocolError
from retrowalk.ftms.device_info import decode_pace, encode_pace
from retrowalk_sim.gatt import AttError

if TYPE_CHECKING:
    from collections.abc import Callable

ATT_VALUE_NOT_ALLOWED = 0x13


class Pace:
    """The served treadmill's time scale (1.0 unless a process runs it faster)."""

    def __init__(self, factor: float = 1.0) -> None:
        self.default = factor
        self.factor = factor
        self.on_change: Callable[[float], None] | None = None

    def read(self) -> bytes:
        """Return the pace as its characteristic reads."""
        return encode_pace(self.factor)

    def write(self, data: bytes) -> None:
        """Take a central's pace; ATT error 0x13 for anything but a number in (0, 100]."""
        try:
            factor = decode_pace(data)
        except ProtocolError as exc:
            raise AttError(ATT_VALUE_NOT_ALLOWED, str(exc)) from None
        self._set(factor)

    def reset(self) -> None:
        """The central left: back to the process's own pace."""
        self._set(self.default)

    def _set(self, factor: float) -> None:
        if factor != self.factor:
            self.factor = factor
            if self.on_change is not None:
                self.on_change(factor)
