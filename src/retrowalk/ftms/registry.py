"""Characteristic names, short and full UUIDs, each mapped to its decoder (for the CLI and logs)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum, IntFlag
from typing import TYPE_CHECKING, Final

from retrowalk.errors import ConfigError
from retrowalk.ftms import models
from retrowalk.ftms.advertisement import decode_advertisement
from retrowalk.ftms.control_point import decode_request, decode_response
from retrowalk.ftms.feature import decode_features
from retrowalk.ftms.ranges import decode_incline_range, decode_speed_range
from retrowalk.ftms.status import decode_status
from retrowalk.ftms.training_status import decode_training_status
from retrowalk.ftms.treadmill_data import decode_treadmill_data

if TYPE_CHECKING:
    from collections.abc import Callable


def decode_control_point(data: bytes) -> models.ControlRequest | models.ControlResponse:
    """Return a response for bytes starting with 0x80, else a request."""
    if data[:1] == bytes([models.ControlOp.RESPONSE]):
        return decode_response(data)
    return decode_request(data)


@dataclass(frozen=True)
class Characteristic:
    """One FTMS characteristic (or the advertisement) and how to decode it."""

    name: str
    uuid: str
    title: str
    decode: Callable[[bytes], object]

    @property
    def short_uuid(self) -> str:
        """Return the 16-bit UUID as 4 lowercase hex digits."""
        return self.uuid[4:8]


CHARACTERISTICS: Final = (
    Characteristic(
        "treadmill-data", models.TREADMILL_DATA_UUID, "Treadmill Data", decode_treadmill_data
    ),
    Characteristic(
        "control-point",
        models.CONTROL_POINT_UUID,
        "Fitness Machine Control Point",
        decode_control_point,
    ),
    Characteristic("status", models.STATUS_UUID, "Fitness Machine Status", decode_status),
    Characteristic(
        "training-status", models.TRAINING_STATUS_UUID, "Training Status", decode_training_status
    ),
    Characteristic("feature", models.FEATURE_UUID, "Fitness Machine Feature", decode_features),
    Characteristic(
        "speed-range", models.SPEED_RANGE_UUID, "Supported Speed Range", decode_speed_range
    ),
    Characteristic(
        "incline-range",
        models.INCLINE_RANGE_UUID,
        "Supported Inclination Range",
        decode_incline_range,
    ),
    Characteristic(
        "advertisement", models.FTMS_SERVICE_UUID, "FTMS service data", decode_advertisement
    ),
)

_INDEX: Final = {
    key: c for c in CHARACTERISTICS for key in (c.name, c.uuid, c.short_uuid, "0x" + c.short_uuid)
}


def lookup(name_or_uuid: str) -> Characteristic:
    """Return the characteristic for a name, short UUID (2acd) or full UUID; ConfigError if none."""
    key = name_or_uuid.strip().lower().replace("_", "-")
    found = _INDEX.get(key)
    if found is None:
        allowed = ", ".join(c.name for c in CHARACTERISTICS)
        shorts = ", ".join(c.short_uuid for c in CHARACTERISTICS)
        raise ConfigError(
            f"unknown characteristic {name_or_uuid!r}: use one of {allowed}, "
            f"a short UUID ({shorts}) or a full UUID"
        )
    return found


# JSON keys carry their unit; the record attributes already do except these.
_JSON_KEYS: Final = {"metabolic_equivalent": "metabolic_equivalent_met"}
_OP_FIELDS: Final = frozenset({"op", "request_op"})


def to_json(record: object) -> dict[str, object]:
    """Return a decoded record as a JSON-ready dict: absent values left out, enums by name."""
    if not dataclasses.is_dataclass(record) or isinstance(record, type):
        msg = f"not a decoded record: {record!r}"
        raise TypeError(msg)
    out: dict[str, object] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if value is None or value in (b"", (), frozenset()):
            continue
        key = _JSON_KEYS.get(f.name, f.name)
        if f.name == "suspect":  # Suspicions: attribute -> what contradicts its value
            reasons: dict[str, list[str]] = {}
            for s in value:
                reasons.setdefault(_JSON_KEYS.get(s.field, s.field), []).append(s.reason)
            out[key] = {name: "; ".join(why) for name, why in reasons.items()}
        elif isinstance(value, tuple):
            out[key] = list(value)
        elif isinstance(value, frozenset):  # doubtful: attribute names, sorted
            out[key] = sorted(str(_JSON_KEYS.get(n, n)) for n in value)
        elif f.name in _OP_FIELDS and not isinstance(value, Enum):
            out[key] = f"0x{value:02x}"  # an op code retrowalk has no name for
        else:
            out[key] = _json_value(value)
    return out


def _json_value(value: object) -> object:
    if isinstance(value, IntFlag):
        names = [m.name for m in type(value) if m in value and m.name]
        known = 0
        for m in type(value):
            known |= m.value
        names += [
            f"bit{b}" for b in range(value.bit_length()) if value >> b & 1 and not known >> b & 1
        ]
        return names
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, bytes):
        return value.hex(" ")
    return value


__all__ = ["CHARACTERISTICS", "Characteristic", "decode_control_point", "lookup", "to_json"]
