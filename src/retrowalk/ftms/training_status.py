"""Training Status (0x2AD3): flags uint8, status uint8, optional UTF-8 string. Advisory only.

Machines set the string flag without sending a string (`01 0D`): that decodes with text None.
"""

from __future__ import annotations

from typing import Final

from retrowalk.errors import ProtocolError
from retrowalk.ftms.models import TrainingStatus, TrainingStatusCode

CHARACTERISTIC: Final = "Training Status (0x2AD3)"

STRING_PRESENT: Final = 0x01
EXTENDED_STRING: Final = 0x02

_CODES: Final = {int(c): c for c in TrainingStatusCode}


def decode_training_status(data: bytes) -> TrainingStatus:
    """Return the training status; a missing promised string is tolerated, bad UTF-8 replaced."""
    data = bytes(data)
    if len(data) < 2:
        raise ProtocolError(
            CHARACTERISTIC, data, f"needs flags and status (2 bytes), got {len(data)}"
        )
    flag = bool(data[0] & STRING_PRESENT)
    text: str | None = None
    if flag and len(data) > 2:
        # NUL padding seen on fixed-length firmware buffers is not part of the text
        text = data[2:].decode("utf-8", errors="replace").rstrip("\x00") or None
    return TrainingStatus(status=_CODES.get(data[1], data[1]), text=text, string_flag=flag)


def encode_training_status(status: TrainingStatus) -> bytes:
    """Return the bytes for a training status (string flag set when text or string_flag is)."""
    raw = int(status.status)
    if not 0 <= raw <= 0xFF:
        raise ProtocolError(CHARACTERISTIC, b"", f"status={raw} is not a byte (0..255)")
    flag = STRING_PRESENT if status.string_flag or status.text is not None else 0
    text = (status.text or "").encode("utf-8")
    return bytes([flag, raw]) + text


__all__ = ["CHARACTERISTIC", "decode_training_status", "encode_training_status"]
