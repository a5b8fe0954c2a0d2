"""Suspect values: what a machine's own Feature and ranges contradict is marked, with why."""

from __future__ import annotations

import dataclasses

from retrowalk.ftms.feature import decode_features
from retrowalk.ftms.models import (
    Features,
    InclineRange,
    MachineFeature,
    SpeedRange,
    Suspicion,
    TargetSettingFeature,
    TreadmillData,
)
from retrowalk.ftms.suspect import mark_suspect, suspect_marker
from retrowalk.ftms.treadmill_data import decode_treadmill_data

HOME_SPEED = SpeedRange(0.5, 20.0, 0.1)
HOME_INCLINE = InclineRange(0.0, 15.0, 1.0)
TREADMILL = Features(
    MachineFeature.TOTAL_DISTANCE
    | MachineFeature.INCLINATION
    | MachineFeature.EXPENDED_ENERGY
    | MachineFeature.ELAPSED_TIME,
    TargetSettingFeature.SPEED | TargetSettingFeature.INCLINATION,
)


def test_relay_incline_beyond_its_range_and_unclaimed_fields_are_suspect() -> None:
    """The relay's 30 % incline (its belt at 2 %) is suspect against its own declarations.

    The older iFit relay declares inclination only (Feature 08 00 00 00, 03 00 00 00) and reads
    its range from the machine (here -3..15 %); the elevation gain its wrong bit produced is
    claimed by no Feature bit. Issue 12 item 5, third case.
    """
    record = decode_treadmill_data(bytes.fromhex("19002c011400050000"))
    marked = mark_suspect(
        record,
        features=decode_features(bytes.fromhex("0800000003000000")),
        incline_range=InclineRange(-3.0, 15.0, 0.5),
    )
    assert marked.suspect_fields == {"incline_pct", "positive_elevation_gain_m"}
    reasons = {s.field: s.reason for s in marked.suspect}
    assert reasons["incline_pct"] == "30 % is above the Inclination Range maximum 15 %"
    assert "elevation gain" in reasons["positive_elevation_gain_m"]
    assert marked.incline_pct == 30.0  # kept, never corrected: the caller decides


def test_speed_over_the_maximum_is_suspect_within_one_step_is_not() -> None:
    """A speed above the Speed Range maximum by more than one increment is suspect."""
    over = mark_suspect(TreadmillData(speed_kmh=20.2), speed_range=HOME_SPEED)
    assert over.suspect == (
        Suspicion("speed_kmh", "20.2 km/h is above the Speed Range maximum 20 km/h"),
    )
    at_the_edge = TreadmillData(speed_kmh=20.1, average_speed_kmh=19.0)
    assert mark_suspect(at_the_edge, speed_range=HOME_SPEED) is at_the_edge


def test_belt_at_rest_or_below_the_minimum_is_not_suspect() -> None:
    """0 km/h (a stopped belt, a coast-down) is below the minimum and perfectly real."""
    record = TreadmillData(speed_kmh=0.0, incline_pct=0.0)
    assert mark_suspect(record, speed_range=HOME_SPEED, incline_range=HOME_INCLINE) is record


def test_incline_below_the_minimum_is_suspect() -> None:
    """A decline on a machine whose range starts at 0 % is suspect."""
    marked = mark_suspect(TreadmillData(incline_pct=-6.0), incline_range=HOME_INCLINE)
    assert marked.suspect == (
        Suspicion("incline_pct", "-6 % is below the Inclination Range minimum 0 %"),
    )


def test_a_field_the_feature_does_not_claim_is_suspect() -> None:
    """Heart rate from a machine whose Feature has no heart-rate bit is suspect; speed never."""
    record = TreadmillData(speed_kmh=5.0, total_distance_m=100, heart_rate_bpm=250)
    marked = mark_suspect(record, features=TREADMILL)
    assert marked.suspect == (
        Suspicion("heart_rate_bpm", "the Fitness Machine Feature does not claim heart rate"),
    )


def test_power_output_is_claimed_by_either_power_bit() -> None:
    """Power output counts as claimed by Power Measurement or by Force on Belt and Power."""
    record = TreadmillData(speed_kmh=5.0, power_output_w=120)
    with_power = Features(MachineFeature.POWER_MEASUREMENT, TargetSettingFeature(0))
    assert mark_suspect(record, features=with_power) is record
    without = mark_suspect(record, features=Features(MachineFeature(0), TargetSettingFeature(0)))
    assert without.suspect_fields == {"power_output_w"}
    assert "power measurement" in without.suspect[0].reason


def test_nothing_declared_nothing_suspect_and_marking_twice_is_marking_once() -> None:
    """Without declarations a record comes back as it is; marking is idempotent."""
    record = TreadmillData(speed_kmh=99.0, incline_pct=40.0)
    assert mark_suspect(record) is record
    once = mark_suspect(record, speed_range=HOME_SPEED, incline_range=HOME_INCLINE)
    twice = mark_suspect(once, speed_range=HOME_SPEED, incline_range=HOME_INCLINE)
    assert twice == once
    assert len(once.suspect) == 2
    cleared = mark_suspect(once)
    assert not cleared.suspect
    assert dataclasses.replace(cleared, suspect=once.suspect) == once


def test_a_marker_built_once_marks_as_mark_suspect_does() -> None:
    """What a decoder holds for its machine: the same marks, the same object when clean."""
    mark = suspect_marker(speed_range=HOME_SPEED, incline_range=HOME_INCLINE)
    clean = TreadmillData(speed_kmh=4.0, incline_pct=2.0)
    wild = TreadmillData(speed_kmh=99.0, incline_pct=40.0)
    assert mark(clean) is clean
    assert mark(wild) == mark_suspect(wild, speed_range=HOME_SPEED, incline_range=HOME_INCLINE)
    assert [s.field for s in mark(wild).suspect] == ["speed_kmh", "incline_pct"]


def test_a_range_that_declares_nothing_is_not_used() -> None:
    """A Speed Range of all zeros (seen on bridges) or upside down judges nothing."""
    record = TreadmillData(speed_kmh=8.0, incline_pct=5.0)
    assert mark_suspect(record, speed_range=SpeedRange(0.0, 0.0, 0.0)) is record
    assert mark_suspect(record, speed_range=SpeedRange(10.0, 5.0, 0.1)) is record
    assert mark_suspect(record, incline_range=InclineRange(10.0, 0.0, 1.0)) is record


def test_other_marks_survive_marking() -> None:
    """Truncated and ambiguous stay as the decoder set them."""
    record = decode_treadmill_data(bytes.fromhex("600010080c"))  # speed 20.64, cut pace
    marked = mark_suspect(record, speed_range=HOME_SPEED)
    assert marked.truncated
    assert marked.ambiguous == record.ambiguous
    assert marked.suspect_fields == {"speed_kmh"}
