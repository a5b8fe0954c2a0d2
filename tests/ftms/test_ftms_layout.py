"""Treadmill Data layouts: the length picks the layout, ambiguity is marked, nothing is invented.

The three cases of issue 12 item 5 are here, each with what retrowalk did before this rule.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrowalk.ftms.assembler import TreadmillDataAssembler
from retrowalk.ftms.models import TREADMILL_FIELDS
from retrowalk.ftms.treadmill_data import decode_part, decode_treadmill_data, reading_of
from retrowalk.ftms.treadmill_layout import COMPILE_AFTER

# deancochran/ftms conformance vector "measurement-treadmill-all-fields": every field, with
# Instantaneous and Average Pace uint16 (300 and 320), as the GATT Specification Supplement has.
GSS_PACE_RECORD = bytes.fromhex(
    "fe1f" "e803" "8403" "030201" "f1ff" "1900" "7b00" "2d00" "2c01" "4001"
    "f401" "5802" "0a" "96" "55" "100e" "5802" "ecff" "fa00"
)  # fmt: skip


def test_pace_of_the_other_width_no_longer_shifts_the_fields_after_it() -> None:
    """A uint16-pace record reads energy 500 and heart rate 150, not 320 and 2.

    Before: the FTMS 1.0 uint8 layout was used whatever the length, so every field after the
    pace moved by two bytes (energy 320, heart rate 2) and the record was reported complete. Now
    only the uint16 layout fills the 36 bytes, so it is the one read.
    """
    record = decode_treadmill_data(GSS_PACE_RECORD)
    assert record.speed_kmh == 10.0
    assert record.total_energy_kcal == 500
    assert record.energy_per_hour_kcal == 600
    assert record.energy_per_minute_kcal == 10
    assert record.heart_rate_bpm == 150
    assert record.metabolic_equivalent == 8.5
    assert record.elapsed_time_s == 3600
    assert record.remaining_time_s == 600
    assert record.force_on_belt_n == -20
    assert record.power_output_w == 250
    assert not record.truncated
    assert not record.ambiguous
    # the uint16 pace is not in km/min: consumed, reported absent rather than invented
    assert record.instantaneous_pace_km_min is None
    assert record.average_pace_km_min is None


def test_pace_only_part_with_more_data_gets_no_phantom_speed() -> None:
    """`61002c014001` is a pace-only part, not a 3.0 km/h speed, and is marked ambiguous.

    Before: More Data set with exactly 2 bytes too many for uint8 pace was read as a speed sent
    anyway, giving 3.0 km/h. The 4 bytes fit both that and uint16 pace without speed; bit 0
    (set: no speed) is the rule of every revision, so the no-speed layout wins, and the record
    says both fit.
    """
    record, more = decode_part(bytes.fromhex("61002c014001"))
    assert more
    assert record.speed_kmh is None
    assert len(record.ambiguous) == 1
    why = record.ambiguous[0]
    assert "2 layouts" in why
    assert "uint16" in why
    assert "although More Data is set" in why


# The older iFit FTMS relay (the `ifit` package's ftms.py): More Data set although it sends
# speed, incline without its ramp angle, distance under bit 4 (elevation gain) in hectometres.
# Speed 3.0 km/h, incline 2.0 %, distance 0.5 km.
RELAY_RECORD = bytes.fromhex("1900" "2c01" "1400" "050000")  # fmt: skip


def test_relay_with_distance_under_the_wrong_bit_is_truncated_not_trusted() -> None:
    """The relay's bytes fit no layout of their flags: the record is truncated, never trusted.

    The 30 % incline is what the first layout reads; `mark_suspect` catches it against the
    relay's own Inclination Range and Feature (test_ftms_suspect.py). Before, as now, the bytes
    decoded as incline 30 % with ramp 2.0 (the belt was at 2 %), and nothing but `truncated`
    said so: retrowalk would have acted on the 30 %.
    """
    record = decode_treadmill_data(RELAY_RECORD)
    assert record.truncated
    assert record.speed_kmh is None  # More Data: no speed
    assert record.incline_pct == 30.0


def test_more_data_part_with_speed_exactly_fits_and_is_not_ambiguous() -> None:
    """Bit 0 set and exactly a speed's 2 bytes more: only the speed layout fills the bytes."""
    record, more = decode_part(bytes.fromhex("8524960000000000000000000000000000"))
    assert not more
    assert record.speed_kmh == 1.5
    assert not record.ambiguous


def test_more_data_part_with_bytes_over_both_layouts_is_ambiguous() -> None:
    """More Data with 3 spare bytes fits no-speed and speed-anyway with bytes over: ambiguous."""
    record, more = decode_part(bytes.fromhex("05000a00002c0100"))
    assert more
    assert record.total_distance_m == 10
    assert record.speed_kmh is None
    assert record.ambiguous
    assert "with bytes over" in record.ambiguous[0]


