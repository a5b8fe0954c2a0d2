"""Values a machine's own declarations contradict: a record marked suspect, with why.

A machine declares what it reports (Fitness Machine Feature, 0x2ACC) and the speeds and inclines
it supports (0x2AD4, 0x2AD5). A decoded value outside them is no evidence of what the belt does:
it comes from a misread layout, a relay that puts a field under the wrong flag bit, or a machine
whose declarations are wrong (docs/reference/ftms.md). `mark_suspect` marks such values and keeps
them: the caller decides, and the engine never starts, stops or holds on a suspect value alone.

Rules, each a `Suspicion` naming the attribute:
- speed or average speed above the Speed Range maximum;
- incline above or below the Inclination Range;
- a value whose Feature bit is not set (speed has none: every treadmill reports it).
A value within one of the machine's own increments of a limit is taken as rounding (at least
0.1 km/h or 0.1 %). A range whose maximum is not above zero, or below its minimum, declares
nothing and is not used.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from retrowalk.ftms.models import TREADMILL_FIELDS, MachineFeature, Suspicion

if TYPE_CHECKING:
    from collections.abc import Callable

    from retrowalk.ftms.models import Features, InclineRange, SpeedRange, TreadmillData

_ORDER: Final = {name: index for index, name in enumerate(TREADMILL_FIELDS)}
_MIN_SLACK: Final = 0.1  # km/h or %: the least a value may exceed a limit by as rounding

# Which Feature bit claims each reported value (FTMS 1.0, Table 4.3 for treadmills).
CLAIMED_BY: Final[dict[str, MachineFeature]] = {
    "average_speed_kmh": MachineFeature.AVERAGE_SPEED,
    "total_distance_m": MachineFeature.TOTAL_DISTANCE,
    "incline_pct": MachineFeature.INCLINATION,
    "ramp_angle_deg": MachineFeature.INCLINATION,
    "positive_elevation_gain_m": MachineFeature.ELEVATION_GAIN,
    "negative_elevation_gain_m": MachineFeature.ELEVATION_GAIN,
    "instantaneous_pace_km_min": MachineFeature.PACE,
    "average_pace_km_min": MachineFeature.PACE,
    "total_energy_kcal": MachineFeature.EXPENDED_ENERGY,
    "energy_per_hour_kcal": MachineFeature.EXPENDED_ENERGY,
    "energy_per_minute_kcal": MachineFeature.EXPENDED_ENERGY,
    "heart_rate_bpm": MachineFeature.HEART_RATE,
    "metabolic_equivalent": MachineFeature.METABOLIC_EQUIVALENT,
    "elapsed_time_s": MachineFeature.ELAPSED_TIME,
    "remaining_time_s": MachineFeature.REMAINING_TIME,
    "force_on_belt_n": MachineFeature.FORCE_ON_BELT_AND_POWER,
    "power_output_w": MachineFeature.FORCE_ON_BELT_AND_POWER | MachineFeature.POWER_MEASUREMENT,
    "steps": MachineFeature.STEP_COUNT,  # the walking pads' bit-13 step count
}


def mark_suspect(
    record: TreadmillData,
    *,
    features: Features | None = None,
    speed_range: SpeedRange | None = None,
    incline_range: InclineRange | None = None,
) -> TreadmillData:
    """Return `record` with `suspect` listing what the declarations contradict.

    Declarations not given (None) are not checked. The record comes back unchanged (the same
    object) when nothing is suspect; any `suspect` it carried is replaced, so marking twice is
    the same as once.
    """
    return _checker(features, speed_range, incline_range).mark(record)


def suspect_marker(
    features: Features | None = None,
    speed_range: SpeedRange | None = None,
    incline_range: InclineRange | None = None,
) -> Callable[[TreadmillData], TreadmillData]:
    """Return `mark_suspect` with these declarations, built once (a decoder marks every record)."""
    return _checker(features, speed_range, incline_range).mark


@dataclass(frozen=True, slots=True)
class _Limit:
    """A bound on one attribute: suspect when beyond `value` by more than `slack`."""

    field: str
    value: float
    slack: float
    above: bool  # True for a maximum
    what: str  # e.g. "the Speed Range maximum 6 km/h"
    unit: str

    def reason(self, value: float) -> str | None:
        """Return why `value` is suspect, or None when it is within the bound."""
        if self.above and value > self.value + self.slack:
            return f"{value:g} {self.unit} is above {self.what}"
        if not self.above and value < self.value - self.slack:
            return f"{value:g} {self.unit} is below {self.what}"
        return None


@dataclass(frozen=True, slots=True)
class _Checker:
    """The checks one machine's declarations imply, built once."""

    unclaimed: tuple[tuple[str, str], ...]  # (attribute, why) for values the Feature lacks
    limits: tuple[_Limit, ...]

    def mark(self, record: TreadmillData) -> TreadmillData:
        """Return `record` with `suspect` set to what these checks find (see mark_suspect)."""
        found = self.check(record)
        if found == record.suspect:
            return record
        return dataclasses.replace(record, suspect=found)

    def check(self, record: TreadmillData) -> tuple[Suspicion, ...]:
        """Return the suspicions of `record` (empty when none)."""
        found: list[Suspicion] = []
        for name, why in self.unclaimed:
            if getattr(record, name) is not None:
                found.append(Suspicion(name, why))
        for limit in self.limits:
            value = getattr(record, limit.field)
            if value is not None:
                reason = limit.reason(value)
                if reason is not None:
                    found.append(Suspicion(limit.field, reason))
        if not found:
            return ()
        found.sort(key=lambda s: _ORDER[s.field])  # stable: a field's reasons keep their order
        return tuple(found)


@functools.lru_cache(maxsize=64)
def _checker(
    features: Features | None, speed_range: SpeedRange | None, incline_range: InclineRange | None
) -> _Checker:
    """Return the checks of one machine's declarations (cached: a machine has one set)."""
    unclaimed: list[tuple[str, str]] = []
    if features is not None:
        for name, claim in CLAIMED_BY.items():
            if not features.machine & claim:
                words = " or ".join(_words(bit) for bit in claim)
                unclaimed.append((name, f"the Fitness Machine Feature does not claim {words}"))
    limits: list[_Limit] = []
    if speed_range is not None and 0 < speed_range.maximum_kmh >= speed_range.minimum_kmh:
        slack = max(speed_range.increment_kmh, _MIN_SLACK)
        what = f"the Speed Range maximum {speed_range.maximum_kmh:g} km/h"
        limits.extend(
            _Limit(name, speed_range.maximum_kmh, slack, above=True, what=what, unit="km/h")
            for name in ("speed_kmh", "average_speed_kmh")
        )
    if incline_range is not None and incline_range.maximum_pct >= incline_range.minimum_pct:
        slack = max(incline_range.increment_pct, _MIN_SLACK)
        top = f"the Inclination Range maximum {incline_range.maximum_pct:g} %"
        bottom = f"the Inclination Range minimum {incline_range.minimum_pct:g} %"
        high, low = incline_range.maximum_pct, incline_range.minimum_pct
        limits.append(_Limit("incline_pct", high, slack, above=True, what=top, unit="%"))
        limits.append(_Limit("incline_pct", low, slack, above=False, what=bottom, unit="%"))
    return _Checker(tuple(unclaimed), tuple(limits))


def _words(bit: MachineFeature) -> str:
    """Return a feature bit in words ("elevation gain")."""
    return (bit.name or f"bit {bit.value.bit_length() - 1}").replace("_", " ").lower()


__all__ = ["CLAIMED_BY", "mark_suspect", "suspect_marker"]
