"""Treadmill Data: decoding quirks of real machines, encoding, and the assembler."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftms_strategies import FULL, treadmill_records
from retrowalk.errors import ProtocolError
from retrowalk.ftms.assembler import TreadmillDataAssembler
from retrowalk.ftms.models import TREADMILL_FIELDS, TreadmillData
from retrowalk.ftms.treadmill_data import (
    decode_part,
    decode_treadmill_data,
    encode_treadmill_data,
)


def test_full_record_is_34_bytes_plus_steps_and_reads_back() -> None:
    """A record with every standard field is 34 bytes (37 with the vendor step count)."""
    without_steps = dataclasses.replace(FULL, steps=None)
    assert len(encode_treadmill_data(without_steps)) == 34
    data = encode_treadmill_data(FULL)
    assert len(data) == 37
    assert decode_treadmill_data(data) == FULL


def test_field_layout_is_little_endian_in_flag_order() -> None:
    """Speed, distance (uint24) and incline (sint16) sit where the spec puts them."""
    data = encode_treadmill_data(
        TreadmillData(speed_kmh=5.25, total_distance_m=0x012345, incline_pct=-2.5)
    )
    assert data.hex() == "0c00" + "0d02" + "452301" + "e7ff" + "ff7f"


def test_all_zero_record_after_stop_is_a_real_record() -> None:
    """`00 00 00 00` (speed 0) reaches the consumer as speed 0.0, not as nothing."""
    record = decode_treadmill_data(bytes(4))
    assert record.speed_kmh == 0.0
    assert TreadmillDataAssembler().feed(bytes(4), now=0.0) == record


@pytest.mark.parametrize(
    ("hex_text", "field"),
    [
        ("0900" + "6400" + "ff7f", "ramp_angle_deg"),
        ("1100" + "1000" + "ffff", "negative_elevation_gain_m"),
        ("1100" + "1000" + "ff7f", "negative_elevation_gain_m"),
        ("0110" + "ff7f" + "6400", "force_on_belt_n"),
        ("8100" + "ffff" + "ffff" + "ff", "total_energy_kcal"),
        ("8100" + "0a00" + "ffff" + "ff", "energy_per_hour_kcal"),
        ("8100" + "0a00" + "ffff" + "ff", "energy_per_minute_kcal"),
    ],
)
def test_not_available_markers_decode_as_absent(hex_text: str, field: str) -> None:
    """0xFFFF/0xFF energy, 0x7FFF ramp and force, 0xFFFF/0x7FFF negative gain are None."""
    record = decode_treadmill_data(bytes.fromhex(hex_text))
    assert getattr(record, field) is None
    assert not record.truncated


def test_marker_siblings_keep_their_values() -> None:
    """A "not available" member does not hide the real values next to it."""
    record = decode_treadmill_data(bytes.fromhex("0110" + "ff7f" + "6400"))
    assert record.power_output_w == 100
    record = decode_treadmill_data(bytes.fromhex("8100" + "0a00" + "ffff" + "ff"))
    assert record.total_energy_kcal == 10


def test_pace_is_one_byte() -> None:
    """Instantaneous and average pace take one byte each (0.1 km/min)."""
    record = decode_treadmill_data(bytes.fromhex("6100" + "0c" + "0b" + "78"))
    assert record.instantaneous_pace_km_min == 1.2
    assert record.average_pace_km_min == 1.1
    assert record.heart_rate_bpm is None


def test_truncated_record_decodes_as_far_as_it_goes() -> None:
    """A full record cut to 20 bytes keeps the whole fields before the cut, marks truncated."""
    record = decode_treadmill_data(encode_treadmill_data(FULL)[:20])
    assert record.truncated
    assert record.speed_kmh == 5.25
    assert record.negative_elevation_gain_m == 4.5  # bytes 16-17
    assert record.instantaneous_pace_km_min == 0.1  # byte 18
    assert record.average_pace_km_min == 0.2  # byte 19
    assert record.total_energy_kcal is None
    assert record.steps is None


@settings(max_examples=100, deadline=None)
@given(cut=st.integers(2, 36))
def test_every_prefix_of_a_full_record_decodes(cut: int) -> None:
    """Any prefix that keeps the flags decodes, truncated, with a prefix of the values."""
    record = decode_treadmill_data(encode_treadmill_data(FULL)[:cut])
    assert record.truncated
    present = {k: getattr(record, k) for k in TREADMILL_FIELDS if getattr(record, k) is not None}
    assert all(getattr(FULL, k) == v for k, v in present.items())


def test_step_count_missing_from_a_short_walking_pad_record_is_truncated() -> None:
    """Bit 13 set but the uint24 steps missing: decoded without steps, marked truncated."""
    record = decode_treadmill_data(bytes.fromhex("84242c0131000002000000003d00"))
    assert record.elapsed_time_s == 61
    assert record.steps is None
    assert record.truncated


def test_trailing_bytes_beyond_the_flags_are_ignored() -> None:
    """Extra bytes after every promised field do not change the record."""
    assert decode_treadmill_data(bytes.fromhex("00009600aabbccdd")).speed_kmh == 1.5


def test_more_data_part_that_carries_speed_anyway_is_complete() -> None:
    """Flags with bit 0 set but exactly 2 bytes too many: the speed is read and the part ends."""
    record, more = decode_part(bytes.fromhex("8524960000000000000000000000000000"))
    assert not more
    assert record.speed_kmh == 1.5
    assert record.steps == 0


@pytest.mark.parametrize("data", [b"", b"\x00"])
def test_shorter_than_flags_is_a_protocol_error(data: bytes) -> None:
    """Fewer than 2 bytes raise ProtocolError naming the characteristic."""
    with pytest.raises(ProtocolError, match="Treadmill Data"):
        decode_treadmill_data(data)


def test_encoder_refuses_values_that_do_not_fit() -> None:
    """A speed beyond uint16 or a negative distance is a ProtocolError, not a wrapped value."""
    with pytest.raises(ProtocolError, match="speed_kmh"):
        encode_treadmill_data(TreadmillData(speed_kmh=700.0))
    with pytest.raises(ProtocolError, match="total_distance_m"):
        encode_treadmill_data(TreadmillData(total_distance_m=-1))


def test_encoder_refuses_a_value_that_would_read_as_not_available() -> None:
    """An incline of 3276.7 % is the 0x7FFF marker on the wire: refused, not sent as "none"."""
    with pytest.raises(ProtocolError, match=r"incline_pct.*reserved"):
        encode_treadmill_data(TreadmillData(speed_kmh=1.0, incline_pct=3276.7))
    with pytest.raises(ProtocolError, match="energy_per_minute_kcal"):
        encode_treadmill_data(TreadmillData(speed_kmh=1.0, energy_per_minute_kcal=255))


@settings(max_examples=200, deadline=None)
@given(record=treadmill_records())
def test_encode_then_decode_gives_the_record_back(record: TreadmillData) -> None:
    """Round trip: every representable record survives encode -> decode unchanged."""
    assert decode_treadmill_data(encode_treadmill_data(record)) == record


# ---- assembler ---------------------------------------------------------------------------------

AVG = bytes.fromhex("0300" + "9001")  # more data: average speed 4.0
DIST = bytes.fromhex("0500" + "0a0000")  # more data: distance 10 m
TIME = bytes.fromhex("0104" + "3c00")  # more data: elapsed 60 s
HR = bytes.fromhex("0101" + "78")  # more data: heart rate 120
SPEED = bytes.fromhex("0000" + "9001")  # final part: speed 4.0


def test_assembler_merges_parts_until_speed() -> None:
    """Parts without speed are held and merged into the record the speed part completes."""
    assembler = TreadmillDataAssembler()
    assert assembler.feed(AVG, now=0.0) is None
    assert assembler.feed(DIST, now=0.1) is None
    record = assembler.feed(SPEED, now=0.2)
    assert record == TreadmillData(speed_kmh=4.0, average_speed_kmh=4.0, total_distance_m=10)
    assert assembler.flush() is None


def test_assembler_gives_out_after_max_parts_without_speed() -> None:
    """A machine that never sends a bit-0 = 0 part still yields a record every max_parts."""
    assembler = TreadmillDataAssembler(max_parts=4)
    outs = [assembler.feed(p, now=0.0) for p in (AVG, DIST, TIME, HR)]
    assert outs[:3] == [None, None, None]
    assert outs[3] == TreadmillData(
        average_speed_kmh=4.0, total_distance_m=10, elapsed_time_s=60, heart_rate_bpm=120
    )


def test_assembler_repeated_field_starts_a_new_record() -> None:
    """A held field arriving again means a new record: the held one goes out at once."""
    assembler = TreadmillDataAssembler()
    assert assembler.feed(DIST, now=0.0) is None
    assert assembler.feed(DIST, now=0.25) == TreadmillData(total_distance_m=10)
    assert assembler.flush() == TreadmillData(total_distance_m=10)


def test_assembler_never_waits_forever() -> None:
    """Held parts go out once max_age_s old: via poll, or at the next feed."""
    assembler = TreadmillDataAssembler(max_age_s=1.0)
    assembler.feed(AVG, now=10.0)
    assert assembler.deadline == 11.0
    assert assembler.poll(now=10.5) is None
    assert assembler.poll(now=11.0) == TreadmillData(average_speed_kmh=4.0)
    assert assembler.flush() is None  # nothing left held
    later = TreadmillDataAssembler(max_age_s=1.0)
    later.feed(AVG, now=20.0)
    assert later.feed(DIST, now=21.5) == TreadmillData(average_speed_kmh=4.0)
    assert later.flush() == TreadmillData(total_distance_m=10)


def test_assembler_keeps_held_parts_across_a_malformed_notification() -> None:
    """A garbage notification raises ProtocolError and does not lose what was held."""
    assembler = TreadmillDataAssembler()
    assembler.feed(AVG, now=0.0)
    with pytest.raises(ProtocolError):
        assembler.feed(b"\x01", now=0.1)
    assert assembler.feed(SPEED, now=0.2) == TreadmillData(speed_kmh=4.0, average_speed_kmh=4.0)


def test_assembler_marks_a_merge_with_a_truncated_part_truncated() -> None:
    """A record merged from a truncated part says it is truncated."""
    assembler = TreadmillDataAssembler()
    assembler.feed(bytes.fromhex("0500" + "0a00"), now=0.0)  # distance cut short
    record = assembler.feed(SPEED, now=0.1)
    assert record is not None
    assert record.truncated
    assert record.total_distance_m is None


def test_assembler_rejects_nonsense_limits() -> None:
    """max_parts < 1 or max_age_s <= 0 is refused at construction."""
    with pytest.raises(ValueError, match="max_parts"):
        TreadmillDataAssembler(max_parts=0)
    with pytest.raises(ValueError, match="max_age_s"):
        TreadmillDataAssembler(max_age_s=0)


@settings(max_examples=100)
@given(record=treadmill_records(), truncated=st.booleans())
def test_from_values_builds_the_same_record_as_the_constructor(
    record: TreadmillData, truncated: bool
) -> None:
    """The fast builder gives a record equal to, and printed like, the constructor's."""
    values = {k: getattr(record, k) for k in TREADMILL_FIELDS if getattr(record, k) is not None}
    built = TreadmillData.from_values(values, truncated=truncated)
    expected = dataclasses.replace(record, truncated=truncated)
    assert built == expected
    assert repr(built) == repr(expected)
    assert hash(built) == hash(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.speed_kmh = 1.0  # type: ignore[misc]


def test_from_values_rejects_an_unknown_field() -> None:
    """A misspelt field name is an error, as with the constructor."""
    with pytest.raises(TypeError, match="speed_kph"):
        TreadmillData.from_values({"speed_kph": 3.0})
