"""Status, Training Status, advertisement, features and ranges: quirks, round trips, oracle."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycycling.ftms_parsers.fitness_machine_status import (
    FitnessMachineStatus,
    parse_fitness_machine_status,
)

from retrowalk.errors import ProtocolError
from retrowalk.ftms.advertisement import decode_advertisement, encode_advertisement
from retrowalk.ftms.feature import decode_features, encode_features
from retrowalk.ftms.models import (
    Advertisement,
    Features,
    InclineRange,
    MachineFeature,
    MachineStatus,
    MachineType,
    SpeedRange,
    StatusOp,
    StopKind,
    TargetSettingFeature,
    TrainingStatus,
    TrainingStatusCode,
)
from retrowalk.ftms.ranges import (
    decode_incline_range,
    decode_speed_range,
    encode_incline_range,
    encode_speed_range,
)
from retrowalk.ftms.status import decode_status, encode_status
from retrowalk.ftms.training_status import decode_training_status, encode_training_status

# ---- Fitness Machine Status ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hex_text", "expected"),
    [
        ("040000", MachineStatus(StatusOp.STARTED_OR_RESUMED_BY_USER)),
        ("020100", MachineStatus(StatusOp.STOPPED_OR_PAUSED_BY_USER, stop_kind=StopKind.STOP)),
        ("0202", MachineStatus(StatusOp.STOPPED_OR_PAUSED_BY_USER, stop_kind=StopKind.PAUSE)),
        ("03", MachineStatus(StatusOp.STOPPED_BY_SAFETY_KEY)),
        ("ff00", MachineStatus(StatusOp.CONTROL_PERMISSION_LOST)),
        ("06c4ff00", MachineStatus(StatusOp.TARGET_INCLINE_CHANGED, target_incline_pct=-6.0)),
    ],
)
def test_status_padding_is_ignored(hex_text: str, expected: MachineStatus) -> None:
    """Trailing padding after the parameter an op defines does not change the status."""
    assert decode_status(bytes.fromhex(hex_text)) == expected


def test_unknown_status_ops_are_kept_as_int_with_their_bytes() -> None:
    """An op retrowalk does not name (0x08 new power, 0x2a) is kept with its parameter."""
    assert decode_status(bytes.fromhex("08c800")) == MachineStatus(0x08, raw_parameter=b"\xc8\x00")
    assert decode_status(b"\x2a") == MachineStatus(0x2A)


def test_undefined_stop_kind_is_kept_raw() -> None:
    """A stop/pause status with an undefined control value keeps the raw byte, no guess."""
    status = decode_status(bytes.fromhex("0207"))
    assert status.stop_kind is None
    assert status.raw_parameter == b"\x07"
    assert encode_status(status) == bytes.fromhex("0207")


@pytest.mark.parametrize("hex_text", ["", "02", "05", "0558", "06ff"])
def test_status_missing_its_parameter_is_a_protocol_error(hex_text: str) -> None:
    """An op whose defined parameter is missing raises ProtocolError naming Status."""
    with pytest.raises(ProtocolError, match="Fitness Machine Status"):
        decode_status(bytes.fromhex(hex_text))


statuses = st.one_of(
    st.sampled_from(
        [
            MachineStatus(StatusOp.RESET),
            MachineStatus(StatusOp.STOPPED_BY_SAFETY_KEY),
            MachineStatus(StatusOp.STARTED_OR_RESUMED_BY_USER),
            MachineStatus(StatusOp.CONTROL_PERMISSION_LOST),
            MachineStatus(StatusOp.STOPPED_OR_PAUSED_BY_USER, stop_kind=StopKind.STOP),
            MachineStatus(StatusOp.STOPPED_OR_PAUSED_BY_USER, stop_kind=StopKind.PAUSE),
        ]
    ),
    st.integers(0, 0xFFFF).map(
        lambda r: MachineStatus(StatusOp.TARGET_SPEED_CHANGED, target_speed_kmh=r / 100)
    ),
    st.integers(-0x8000, 0x7FFF).map(
        lambda r: MachineStatus(StatusOp.TARGET_INCLINE_CHANGED, target_incline_pct=r / 10)
    ),
    st.builds(
        MachineStatus,
        op=st.integers(0x07, 0xFE) | st.just(0x00),
        raw_parameter=st.binary(max_size=12),
    ),
)


@settings(max_examples=200, deadline=None)
@given(status=statuses)
def test_status_round_trip(status: MachineStatus) -> None:
    """Round trip: encode_status then decode_status gives the status back."""
    assert decode_status(encode_status(status)) == status


ORACLE_NAMES = {
    StatusOp.RESET: FitnessMachineStatus.RESET,
    StatusOp.STOPPED_BY_SAFETY_KEY: FitnessMachineStatus.STOPPED_BY_SAFETY_KEY,
    StatusOp.STARTED_OR_RESUMED_BY_USER: FitnessMachineStatus.STARTED_BY_USER,
    StatusOp.TARGET_SPEED_CHANGED: FitnessMachineStatus.NEW_SPEED,
    StatusOp.TARGET_INCLINE_CHANGED: FitnessMachineStatus.NEW_INCLINATION,
    StatusOp.CONTROL_PERMISSION_LOST: FitnessMachineStatus.CONTROL_PERMISSION_LOST,
}


@settings(max_examples=200, deadline=None)
@given(
    op=st.sampled_from([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xFF]),
    parameter=st.binary(min_size=2, max_size=4),
)
def test_status_codes_agree_with_pycycling(op: int, parameter: bytes) -> None:
    """For ops 0x01-0x06 and 0xFF our meaning and value agree with pycycling's parser."""
    data = bytes([op]) + parameter
    ours = decode_status(data)
    oracle = parse_fitness_machine_status(bytearray(data))
    if ours.op is StatusOp.STOPPED_OR_PAUSED_BY_USER:
        expected = {
            StopKind.STOP: FitnessMachineStatus.STOPPED_BY_USER,
            StopKind.PAUSE: FitnessMachineStatus.PAUSED_BY_USER,
            None: FitnessMachineStatus.RESERVED_FOR_FUTURE_USE,
        }[ours.stop_kind]
        assert oracle.status is expected
        return
    assert isinstance(ours.op, StatusOp)
    assert oracle.status is ORACLE_NAMES[ours.op]
    if ours.op is StatusOp.TARGET_SPEED_CHANGED:
        assert ours.target_speed_kmh == pytest.approx(oracle.value)
    if ours.op is StatusOp.TARGET_INCLINE_CHANGED:
        assert ours.target_incline_pct == pytest.approx(oracle.value)


