"""Control Point: request/response bytes, target rounding and quantising, pycycling as oracle."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycycling.ftms_parsers.control_point import (
    FTMSControlPointOpCode,
    form_ftms_control_command,
    parse_control_point_response,
)

from retrowalk.errors import ProtocolError
from retrowalk.ftms.control_point import (
    decode_request,
    decode_response,
    encode_request,
    encode_response,
    make_response,
    pause,
    quantize,
    request_control,
    reset,
    set_target_incline,
    set_target_speed,
    start_or_resume,
    stop,
)
from retrowalk.ftms.models import ControlOp, ControlRequest, ControlResponse, ResultCode


@pytest.mark.parametrize(
    ("request_", "hex_text"),
    [
        (request_control(), "00"),
        (reset(), "01"),
        (set_target_speed(1.15), "027300"),  # 115, not 114
        (set_target_speed(0.29), "021d00"),  # 0.29 * 100 = 28.999999999999996
        (set_target_speed(2.675), "020c01"),  # 268: half away from zero
        (set_target_speed(6.0), "025802"),
        (set_target_incline(-1.05), "03f5ff"),  # -10.5 -> -11
        (set_target_incline(1.0), "030a00"),
        (set_target_incline(-6.0), "03c4ff"),
        (start_or_resume(), "07"),
        (stop(), "0801"),
        (pause(), "0802"),
    ],
)
def test_requests_encode_with_rounding(request_: ControlRequest, hex_text: str) -> None:
    """Targets are rounded to the wire resolution, never truncated by float noise."""
    assert encode_request(request_).hex() == hex_text


@pytest.mark.parametrize(
    ("kmh", "why"),
    [(-0.1, "negative"), (655.36, "beyond uint16"), (float("nan"), "nan"), (1e308, "huge")],
)
def test_speed_targets_that_do_not_fit_are_refused(kmh: float, why: str) -> None:
    """A speed target outside 0..655.35 km/h raises ProtocolError naming the field."""
    with pytest.raises(ProtocolError, match="speed_kmh"):
        encode_request(set_target_speed(kmh))


def test_request_missing_its_parameter_is_refused_when_encoding() -> None:
    """A Set Target Speed record without a speed cannot be encoded."""
    with pytest.raises(ProtocolError, match="needs speed_kmh"):
        encode_request(ControlRequest(ControlOp.SET_TARGET_SPEED))


@pytest.mark.parametrize(
    ("hex_text", "reason"),
    [
        ("", "op code"),
        ("02", "2-byte parameter"),
        ("0296", "2-byte parameter"),
        ("02960000", "2-byte parameter"),
        ("03", "2-byte parameter"),
        ("08", "1-byte parameter"),
        ("0803", "0x01 \\(stop\\) or 0x02 \\(pause\\)"),
        ("0700", "0-byte parameter"),
        ("800201", "starts a response"),
    ],
)
def test_malformed_requests_raise_protocol_error(hex_text: str, reason: str) -> None:
    """A request with a wrong parameter raises ProtocolError with the bytes in the message."""
    with pytest.raises(ProtocolError, match=reason) as caught:
        decode_request(bytes.fromhex(hex_text))
    assert "Control Point" in str(caught.value)
    assert caught.value.data == bytes.fromhex(hex_text)


def test_unnamed_ops_keep_their_parameter() -> None:
    """Ops a treadmill does not use decode as the raw int (or enum) with raw parameter bytes."""
    assert decode_request(bytes.fromhex("0c10270000")) == ControlRequest(
        0x0C, raw_parameter=bytes.fromhex("10270000")
    )
    assert decode_request(bytes.fromhex("0564")).op is ControlOp.SET_TARGET_POWER


@pytest.mark.parametrize("raw", [0x00, 0x06, 0x07, 0x42, 0xFF])
def test_reserved_result_codes_decode_as_unknown_with_the_raw_value(raw: int) -> None:
    """A reserved result code is ResultCode.UNKNOWN and keeps its raw value."""
    response = decode_response(bytes([0x80, 0x02, raw]))
    assert response.result is ResultCode.UNKNOWN
    assert response.raw_result == raw
    assert response.request_op is ControlOp.SET_TARGET_SPEED


@pytest.mark.parametrize("hex_text", ["", "80", "8002", "000201"])
def test_malformed_responses_raise_protocol_error(hex_text: str) -> None:
    """Short responses or ones not starting with 0x80 raise ProtocolError."""
    with pytest.raises(ProtocolError, match="response"):
        decode_response(bytes.fromhex(hex_text))


def test_response_with_parameter_round_trips() -> None:
    """A response parameter (spec allows one) is kept and re-encoded."""
    data = bytes.fromhex("80130102030405")
    response = decode_response(data)
    assert response.parameter == bytes.fromhex("02030405")
    assert encode_response(response) == data
    assert make_response(ControlOp.RESET, ResultCode.SUCCESS) == ControlResponse(
        ControlOp.RESET, ResultCode.SUCCESS, 1
    )


@pytest.mark.parametrize(
    ("value", "increment", "minimum", "maximum", "mode", "expected"),
    [
        (3.26, 0.5, 1.0, 6.0, "round", 3.5),
        (3.24, 0.5, 1.0, 6.0, "round", 3.0),
        (3.49, 0.5, 1.0, 6.0, "truncate", 3.0),
        (1.15, 0.1, 0.5, 20.0, "round", 1.2),
        (1.15, 0.1, 0.5, 20.0, "truncate", 1.1),
        (0.2, 0.1, 0.5, 20.0, "round", 0.5),  # below the minimum
        (25.0, 0.1, 0.5, 20.0, "round", 20.0),  # above the maximum
        (7.3, 1.0, 0.0, 15.0, "round", 7.0),
        (-2.6, 1.0, -3.0, 15.0, "round", -3.0),
        (-2.6, 1.0, -3.0, 15.0, "truncate", -3.0),
        (-2.4, 1.0, -3.0, 15.0, "round", -2.0),
        (5.9, 0.5, 1.0, 5.8, "round", 5.5),  # grid top below an off-grid maximum
        (2.37, 0.0, 0.5, 20.0, "round", 2.37),  # increment 0 reported: clamp only
    ],
)
def test_quantize_to_the_machine_grid(  # noqa: PLR0917 - one parameter per table column
    value: float, increment: float, minimum: float, maximum: float, mode: str, expected: float
) -> None:
    """Targets snap to minimum + k * increment inside the range, rounding or truncating."""
    got = quantize(value, increment=increment, minimum=minimum, maximum=maximum, mode=mode)  # type: ignore[arg-type]
    assert got == pytest.approx(expected, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    value=st.floats(-50, 50),
    increment=st.sampled_from([0.1, 0.5, 1.0]),
    minimum=st.sampled_from([-6.0, 0.0, 0.5, 1.0]),
    span=st.floats(0, 30),
    mode=st.sampled_from(["round", "truncate"]),
)
def test_quantize_stays_in_range_on_grid(
    value: float, increment: float, minimum: float, span: float, mode: str
) -> None:
    """Quantising never leaves [minimum, maximum], lands on the grid, and encodes exactly."""
    maximum = minimum + span
    got = quantize(value, increment=increment, minimum=minimum, maximum=maximum, mode=mode)  # type: ignore[arg-type]
    assert minimum - 1e-9 <= got <= maximum + 1e-9
    steps = (got - minimum) / increment
    assert abs(steps - round(steps)) < 1e-6
    if mode == "truncate":
        assert got <= max(value, minimum) + 1e-9


def test_quantize_refuses_an_inverted_range() -> None:
    """A minimum above the maximum is a programming error, said plainly."""
    with pytest.raises(ValueError, match="above maximum"):
        quantize(1.0, increment=0.1, minimum=5.0, maximum=1.0)


# ---- round trips -------------------------------------------------------------------------------

requests = st.one_of(
    st.integers(0, 0xFFFF).map(lambda r: set_target_speed(r / 100)),
    st.integers(-0x8000, 0x7FFF).map(lambda r: set_target_incline(r / 10)),
    st.sampled_from([request_control(), reset(), start_or_resume(), stop(), pause()]),
    st.builds(
        ControlRequest,
        op=st.integers(0x09, 0x7F) | st.integers(0x81, 0xFF),
        raw_parameter=st.binary(max_size=18),
    ),
)


@settings(max_examples=200, deadline=None)
@given(request_=requests)
def test_request_round_trip(request_: ControlRequest) -> None:
    """Round trip: encode_request then decode_request gives the request back."""
    assert decode_request(encode_request(request_)) == request_


@settings(max_examples=200, deadline=None)
@given(op=st.integers(0, 0xFF), raw=st.integers(0, 0xFF), parameter=st.binary(max_size=8))
def test_response_round_trip(op: int, raw: int, parameter: bytes) -> None:
    """Round trip: any response indication survives encode -> decode, raw result kept."""
    response = make_response(op, raw, parameter)
    data = encode_response(response)
    assert data == bytes([0x80, op, raw]) + parameter
    assert decode_response(data) == response


# ---- pycycling as an independent oracle (where it is right) -------------------------------------


@settings(max_examples=200, deadline=None)
@given(raw=st.integers(0, 0xFFFF))
def test_speed_target_bytes_match_pycycling(raw: int) -> None:
    """For integer 0.01 km/h targets our bytes equal pycycling's form_ftms_control_command."""
    oracle = form_ftms_control_command(FTMSControlPointOpCode.SET_TARGET_SPEED, raw)
    assert encode_request(set_target_speed(raw / 100)) == oracle


