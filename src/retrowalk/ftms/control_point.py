"""Fitness Machine Control Point (0x2AD9): requests, response indications, target quantising.

Request: op code uint8 + parameter. Response indication: `80 <request op> <result>` (+ optional
parameter). Targets are encoded with rounding half away from zero (1.15 km/h is 115, not 114);
`quantize` snaps a target to the machine's increment within its range first.
"""

from __future__ import annotations

import math
from typing import Final, Literal

from retrowalk.errors import ProtocolError
from retrowalk.ftms._wire import Field
from retrowalk.ftms.models import ControlOp, ControlRequest, ControlResponse, ResultCode, StopKind

CHARACTERISTIC: Final = "Fitness Machine Control Point (0x2AD9)"

SPEED_PARAMETER: Final = Field("speed_kmh", "u16", 100)
INCLINE_PARAMETER: Final = Field("incline_pct", "s16", 10)
STOP_PARAMETER: Final = Field("stop_kind", "u8")

_NO_PARAMETER: Final = frozenset(
    {ControlOp.REQUEST_CONTROL, ControlOp.RESET, ControlOp.START_OR_RESUME}
)
_OPS: Final = {int(op): op for op in ControlOp}
_RESULTS: Final = {int(r): r for r in ResultCode if r is not ResultCode.UNKNOWN}
_STOP_KINDS: Final = {int(k): k for k in StopKind}


def op_of(raw: int) -> ControlOp | int:
    """Return the named op code for a raw op, or the int itself."""
    return _OPS.get(raw, raw)


def result_of(raw: int) -> ResultCode:
    """Return the result code for a raw result; reserved values are ResultCode.UNKNOWN."""
    return _RESULTS.get(raw, ResultCode.UNKNOWN)


def decode_request(data: bytes) -> ControlRequest:
    """Return the request written to the control point; ProtocolError on malformed bytes."""
    data = bytes(data)
    if not data:
        raise ProtocolError(CHARACTERISTIC, data, "a request needs at least its op code byte")
    op = op_of(data[0])
    parameter = data[1:]
    if op is ControlOp.RESPONSE:
        raise ProtocolError(CHARACTERISTIC, data, "0x80 starts a response, not a request")

    def expect(size: int) -> None:
        if len(parameter) != size:
            raise ProtocolError(
                CHARACTERISTIC,
                data,
                f"op {_name(op)} takes a {size}-byte parameter, got {len(parameter)} bytes",
            )

    if op in _NO_PARAMETER:
        expect(0)
        return ControlRequest(op)
    if op is ControlOp.SET_TARGET_SPEED:
        expect(SPEED_PARAMETER.size)
        return ControlRequest(op, speed_kmh=SPEED_PARAMETER.float_at(data, 1))
    if op is ControlOp.SET_TARGET_INCLINATION:
        expect(INCLINE_PARAMETER.size)
        return ControlRequest(op, incline_pct=INCLINE_PARAMETER.float_at(data, 1))
    if op is ControlOp.STOP_OR_PAUSE:
        expect(STOP_PARAMETER.size)
        kind = _STOP_KINDS.get(parameter[0])
        if kind is None:
            raise ProtocolError(
                CHARACTERISTIC, data, "Stop or Pause takes 0x01 (stop) or 0x02 (pause)"
            )
        return ControlRequest(op, stop_kind=kind)
    return ControlRequest(op, raw_parameter=parameter)


def encode_request(request: ControlRequest) -> bytes:
    """Return the bytes to write for a request (targets rounded to the wire resolution)."""
    op = op_of(_byte(int(request.op), "op"))
    if op is ControlOp.RESPONSE:
        raise ProtocolError(CHARACTERISTIC, b"", "op 0x80 is the response code, not a request")
    head = bytes([int(op)])
    if op is ControlOp.SET_TARGET_SPEED:
        if request.speed_kmh is None:
            raise ProtocolError(CHARACTERISTIC, head, "Set Target Speed needs speed_kmh")
        raw = SPEED_PARAMETER.to_raw(request.speed_kmh, CHARACTERISTIC)
        return head + SPEED_PARAMETER.write(raw)
    if op is ControlOp.SET_TARGET_INCLINATION:
        if request.incline_pct is None:
            raise ProtocolError(CHARACTERISTIC, head, "Set Target Inclination needs incline_pct")
        raw = INCLINE_PARAMETER.to_raw(request.incline_pct, CHARACTERISTIC)
        return head + INCLINE_PARAMETER.write(raw)
    if op is ControlOp.STOP_OR_PAUSE:
        if request.stop_kind is None:
            raise ProtocolError(CHARACTERISTIC, head, "Stop or Pause needs stop_kind")
        return head + bytes([int(request.stop_kind)])
    if op in _NO_PARAMETER:
        return head
    return head + bytes(request.raw_parameter)


