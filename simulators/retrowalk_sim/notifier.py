"""Treadmill Data as a simulated treadmill sends it: cadence, silence, and fitting the MTU.

Public API: `DataNotifier(profile, timers, record, port, send)`, composed into a
`TreadmillModel`: `start(now)` begins the cadence (`profile.notify_hz`, on whole multiples of its
period of loop time); `now()` reports at once (a reached value shows without waiting), the
cadence keeping its grid; `silence(seconds)` sends nothing for that long (the link stays up). A
record too big for the link's payload is split over More Data parts, or cut to 20 bytes on a
`truncate` profile; an unchanged record is not re-encoded.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from retrowalk.ftms.models import TREADMILL_DATA_UUID, TreadmillData
from retrowalk.ftms.treadmill_data import encode_treadmill_data
from retrowalk_sim.split import split_treadmill_data

if TYPE_CHECKING:
    from collections.abc import Callable

    from retrowalk_sim.gatt import Port
    from retrowalk_sim.profiles import MachineProfile
    from retrowalk_sim.timers import Timers

__all__ = ["TRUNCATE_AT", "DataNotifier"]

TRUNCATE_AT = 20  # machines that truncate cut every record to the default 20-byte payload


class DataNotifier:
    """Sends one treadmill's Treadmill Data records on its cadence."""

    def __init__(
        self,
        profile: MachineProfile,
        timers: Timers,
        record: Callable[[float], TreadmillData],
        port: Callable[[], Port | None],
        send: Callable[[str, bytes], object],
    ) -> None:
        self._profile = profile
        self._timers = timers
        self._record = record
        self._port = port
        self._send = send
        self._period = 1.0 / profile.notify_hz
        self._next = 0.0
        self._silent_until = -float("inf")
        self._last: TreadmillData | None = None
        self._parts: list[bytes] = []
        self._fits: dict[int, bool] = {}

    def start(self, now: float) -> None:
        """Begin the cadence: records go out on whole multiples of the period of loop time.

        A real machine's phase is its own; on the clock's grid, a fast-mode run's periodic
        timers (the client's watch) share passes of the event loop instead of each adding one.
        """
        self._next = (math.floor(now / self._period) + 1) * self._period
        self._timers.set("tick", self._next, self._tick)

    def now(self) -> None:
        """Report at once; the cadence goes on from the next multiple of its period."""
        now = self._timers.now()
        self.start(now)
        self._emit(now)

    def silence(self, seconds: float) -> None:
        """Send no Treadmill Data for `seconds`."""
        self._silent_until = max(self._silent_until, self._timers.now() + seconds)

    def _tick(self) -> None:
        now = self._timers.now()
        self._next += self._period
        if self._next <= now:
            self._next = now + self._period
        self._timers.set("tick", self._next, self._tick)
        self._emit(now)

    def _emit(self, now: float) -> None:
        port = self._port()
        if port is None or now < self._silent_until or not port.subscribed(TREADMILL_DATA_UUID):
            return
        record = self._record(now)
        if record != self._last:
            self._last = record
            self._parts = self._encode(record, port.max_payload)
        for part in self._parts:
            self._send(TREADMILL_DATA_UUID, part)

    def _encode(self, record: TreadmillData, max_payload: int) -> list[bytes]:
        p = self._profile
        if p.split_payload is not None:
            return split_treadmill_data(record, max_payload=min(p.split_payload, max_payload))
        if p.oversize == "truncate":
            return [encode_treadmill_data(record)[: min(TRUNCATE_AT, max_payload)]]
        # A profile always sends the same fields, so one record's size tells whether all fit.
        fits = self._fits.get(max_payload)
        if fits is False:
            return split_treadmill_data(record, max_payload=max_payload)
        data = encode_treadmill_data(record)
        if fits is None:
            self._fits[max_payload] = fits = len(data) <= max_payload
        return [data] if fits else split_treadmill_data(record, max_payload=max_payload)