# ---- Training Status ----------------------------------------------------------------------------


def test_training_status_string_flag_without_string_is_tolerated() -> None:
    """`01 0D` (string promised, none sent) decodes as manual mode with no text."""
    assert decode_training_status(bytes.fromhex("010d")) == TrainingStatus(
        TrainingStatusCode.MANUAL_MODE, text=None, string_flag=True
    )


def test_training_status_with_text_and_unknown_code() -> None:
    """A string is read as UTF-8 (NUL padding dropped); unknown codes stay ints."""
    status = decode_training_status(b"\x01\x02Warm up\x00\x00")
    assert status == TrainingStatus(TrainingStatusCode.WARMING_UP, "Warm up", string_flag=True)
    assert decode_training_status(b"\x00\x63").status == 0x63
    assert decode_training_status(b"\x01\x01\xff\xfe").text == "\ufffd\ufffd"


@pytest.mark.parametrize("hex_text", ["", "01"])
def test_training_status_too_short_is_a_protocol_error(hex_text: str) -> None:
    """Fewer than 2 bytes raise ProtocolError naming Training Status."""
    with pytest.raises(ProtocolError, match="Training Status"):
        decode_training_status(bytes.fromhex(hex_text))


@settings(max_examples=200, deadline=None)
@given(
    code=st.sampled_from(list(TrainingStatusCode)) | st.integers(16, 255),
    text=st.none() | st.text(min_size=1, max_size=16).filter(lambda t: not t.endswith("\x00")),
    flag=st.booleans(),
)
def test_training_status_round_trip(
    code: TrainingStatusCode | int, text: str | None, flag: bool
) -> None:
    """Round trip: encode then decode gives the training status back."""
    status = TrainingStatus(code, text, string_flag=flag or text is not None)
    assert decode_training_status(encode_training_status(status)) == status