def decode_response(data: bytes) -> ControlResponse:
    """Return the response indication; unknown result codes are ResultCode.UNKNOWN."""
    data = bytes(data)
    if len(data) < 3:
        raise ProtocolError(
            CHARACTERISTIC, data, f"a response is 80 <op> <result>, got {len(data)} bytes"
        )
    if data[0] != ControlOp.RESPONSE:
        raise ProtocolError(CHARACTERISTIC, data, "a response starts with 0x80")
    return ControlResponse(
        request_op=op_of(data[1]),
        result=result_of(data[2]),
        raw_result=data[2],
        parameter=data[3:],
    )


def encode_response(response: ControlResponse) -> bytes:
    """Return the indication bytes `80 <op> <raw result>` + parameter."""
    op = _byte(int(response.request_op), "request_op")
    result = _byte(response.raw_result, "raw_result")
    return bytes([ControlOp.RESPONSE, op, result]) + bytes(response.parameter)


def make_response(
    request_op: ControlOp | int, result: ResultCode | int, parameter: bytes = b""
) -> ControlResponse:
    """Return a response record for a result (a ResultCode or a raw int)."""
    raw = int(result)
    return ControlResponse(op_of(int(request_op)), result_of(raw), raw, parameter)


def quantize(
    value: float,
    *,
    increment: float,
    minimum: float,
    maximum: float,
    mode: Literal["round", "truncate"] = "round",
) -> float:
    """Return `value` clamped to [minimum, maximum] on the grid minimum + k * increment.

    "round" takes the nearest step (half away from the minimum); "truncate" the step below, as
    machines that cut instead of round do. An increment <= 0 (seen on real machines) only clamps.
    """
    if not (math.isfinite(value) and math.isfinite(minimum) and math.isfinite(maximum)):
        msg = f"quantize needs finite numbers (value={value}, range={minimum}..{maximum})"
        raise ValueError(msg)
    if minimum > maximum:
        msg = f"quantize: minimum {minimum} is above maximum {maximum}"
        raise ValueError(msg)
    clamped = min(max(value, minimum), maximum)
    if not increment > 0 or not math.isfinite(increment):
        return clamped
    steps = round((clamped - minimum) / increment, 6)  # absorb binary noise
    k = math.floor(steps + 0.5) if mode == "round" else math.floor(steps)
    top = math.floor(round((maximum - minimum) / increment, 6))
    k = min(k, top)
    return round(minimum + k * increment, 9)


def request_control() -> ControlRequest:
    """Return a Request Control request."""
    return ControlRequest(ControlOp.REQUEST_CONTROL)


def reset() -> ControlRequest:
    """Return a Reset request (it also revokes control)."""
    return ControlRequest(ControlOp.RESET)


def set_target_speed(kmh: float) -> ControlRequest:
    """Return a Set Target Speed request in km/h."""
    return ControlRequest(ControlOp.SET_TARGET_SPEED, speed_kmh=kmh)


def set_target_incline(pct: float) -> ControlRequest:
    """Return a Set Target Inclination request in %."""
    return ControlRequest(ControlOp.SET_TARGET_INCLINATION, incline_pct=pct)


def start_or_resume() -> ControlRequest:
    """Return a Start or Resume request."""
    return ControlRequest(ControlOp.START_OR_RESUME)


def stop() -> ControlRequest:
    """Return a Stop request (ends the session; the machine zeroes its counters)."""
    return ControlRequest(ControlOp.STOP_OR_PAUSE, stop_kind=StopKind.STOP)


def pause() -> ControlRequest:
    """Return a Pause request (the machine keeps its counters)."""
    return ControlRequest(ControlOp.STOP_OR_PAUSE, stop_kind=StopKind.PAUSE)


def _name(op: ControlOp | int) -> str:
    return op.name if isinstance(op, ControlOp) else f"0x{op:02x}"


def _byte(value: int, what: str) -> int:
    if not 0 <= value <= 0xFF:
        raise ProtocolError(CHARACTERISTIC, b"", f"{what}={value} is not a byte (0..255)")
    return value


__all__ = [
    "CHARACTERISTIC",
    "decode_request",
    "decode_response",
    "encode_request",
    "encode_response",
    "make_response",
    "op_of",
    "pause",
    "quantize",
    "request_control",
    "reset",
    "result_of",
    "set_target_incline",
    "set_target_speed",
    "start_or_resume",
    "stop",
]
