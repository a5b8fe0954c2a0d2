"""Hypothesis strategies for FTMS records built from wire-representable values, and FULL."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from retrowalk.ftms._wire import BOUNDS, Field
from retrowalk.ftms.models import TreadmillData
from retrowalk.ftms.treadmill_data import GROUPS


def domain_values(field: Field) -> st.SearchStrategy[Any]:
    """Return values a field can carry (never one of its "not available" markers)."""
    low, high = BOUNDS[field.wire]
    raw = st.integers(low, high).filter(lambda r: r not in field.not_available)
    if field.divisor == 1:
        return raw
    return raw.map(lambda r: r / field.divisor)


@st.composite
def treadmill_records(draw: st.DrawFn) -> TreadmillData:
    """Return a TreadmillData with a random subset of groups, absent members as None."""
    values: dict[str, Any] = {}
    for _, group in GROUPS:
        if not draw(st.booleans()):
            continue
        members = [draw(st.none() | domain_values(f)) for f in group]
        if all(m is None for m in members):  # a present group needs one value
            members[0] = draw(domain_values(group[0]))
        values.update({f.name: m for f, m in zip(group, members, strict=True)})
    return TreadmillData(**values)


# Every field of the record, the vendor step count included: 37 bytes in one notification.
FULL = TreadmillData(
    speed_kmh=5.25,
    average_speed_kmh=4.5,
    total_distance_m=70000,
    incline_pct=-2.5,
    ramp_angle_deg=1.5,
    positive_elevation_gain_m=12.3,
    negative_elevation_gain_m=4.5,
    instantaneous_pace_km_min=0.1,
    average_pace_km_min=0.2,
    total_energy_kcal=320,
    energy_per_hour_kcal=400,
    energy_per_minute_kcal=7,
    heart_rate_bpm=128,
    metabolic_equivalent=4.2,
    elapsed_time_s=3600,
    remaining_time_s=600,
    force_on_belt_n=-20,
    power_output_w=180,
    steps=123456,
)