def test_ftms_pace_record_fits_exactly_and_is_not_ambiguous() -> None:
    """uint8 pace that fills the bytes reads as FTMS 1.0 without doubt."""
    record = decode_treadmill_data(bytes.fromhex("61000c0b78"))
    assert record.instantaneous_pace_km_min == 1.2
    assert not record.ambiguous


def test_a_pace_that_fills_the_bytes_only_as_uint16_is_read_as_uint16() -> None:
    """Flags 0x0041 (More Data, average pace) and 2 data bytes: uint16 fills them exactly.

    uint8 would leave a byte over; a layout that fills the bytes beats one that leaves some, so
    the uint16 reading is taken (pace consumed, not reported) and nothing is ambiguous.
    """
    record = decode_treadmill_data(bytes.fromhex("41002c01"))
    assert record.average_pace_km_min is None
    assert not record.ambiguous
    assert not record.truncated


def test_truncated_record_with_pace_says_the_width_was_guessed() -> None:
    """A cut record whose bytes reach the pace field is truncated and ambiguous about the width."""
    data = bytes.fromhex("600090010c")  # speed 4.0, then 1 byte of two pace fields
    record = decode_treadmill_data(data)
    assert record.truncated
    assert record.speed_kmh == 4.0
    assert record.ambiguous
    assert "pace width" in record.ambiguous[0]
    cut_before_pace = decode_treadmill_data(bytes.fromhex("600090"))
    assert cut_before_pace.truncated
    assert not cut_before_pace.ambiguous


def test_assembler_carries_ambiguity_into_the_merged_record() -> None:
    """A merged record is ambiguous when one of its parts was."""
    assembler = TreadmillDataAssembler()
    assert assembler.feed(bytes.fromhex("61002c014001"), now=0.0) is None
    record = assembler.feed(bytes.fromhex("00009001"), now=0.1)
    assert record is not None
    assert record.speed_kmh == 4.0
    assert record.ambiguous


@settings(max_examples=300, deadline=None)
@given(flags=st.integers(0, 0xFFFF), size=st.integers(2, 48))
def test_the_reading_is_a_function_of_flags_and_length(flags: int, size: int) -> None:
    """Any flags and length read complete or truncated; ambiguity needs a doubtful flag bit."""
    data = flags.to_bytes(2, "little") + bytes(size - 2)
    found = reading_of(data)
    record = found.decode(data)
    assert record.truncated == found.truncated
    assert (found.layout.length <= size - 2) != found.truncated
    if found.ambiguous:
        assert flags & 0x61
    assert found.values(data).keys() <= {
        k for k in vars(record) if getattr(record, k) is not None
    } - {"truncated", "ambiguous", "suspect"}


def test_a_layout_is_compiled_once_it_repeats_and_reads_the_same() -> None:
    """The first readings are interpreted; from COMPILE_AFTER on the same (compiled) one serves."""
    # 60 bytes: longer than any other test's, so this (flags, length) is new to the cache here
    data = bytes.fromhex("8c0f90012a00001400ff7f0a00ffffff782a3c00b004")
    data += bytes(60 - len(data))
    readings = [reading_of(data) for _ in range(COMPILE_AFTER + 2)]
    assert readings[COMPILE_AFTER - 1] is readings[-1]
    assert len({id(r.decode) for r in readings}) == 2  # interpreted, then compiled
    assert len({r.decode(data) for r in readings}) == 1


@pytest.mark.parametrize("data", [b"", b"\x00"])
def test_reading_needs_the_flags(data: bytes) -> None:
    """Fewer than 2 bytes have no flags to read: ProtocolError (via the codec)."""
    from retrowalk.errors import ProtocolError  # noqa: PLC0415 - only this test needs it

    with pytest.raises(ProtocolError, match="2-byte flags"):
        reading_of(data)


@settings(max_examples=400, deadline=None)
@given(
    flags=st.integers(0, 0xFFFF) | st.sampled_from([0x0000, 0x0061, 0x1FFE, 0x2484, 0x0C9E]),
    body=st.binary(max_size=44),
)
def test_compiled_reader_agrees_with_reading_field_by_field(flags: int, body: bytes) -> None:
    """Both readers (interpreted, compiled) give what reading the fields one by one gives."""
    data = flags.to_bytes(2, "little") + body
    interpreted = reading_of(data)
    expected: dict[str, float | int] = {}
    offset = 2
    for f in interpreted.layout.fields:
        if offset + f.size > len(data):
            break
        value = f.to_domain(f.read(data, offset))
        offset += f.size
        if value is not None and f.name not in interpreted.layout.unreported:
            expected[f.name] = value
    for found in (interpreted, interpreted.compiled()):
        assert found.values(data) == expected
        record = found.decode(data)
        assert {k: v for k in TREADMILL_FIELDS if (v := getattr(record, k)) is not None} == expected
        assert record.truncated == found.truncated
        assert record.ambiguous == found.ambiguous
