"""Fitness Machine Status (0x2ADA): op code + parameter; trailing padding is ignored.

Machines pad some notifications to 3 bytes (`04 00 00`, `02 01 00`); the decoder reads only the
parameter its op defines. Unknown op codes are kept as int with their parameter bytes.
"""

from __future__ import annotations

from typing import Final

from retrowalk.errors import ProtocolError
from retrowalk.ftms._wire import Field
from retrowalk.ftms.models import MachineStatus, StatusOp, StopKind

CHARACTERISTIC: Final = "Fitness Machine Status (0x2ADA)"

TARGET_SPEED: Final = Field("target_speed_kmh", "u16", 100)
TARGET_INCLINE: Final = Field("target_incline_pct", "s16", 10)

_OPS: Final = {int(op): op for op in StatusOp}
_STOP_KINDS: Final = {int(k): k for k in StopKind}
_NO_PARAMETER: Final = frozenset(
    {
        StatusOp.RESET,
        StatusOp.STOPPED_BY_SAFETY_KEY,
        StatusOp.STARTED_OR_RESUMED_BY_USER,
        StatusOp.CONTROL_PERMISSION_LOST,
    }
)


def decode_status(data: bytes) -> MachineStatus:
    """Return the status notification; ProtocolError if a defined parameter is missing."""
    data = bytes(data)
    if not data:
        raise ProtocolError(CHARACTERISTIC, data, "a status needs at least its op code byte")
    op = _OPS.get(data[0], data[0])
    if op in _NO_PARAMETER:
        return MachineStatus(op)
    if op is StatusOp.STOPPED_OR_PAUSED_BY_USER:
        _need(data, 2, "Stopped or Paused by the User needs its 1-byte stop/pause parameter")
        kind = _STOP_KINDS.get(data[1])
        if kind is None:  # an undefined control information value: keep it, do not guess
            return MachineStatus(op, raw_parameter=data[1:2])
        return MachineStatus(op, stop_kind=kind)
    if op is StatusOp.TARGET_SPEED_CHANGED:
        _need(data, 3, "Target Speed Changed needs its uint16 speed")
        return MachineStatus(op, target_speed_kmh=TARGET_SPEED.float_at(data, 1))
    if op is StatusOp.TARGET_INCLINE_CHANGED:
        _need(data, 3, "Target Incline Changed needs its sint16 incline")
        return MachineStatus(op, target_incline_pct=TARGET_INCLINE.float_at(data, 1))
    return MachineStatus(op, raw_parameter=data[1:])


def encode_status(status: MachineStatus) -> bytes:
    """Return the notification bytes for a status (unpadded)."""
    raw_op = int(status.op)
    if not 0 <= raw_op <= 0xFF:
        raise ProtocolError(CHARACTERISTIC, b"", f"op={raw_op} is not a byte (0..255)")
    op = _OPS.get(raw_op, raw_op)
    head = bytes([raw_op])
    if op in _NO_PARAMETER:
        return head
    if op is StatusOp.STOPPED_OR_PAUSED_BY_USER:
        if status.stop_kind is not None:
            return head + bytes([int(status.stop_kind)])
        if len(status.raw_parameter) != 1:
            raise ProtocolError(CHARACTERISTIC, head, "Stopped or Paused needs stop_kind")
        return head + status.raw_parameter
    if op is StatusOp.TARGET_SPEED_CHANGED:
        if status.target_speed_kmh is None:
            raise ProtocolError(CHARACTERISTIC, head, "Target Speed Changed needs a speed")
        return head + TARGET_SPEED.write(
            TARGET_SPEED.to_raw(status.target_speed_kmh, CHARACTERISTIC)
        )
    if op is StatusOp.TARGET_INCLINE_CHANGED:
        if status.target_incline_pct is None:
            raise ProtocolError(CHARACTERISTIC, head, "Target Incline Changed needs an incline")
        raw = TARGET_INCLINE.to_raw(status.target_incline_pct, CHARACTERISTIC)
        return head + TARGET_INCLINE.write(raw)
    return head + bytes(status.raw_parameter)


def _need(data: bytes, size: int, what: str) -> None:
    if len(data) < size:
        raise ProtocolError(CHARACTERISTIC, data, f"{what} ({size} bytes), got {len(data)}")


__all__ = ["CHARACTERISTIC", "decode_status", "encode_status"]