# ---- Advertisement ------------------------------------------------------------------------------


def test_treadmill_advertisement() -> None:
    """`01 01 00` is an available treadmill."""
    ad = decode_advertisement(bytes.fromhex("010100"))
    assert ad == Advertisement(available=True, machine_types=MachineType.TREADMILL)
    assert ad.is_treadmill


def test_swapped_machine_type_bytes_are_detected() -> None:
    """`01 00 01` (type bytes swapped) is still a treadmill, flagged byte_swapped."""
    ad = decode_advertisement(bytes.fromhex("010001"))
    assert ad.is_treadmill
    assert ad.byte_swapped
    assert encode_advertisement(ad) == bytes.fromhex("010001")


def test_short_advertisement_is_a_protocol_error() -> None:
    """Service data shorter than flags + type raises ProtocolError."""
    with pytest.raises(ProtocolError, match="service data"):
        decode_advertisement(b"\x01\x01")


@settings(max_examples=200, deadline=None)
@given(available=st.booleans(), types=st.integers(1, 0x3F), swapped=st.booleans())
def test_advertisement_round_trip(available: bool, types: int, swapped: bool) -> None:
    """Round trip: any defined machine-type set survives, in either byte order."""
    ad = Advertisement(available, MachineType(types), byte_swapped=swapped)
    assert decode_advertisement(encode_advertisement(ad)) == ad


# ---- Features and ranges ------------------------------------------------------------------------


def test_features_short_read_is_a_protocol_error() -> None:
    """A feature read of fewer than 8 bytes raises ProtocolError naming the characteristic."""
    with pytest.raises(ProtocolError, match="Fitness Machine Feature"):
        decode_features(bytes.fromhex("44120000010000"))


@settings(max_examples=200, deadline=None)
@given(machine=st.integers(0, 0xFFFFFFFF), target=st.integers(0, 0xFFFFFFFF))
def test_features_round_trip(machine: int, target: int) -> None:
    """Round trip: all 64 bits survive, reserved ones included."""
    features = Features(MachineFeature(machine), TargetSettingFeature(target))
    assert decode_features(encode_features(features)) == features


def test_ranges_negative_incline_minimum() -> None:
    """A -3 % .. 15 % incline range in 0.5 % steps decodes with its sign."""
    incline = decode_incline_range(bytes.fromhex("e2ff96000500"))
    assert incline == InclineRange(-3.0, 15.0, 0.5)


@pytest.mark.parametrize("decode", [decode_speed_range, decode_incline_range])
def test_short_range_is_a_protocol_error(decode: object) -> None:
    """A range read shorter than 6 bytes raises ProtocolError."""
    with pytest.raises(ProtocolError, match="Range"):
        decode(bytes.fromhex("6400580232"))  # type: ignore[operator]


@settings(max_examples=200, deadline=None)
@given(values=st.tuples(*[st.integers(0, 0xFFFF)] * 3))
def test_speed_range_round_trip(values: tuple[int, int, int]) -> None:
    """Round trip: any speed range survives encode -> decode."""
    speed = SpeedRange(*(v / 100 for v in values))
    assert decode_speed_range(encode_speed_range(speed)) == speed


@settings(max_examples=200, deadline=None)
@given(
    low=st.integers(-0x8000, 0x7FFF), high=st.integers(-0x8000, 0x7FFF), step=st.integers(0, 0xFFFF)
)
def test_incline_range_round_trip(low: int, high: int, step: int) -> None:
    """Round trip: any incline range survives encode -> decode."""
    incline = InclineRange(low / 10, high / 10, step / 10)
    assert decode_incline_range(encode_incline_range(incline)) == incline