@settings(max_examples=200, deadline=None)
@given(raw=st.integers(-0x8000, 0x7FFF))
def test_incline_target_bytes_match_pycycling(raw: int) -> None:
    """For integer 0.1 % targets (negative too) our bytes equal pycycling's."""
    oracle = form_ftms_control_command(FTMSControlPointOpCode.SET_TARGET_INCLINE, raw)
    assert encode_request(set_target_incline(raw / 10)) == oracle


@pytest.mark.parametrize(
    ("ours", "op", "parameter"),
    [
        (request_control(), FTMSControlPointOpCode.REQUEST_CONTROL, 0),
        (reset(), FTMSControlPointOpCode.RESET, 0),
        (start_or_resume(), FTMSControlPointOpCode.START_OR_RESUME, 0),
        (stop(), FTMSControlPointOpCode.STOP_OR_PAUSE, 0x01),
        (pause(), FTMSControlPointOpCode.STOP_OR_PAUSE, 0x02),
    ],
)
def test_parameterless_and_stop_bytes_match_pycycling(
    ours: ControlRequest, op: FTMSControlPointOpCode, parameter: int
) -> None:
    """Request control, reset, start, stop and pause bytes equal pycycling's."""
    assert encode_request(ours) == form_ftms_control_command(op, parameter)


@pytest.mark.parametrize("raw_result", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("op", [0x00, 0x01, 0x02, 0x03, 0x07, 0x08])
def test_defined_result_codes_agree_with_pycycling(op: int, raw_result: int) -> None:
    """For defined result codes our decoded op and result agree with pycycling's parser."""
    data = bytes([0x80, op, raw_result])
    oracle = parse_control_point_response(bytearray(data))
    ours = decode_response(data)
    assert int(ours.request_op) == oracle.request_code_enum.value
    assert int(ours.result) == oracle.result_code_enum.value
