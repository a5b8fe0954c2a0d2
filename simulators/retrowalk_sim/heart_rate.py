"""A simulated heart-rate strap (Heart Rate Service 0x180D) that follows a treadmill's workload.

Public API:
- `HeartRateStrap(linked: TreadmillModel | None, *, seed=1, resting_bpm=65, notify_hz=1.0,
  dropout_every_s=240.0, dropout_s=6.0)`: a `SimDevice`; `SimWorld.add_hr_strap(linked_to=...)`
  builds one. Heart Rate Measurement (0x2A37, notify) carries the standard bytes: flags 0x16
  (uint8 bpm, skin contact supported and detected, RR intervals present), bpm, RR in 1/1024 s,
  so pycycling's HeartRateService parses them. Body Sensor Location (0x2A38) reads "chest".
- `bpm` (the current heart rate), `dropout(seconds)`: lose skin contact now (no notifications);
  `hold_bpm(bpm)`: report exactly `bpm` from now on (None: follow the workload again).

The heart rate approaches 65 + 14 * (MET - 1) with a 25 s time constant, drifts up 0.3 bpm per
minute of work (cardiac drift) and jitters by about 1 bpm (seeded, so runs repeat). Every
`dropout_every_s` the strap goes silent for `dropout_s`, as straps do when contact is lost.
"""

from __future__ import annotations

import asyncio
import math
import random
import struct
from typing import TYPE_CHECKING

from retrowalk_sim.gatt import CharSpec, ServiceSpec, uuid16
from retrowalk_sim.physics import kcal_per_min

if TYPE_CHECKING:
    from retrowalk_sim.gatt import Port
    from retrowalk_sim.model import TreadmillModel

HEART_RATE_SERVICE_UUID = uuid16(0x180D)
HEART_RATE_MEASUREMENT_UUID = uuid16(0x2A37)
BODY_SENSOR_LOCATION_UUID = uuid16(0x2A38)
FLAGS = 0x16  # uint8 value, sensor contact supported + detected, RR intervals present
TIME_CONSTANT_S = 25.0
DRIFT_BPM_PER_S = 0.3 / 60.0
_MET_KCAL_PER_MIN = 3.5 * 70.0 / 200.0


class HeartRateStrap:
    """A chest strap worn by the person walking on `linked` (or standing, when None)."""

    def __init__(  # noqa: PLR0913 - keyword-only knobs
        self,
        linked: TreadmillModel | None,
        *,
        seed: int = 1,
        resting_bpm: float = 65.0,
        notify_hz: float = 1.0,
        dropout_every_s: float = 240.0,
        dropout_s: float = 6.0,
    ) -> None:
        self.linked = linked
        self.resting_bpm = resting_bpm
        self.bpm = resting_bpm
        self._random = random.Random(seed)  # noqa: S311 - jitter, not security
        self._period = 1.0 / notify_hz
        self._dropout_every_s = dropout_every_s
        self._dropout_s = dropout_s
        self._drift = 0.0
        self._silent_until = -math.inf
        self._held: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._port: Port | None = None
        self._next = 0.0
        self._started = 0.0

    def services(self) -> list[ServiceSpec]:
        """Return the Heart Rate Service."""
        return [
            ServiceSpec(
                HEART_RATE_SERVICE_UUID,
                (
                    CharSpec(HEART_RATE_MEASUREMENT_UUID, ("notify",)),
                    CharSpec(BODY_SENSOR_LOCATION_UUID, ("read",), read=lambda: b"\x01"),
                ),
            )
        ]

    def service_data(self) -> dict[str, bytes]:
        """Return no service data (a strap advertises only its service UUID)."""
        return {}

    def advertised_services(self) -> list[str]:
        """Return the Heart Rate Service UUID."""
        return [HEART_RATE_SERVICE_UUID]

    def attach(self, port: Port) -> None:
        """A central connected."""
        self._port = port

    def detach(self) -> None:
        """The central is gone."""
        self._port = None

    def start(self) -> None:
        """Start beating on the running loop (idempotent)."""
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._started = self._next = self._loop.time()
        self._schedule()

    def close(self) -> None:
        """Stop the timer."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def dropout(self, seconds: float) -> None:
        """Lose skin contact for `seconds`: no measurements are sent."""
        if self._loop is not None:
            self._silent_until = max(self._silent_until, self._loop.time() + seconds)

    def hold_bpm(self, bpm: int | None) -> None:
        """Report exactly `bpm` from the next beat on (None: follow the workload again)."""
        self._held = bpm

    def _schedule(self) -> None:
        assert self._loop is not None
        self._next += self._period
        self._handle = self._loop.call_at(self._next, self._beat)

    def _beat(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        self._schedule()
        target = self._target()
        self.bpm += (target - self.bpm) * (1.0 - math.exp(-self._period / TIME_CONSTANT_S))
        every = self._dropout_every_s
        if every > 0 and (now - self._started) % every < self._period and now > self._started + 1:
            self._silent_until = max(self._silent_until, now + self._dropout_s)
        port = self._port
        if port is None or now < self._silent_until:
            return
        shown = max(30, min(220, round(self.bpm + self._random.uniform(-1.0, 1.0))))
        if self._held is not None:
            shown = self._held
        rr = round(60.0 / shown * 1024)
        port.send(HEART_RATE_MEASUREMENT_UUID, struct.pack("<BBH", FLAGS, shown, rr))

    def _target(self) -> float:
        model = self.linked
        if model is None:
            return self.resting_bpm
        speed, incline = model.speed_kmh, model.incline_pct
        met = kcal_per_min(speed, incline) / _MET_KCAL_PER_MIN
        if speed > 0.5:
            self._drift += DRIFT_BPM_PER_S * self._period
        return self.resting_bpm + 14.0 * max(met - 1.0, 0.0) + self._drift
