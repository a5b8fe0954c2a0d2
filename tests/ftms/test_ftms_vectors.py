"""Every real byte capture in tests/ftms/data decodes to what its source states.

The table below writes out, per vector, the values its `decoded_by_source` (or, where the source
states nothing, its `notes`) gives; the test id names the device and the source file or thread.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from retrowalk.ftms.models import (
    ControlOp,
    MachineFeature,
    MachineType,
    ResultCode,
    StatusOp,
    StopKind,
    TargetSettingFeature,
    TrainingStatusCode,
)
from retrowalk.ftms.registry import lookup

# A verbatim copy of the public captures, each with its source: the suite runs from the repo alone.
VECTORS_PATH = Path(__file__).with_name("data") / "ftms_public_vectors.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))

MF = MachineFeature
TS = TargetSettingFeature
NO_ENERGY_RATE = {"energy_per_hour_kcal": None, "energy_per_minute_kcal": None}


def walking_pad(
    speed: float, distance: int, energy: int, elapsed: int, steps: int, **more: Any
) -> dict[str, Any]:
    """Expected CS-WP8 record: speed, distance, energy group, elapsed time, bit-13 steps."""
    return {
        "speed_kmh": speed,
        "total_distance_m": distance,
        "total_energy_kcal": energy,
        "energy_per_hour_kcal": 0,
        "energy_per_minute_kcal": 0,
        "elapsed_time_s": elapsed,
        "steps": steps,
        "incline_pct": None,
        "heart_rate_bpm": None,
        "truncated": False,
        **more,
    }


def status(op: StatusOp | int, **more: Any) -> dict[str, Any]:
    """Expected Fitness Machine Status."""
    return {"op": op, **more}


def request(op: ControlOp, **more: Any) -> dict[str, Any]:
    """Expected Control Point request."""
    return {"op": op, **more}


def response(op: ControlOp, result: ResultCode) -> dict[str, Any]:
    """Expected Control Point response indication."""
    return {"request_op": op, "result": result, "raw_result": int(result)}


def training(code: TrainingStatusCode, *, flag: bool) -> dict[str, Any]:
    """Expected Training Status (never a string in these captures)."""
    return {"status": code, "text": None, "string_flag": flag}


# index -> (hex as in the file, expected attribute values)
EXPECTED: dict[int, tuple[str, dict[str, Any]]] = {
    0: ("8424000000000000000000000000000000", walking_pad(0.0, 0, 0, 0, 0)),
    1: ("8424960000000000000000000000000000", walking_pad(1.5, 0, 0, 0, 0)),
    2: ("84242c0131000002000000003d005b0000", walking_pad(3.0, 49, 2, 61, 91)),
    3: ("8424140031000003000000004600640000", walking_pad(0.2, 49, 3, 70, 100)),
    4: ("040000", status(StatusOp.STARTED_OR_RESUMED_BY_USER, raw_parameter=b"")),
    5: ("055802", status(StatusOp.TARGET_SPEED_CHANGED, target_speed_kmh=6.0)),
    6: ("059600", status(StatusOp.TARGET_SPEED_CHANGED, target_speed_kmh=1.5)),
    7: ("020100", status(StatusOp.STOPPED_OR_PAUSED_BY_USER, stop_kind=StopKind.STOP)),
    8: (
        "4412000001000000",
        {
            "machine": MF.TOTAL_DISTANCE | MF.STEP_COUNT | MF.EXPENDED_ENERGY | MF.ELAPSED_TIME,
            "target_setting": TS.SPEED,
        },
    ),
    9: ("640058023200", {"minimum_kmh": 1.0, "maximum_kmh": 6.0, "increment_kmh": 0.5}),
    10: ("0101", training(TrainingStatusCode.IDLE, flag=True)),
    11: ("010e", training(TrainingStatusCode.PRE_WORKOUT, flag=True)),
    12: ("010d", training(TrainingStatusCode.MANUAL_MODE, flag=True)),
    13: ("010f", training(TrainingStatusCode.POST_WORKOUT, flag=True)),
    14: ("07", request(ControlOp.START_OR_RESUME)),
    15: ("800701", response(ControlOp.START_OR_RESUME, ResultCode.SUCCESS)),
    16: ("00", request(ControlOp.REQUEST_CONTROL)),
    17: ("800001", response(ControlOp.REQUEST_CONTROL, ResultCode.SUCCESS)),
    18: ("029600", request(ControlOp.SET_TARGET_SPEED, speed_kmh=1.5)),
    19: ("059600", status(StatusOp.TARGET_SPEED_CHANGED, target_speed_kmh=1.5)),
    20: ("800201", response(ControlOp.SET_TARGET_SPEED, ResultCode.SUCCESS)),
    21: ("025802", request(ControlOp.SET_TARGET_SPEED, speed_kmh=6.0)),
    22: ("0801", request(ControlOp.STOP_OR_PAUSE, stop_kind=StopKind.STOP)),
    23: ("0201", status(StatusOp.STOPPED_OR_PAUSED_BY_USER, stop_kind=StopKind.STOP)),
    24: ("800801", response(ControlOp.STOP_OR_PAUSE, ResultCode.SUCCESS)),
    25: ("04", status(StatusOp.STARTED_OR_RESUMED_BY_USER)),
    26: (
        "842458020000000000ffffff0200000000",
        walking_pad(6.0, 0, 0, 2, 0, **NO_ENERGY_RATE),
    ),
    27: (
        "84244e020000000000ffffff0200000000",
        walking_pad(5.9, 0, 0, 2, 0, **NO_ENERGY_RATE),
    ),
    28: (
        "8424c8002100000100ffffff3c00410000",
        walking_pad(2.0, 33, 1, 60, 65, **NO_ENERGY_RATE),
    ),
    29: (
        "8404000000000000000000000000",
        {
            "speed_kmh": 0.0,
            "total_distance_m": 0,
            "total_energy_kcal": 0,
            "energy_per_hour_kcal": 0,
            "energy_per_minute_kcal": 0,
            "elapsed_time_s": 0,
            "steps": None,
            "truncated": False,
        },
    ),
    30: (
        "5c16000003000000",
        {
            "machine": MF.TOTAL_DISTANCE
            | MF.INCLINATION
            | MF.ELEVATION_GAIN
            | MF.STEP_COUNT
            | MF.EXPENDED_ENERGY
            | MF.HEART_RATE
            | MF.ELAPSED_TIME,
            "target_setting": TS.SPEED | TS.INCLINATION,
        },
    ),
    31: ("0101", training(TrainingStatusCode.IDLE, flag=True)),
    32: ("0000", training(TrainingStatusCode.OTHER, flag=False)),
    33: (
        "012000",
        {"available": True, "machine_types": MachineType.INDOOR_BIKE, "is_treadmill": False},
    ),
    34: ("800001", response(ControlOp.REQUEST_CONTROL, ResultCode.SUCCESS)),
    35: ("04", status(StatusOp.STARTED_OR_RESUMED_BY_USER)),
    36: ("800101", response(ControlOp.RESET, ResultCode.SUCCESS)),
    37: ("0201", status(StatusOp.STOPPED_OR_PAUSED_BY_USER, stop_kind=StopKind.STOP)),
    38: ("0000", training(TrainingStatusCode.OTHER, flag=False)),
    39: ("800704", response(ControlOp.START_OR_RESUME, ResultCode.OPERATION_FAILED)),
    40: ("0c16000003000000", {"target_setting": TS.SPEED | TS.INCLINATION}),
    41: ("3200d0070a00", {"minimum_kmh": 0.5, "maximum_kmh": 20.0, "increment_kmh": 0.1}),
    42: ("000096000a00", {"minimum_pct": 0.0, "maximum_pct": 15.0, "increment_pct": 1.0}),
    43: ("0000", training(TrainingStatusCode.OTHER, flag=False)),
    44: ("00", request(ControlOp.REQUEST_CONTROL)),
    45: ("800001", response(ControlOp.REQUEST_CONTROL, ResultCode.SUCCESS)),
    46: ("023c00", request(ControlOp.SET_TARGET_SPEED, speed_kmh=0.6)),
    47: ("024600", request(ControlOp.SET_TARGET_SPEED, speed_kmh=0.7)),
    48: ("023200", request(ControlOp.SET_TARGET_SPEED, speed_kmh=0.5)),
    49: ("800201", response(ControlOp.SET_TARGET_SPEED, ResultCode.SUCCESS)),
    50: ("030a00", request(ControlOp.SET_TARGET_INCLINATION, incline_pct=1.0)),
    51: ("800301", response(ControlOp.SET_TARGET_INCLINATION, ResultCode.SUCCESS)),
    52: ("800701", response(ControlOp.START_OR_RESUME, ResultCode.SUCCESS)),
    53: ("800804", response(ControlOp.STOP_OR_PAUSE, ResultCode.OPERATION_FAILED)),
    54: ("056900", status(StatusOp.TARGET_SPEED_CHANGED, target_speed_kmh=1.05)),
    55: ("800205", response(ControlOp.SET_TARGET_SPEED, ResultCode.CONTROL_NOT_PERMITTED)),
}


def _vector_id(index: int) -> str:
    """Return a test id naming the device and the source of a vector."""
    vector = VECTORS[index]
    device = (vector.get("device") or "synthetic").split(" (")[0].split(",")[0]
    source = re.sub(r"@[0-9a-f]{40}", "", vector["source"]).split(" ")[0]
    source = source.replace("https://github.com/", "").replace("github:", "")
    return f"{index:02d} {device} <{source}>"


def _matches(actual: object, expected: object) -> bool:
    """Floats compare to 1e-9; everything else by value and exact type (enums by enum)."""
    if isinstance(expected, float):
        return isinstance(actual, float) and math.isclose(actual, expected, abs_tol=1e-9)
    return type(actual) is type(expected) and actual == expected


def test_table_covers_every_vector() -> None:
    """The expectation table has exactly one entry per vector in public.json, same bytes."""
    assert sorted(EXPECTED) == list(range(len(VECTORS)))
    assert [EXPECTED[i][0] for i in range(len(VECTORS))] == [v["hex"] for v in VECTORS]


@pytest.mark.parametrize("index", range(len(VECTORS)), ids=_vector_id)
def test_vector_decodes_as_its_source_states(index: int) -> None:
    """The captured bytes decode to the values the source (or its notes) gives."""
    vector = VECTORS[index]
    hex_text, expected = EXPECTED[index]
    record = lookup(vector["characteristic"].split()[0]).decode(bytes.fromhex(hex_text))
    wrong = {
        name: (getattr(record, name), value)
        for name, value in expected.items()
        if not _matches(getattr(record, name), value)
    }
    assert not wrong, f"{vector['source']}: (decoded, stated) differ: {wrong}"
