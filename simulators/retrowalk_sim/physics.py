"""Belt and incline motion as exact piecewise-linear ramps, and the walker's physiology.

Public API:
- `Ramp`: a value moving linearly toward a goal at a fixed rate; `at(t)`, `reach_time()`,
  `integral(ta, tb)` (exact), `retarget(t, goal, rate)`, `hold(t, value)`, `copy()`; an
  `on_change(ramp)` callback hears every retarget and hold (the ground-truth trace uses it).
- `Counters`: distance, elevation gain, elapsed time, energy and steps, advanced by `advance()`.
- `kcal_per_min(speed_kmh, incline_pct)`, `cadence_spm(speed_kmh)`: a 70 kg walker (ACSM).

Nothing here reads a clock: callers pass loop times, so the model runs in virtual time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

WALKER_MASS_KG = 70.0
MOVING_KMH = 0.05  # below this the belt counts as stopped


class Ramp:
    """A value that moves from `start` (at `t0`) toward `goal` at `rate` units per second."""

    __slots__ = ("_reach", "goal", "on_change", "rate", "start", "t0")

    def __init__(
        self,
        start: float,
        t0: float,
        goal: float,
        rate: float,
        on_change: Callable[[Ramp], None] | None = None,
    ) -> None:
        self.start = start
        self.t0 = t0
        self.goal = goal
        self.rate = rate
        self.on_change = on_change
        self._reach = self._compute_reach()

    def __repr__(self) -> str:
        return f"Ramp({self.start} at {self.t0} -> {self.goal} at {self.rate}/s)"

    def _compute_reach(self) -> float:
        if self.start == self.goal:
            return self.t0
        if self.rate <= 0:
            return math.inf
        return self.t0 + abs(self.goal - self.start) / self.rate

    def reach_time(self) -> float:
        """Return the loop time at which the value reaches its goal."""
        return self._reach

    def at(self, t: float) -> float:
        """Return the value at loop time `t` (>= t0)."""
        if t >= self._reach:
            return self.goal
        step = self.rate * (t - self.t0)
        return self.start + step if self.goal > self.start else self.start - step

    def integral(self, ta: float, tb: float) -> float:
        """Return the exact integral of the value over [ta, tb] (value-units times seconds)."""
        if tb <= ta:
            return 0.0
        knee = self._reach
        total = 0.0
        if ta < knee:
            end = min(tb, knee)
            total += (self.at(ta) + self.at(end)) / 2 * (end - ta)
            ta = end
        if tb > ta:
            total += self.goal * (tb - ta)
        return total

    def retarget(self, t: float, goal: float, rate: float) -> None:
        """Start moving from the value at `t` toward `goal` at `rate`."""
        self.start = self.at(t)
        self.t0 = t
        self.goal = goal
        self.rate = rate
        self._reach = self._compute_reach()
        if self.on_change is not None:
            self.on_change(self)

    def hold(self, t: float, value: float) -> None:
        """Jump to `value` at `t` (a safety-key stop, a reset)."""
        self.start = self.goal = value
        self.t0 = t
        self._reach = t
        if self.on_change is not None:
            self.on_change(self)

    def copy(self, scale: float = 1.0) -> Ramp:
        """Return a frozen-in-time copy with values (and rate) multiplied by `scale`."""
        return Ramp(self.start * scale, self.t0, self.goal * scale, self.rate * scale)


def kcal_per_min(speed_kmh: float, incline_pct: float) -> float:
    """Return the walker's energy expenditure (ACSM walking equation, 70 kg; standing at rest)."""
    if speed_kmh < MOVING_KMH:
        return 1.3 * 3.5 * WALKER_MASS_KG / 200.0
    m_per_min = speed_kmh * 1000.0 / 60.0
    vo2 = 3.5 + 0.1 * m_per_min + 1.8 * m_per_min * max(incline_pct, 0.0) / 100.0
    return vo2 * WALKER_MASS_KG / 200.0


def cadence_spm(speed_kmh: float) -> float:
    """Return the walker's steps per minute at a belt speed (0 when the belt is stopped)."""
    if speed_kmh < 0.5:
        return 0.0
    return min(95.0 + 9.0 * speed_kmh, 175.0)


@dataclass
class Counters:
    """The machine's session counters, in domain units, as floats (rounded when reported)."""

    distance_m: float = 0.0
    elevation_up_m: float = 0.0
    elevation_down_m: float = 0.0
    elapsed_s: float = 0.0
    energy_kcal: float = 0.0
    steps: float = 0.0

    def advance(  # noqa: PLR0913 - two ramps, an interval, two flags
        self,
        belt: Ramp,
        incline: Ramp,
        ta: float,
        tb: float,
        *,
        running: bool,
        scale: float = 1.0,
    ) -> None:
        """Integrate the counters over [ta, tb]; `scale` turns belt units into real km/h."""
        if tb <= ta:
            return
        metres = belt.integral(ta, tb) / 3.6 * scale
        self.distance_m += metres
        mid = (ta + tb) / 2
        grade = incline.at(mid) / 100.0
        if grade > 0:
            self.elevation_up_m += metres * grade
        elif grade < 0:
            self.elevation_down_m -= metres * grade
        if running:
            speed = belt.at(mid) * scale
            dt = tb - ta
            self.elapsed_s += dt
            self.energy_kcal += kcal_per_min(speed, incline.at(mid)) * dt / 60.0
            self.steps += cadence_spm(speed) * dt / 60.0

    def reset(self) -> None:
        """Zero every counter (a stop ends the session)."""
        self.distance_m = self.elevation_up_m = self.elevation_down_m = 0.0
        self.elapsed_s = self.energy_kcal = self.steps = 0.0
