"""What a simulated treadmill reports: one Treadmill Data record from its belt and counters.

Public API: `build_record(profile, speed_kmh, incline_pct, counters) -> TreadmillData`, holding
exactly the field groups `profile.record_fields` names (speed always). A belt that stands reports
zero rates, so the record after a stop (counters zeroed) is all zeros.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from retrowalk.ftms.models import TreadmillData
from retrowalk_sim.physics import MOVING_KMH, WALKER_MASS_KG, kcal_per_min

if TYPE_CHECKING:
    from retrowalk_sim.physics import Counters
    from retrowalk_sim.profiles import MachineProfile

_KCAL_PER_MIN_PER_MET = 3.5 * WALKER_MASS_KG / 200.0
_WEIGHT_N = WALKER_MASS_KG * 9.81


def build_record(
    profile: MachineProfile, speed_kmh: float, incline_pct: float, counters: Counters
) -> TreadmillData:
    """Return the record the machine reports for this belt state and these counters."""
    fields = profile.record_fields
    speed = speed_kmh if speed_kmh >= MOVING_KMH else 0.0
    incline = incline_pct
    c = counters
    rate = kcal_per_min(speed, incline) if speed > 0 else 0.0
    avg = c.distance_m / c.elapsed_s * 3.6 if c.elapsed_s > 1 else 0.0
    kw: dict[str, float | int | None] = {"speed_kmh": round(speed, 2)}
    if "average_speed_kmh" in fields:
        kw["average_speed_kmh"] = round(avg, 2)
    if "total_distance_m" in fields:
        kw["total_distance_m"] = int(c.distance_m)
    if "incline_pct" in fields:
        kw["incline_pct"] = round(incline, 1)
        angle = round(math.degrees(math.atan(incline / 100.0)), 1)
        kw["ramp_angle_deg"] = angle if profile.ramp_angle else None
    if "elevation_gain_m" in fields:
        kw["positive_elevation_gain_m"] = round(c.elevation_up_m, 1)
        kw["negative_elevation_gain_m"] = round(c.elevation_down_m, 1)
    if "pace" in fields:
        kw["instantaneous_pace_km_min"] = round(speed / 60.0, 1)
        kw["average_pace_km_min"] = round(avg / 60.0, 1)
    if "energy" in fields:
        kw["total_energy_kcal"] = int(c.energy_kcal)
        kw["energy_per_hour_kcal"] = round(rate * 60) if profile.energy_rates else None
        kw["energy_per_minute_kcal"] = round(rate) if profile.energy_rates else None
    kw.update(_rare_fields(fields, speed, incline, rate, c))
    return TreadmillData.from_values(kw)


def _rare_fields(
    fields: frozenset[str], speed: float, incline: float, rate: float, c: Counters
) -> dict[str, float | int | None]:
    kw: dict[str, float | int | None] = {}
    if "heart_rate_bpm" in fields:
        kw["heart_rate_bpm"] = 0  # no grip sensors held
    if "metabolic_equivalent" in fields:
        kw["metabolic_equivalent"] = round(rate / _KCAL_PER_MIN_PER_MET, 1)
    if "elapsed_time_s" in fields:
        kw["elapsed_time_s"] = int(c.elapsed_s)
    if "remaining_time_s" in fields:
        kw["remaining_time_s"] = 0
    if "force_and_power" in fields:
        grade = incline / 100.0 if speed > 0 else 0.0
        kw["force_on_belt_n"] = round(_WEIGHT_N * grade)
        kw["power_output_w"] = round(_WEIGHT_N * grade * speed / 3.6)
    if "steps" in fields:
        kw["steps"] = int(c.steps)
    return kw
