"""Fitness Machine Feature (0x2ACC): uint32 machine features, uint32 target-setting features."""

from __future__ import annotations

from typing import Final

from retrowalk.ftms._wire import Field, read_fields, write_fields
from retrowalk.ftms.models import Features, MachineFeature, TargetSettingFeature

CHARACTERISTIC: Final = "Fitness Machine Feature (0x2ACC)"

FIELDS: Final = (Field("machine", "u32"), Field("target_setting", "u32"))


def decode_features(data: bytes) -> Features:
    """Return the feature bits (reserved bits kept); trailing bytes are ignored."""
    values = read_fields(CHARACTERISTIC, bytes(data), 0, FIELDS)
    return Features(
        machine=MachineFeature(int(values["machine"] or 0)),
        target_setting=TargetSettingFeature(int(values["target_setting"] or 0)),
    )


def encode_features(features: Features) -> bytes:
    """Return the 8-byte read value."""
    values: dict[str, float | int | None] = {
        "machine": int(features.machine),
        "target_setting": int(features.target_setting),
    }
    return write_fields(CHARACTERISTIC, values, FIELDS)


__all__ = ["CHARACTERISTIC", "decode_features", "encode_features"]
