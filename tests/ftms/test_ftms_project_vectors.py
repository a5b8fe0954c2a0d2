"""Other FTMS projects' own test vectors decode (and encode) to the values their tests expect.

tests/ftms/data/ftms_project_vectors.json holds each case with its repository, commit, path and
line, the bytes, and the values that project's test expects, written in retrowalk's attribute
names and units. Where retrowalk reads the bytes differently, DISAGREEMENTS below gives
retrowalk's values and the spec rule that decides, and the test checks retrowalk's.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from retrowalk.errors import ProtocolError
from retrowalk.ftms.control_point import decode_response, encode_request
from retrowalk.ftms.models import (
    ControlOp,
    MachineFeature,
    ResultCode,
    StatusOp,
    StopKind,
    TargetSettingFeature,
    TrainingStatusCode,
)
from retrowalk.ftms.registry import lookup

DATA = json.loads(
    (Path(__file__).with_name("data") / "ftms_project_vectors.json").read_text(encoding="utf-8")
)
CASES: list[dict[str, Any]] = DATA["cases"]

_PACE_UNIT = (
    "Layout: the 36 bytes fit only the GATT Specification Supplement's uint16 pace, so that is "
    "the layout read and every later field agrees. Unit: retrowalk's pace attributes are FTMS "
    "1.0's km/min; the Supplement's uint16 pace is another unit (seconds per 500 m in this "
    "source), so the two bytes are consumed and the pace reported absent, never invented."
)
_PARAMETER_KEPT = (
    "FTMS 1.0 Control Point: a Response Parameter may follow the result (spin down sends "
    "speeds). retrowalk keeps any bytes after the result as `parameter` instead of refusing the "
    "indication: the device layer waiting on that request must get its result code."
)

# case id -> (retrowalk's values where they differ from the source's, the rule that decides)
DISAGREEMENTS: dict[str, tuple[dict[str, Any], str]] = {
    "bsp-treadmill-all-fields-uint16-pace": (
        {"instantaneous_pace_km_min": None, "average_pace_km_min": None},
        _PACE_UNIT,
    ),
    "ftms-measurement-treadmill-all-fields": (
        {"instantaneous_pace_km_min": None, "average_pace_km_min": None},
        _PACE_UNIT,
    ),
    "ftms-diagnostic-treadmill-reserved-flags": (
        {"truncated": True, "steps": None},
        (
            "FTMS 1.0 reserves flag bit 13; walking pads set it and append a uint24 step count "
            "(the CS-WP8 captures in ftms_public_vectors.json), so retrowalk reads bit 13 as "
            "that count. These 2 data bytes hold the speed (read: 10.0 km/h) but not the count: "
            "the record is truncated, which says more than ignoring a flag would."
        ),
    ),
    "ftms-response-reserved-request-opcode": (
        {"request_op": 0x15, "result": "SUCCESS", "raw_result": 1},
        (
            "FTMS 1.0 Control Point: a response is 0x80, the request's op code, its result. An "
            "op code retrowalk has no name for is kept as its number (docs/reference/ftms.md: "
            "reserved values decode, never crash), so the indication still matches its request."
        ),
    ),
    "ftms-response-unexpected-parameters": (
        {"request_op": "SET_TARGET_POWER", "result": "SUCCESS", "parameter": "aa"},
        _PARAMETER_KEPT,
    ),
    "ftms-response-spin-down-invalid-length": (
        {"request_op": 0x13, "result": "SUCCESS", "parameter": "0203"},
        _PARAMETER_KEPT,
    ),
}

_OPS = {"control-point": ControlOp, "status": StatusOp}


def _value(characteristic: str, name: str, value: Any) -> Any:  # noqa: PLR0911 - one per kind
    """Return an expected value as retrowalk's type (enum members by name, bytes from hex)."""
    if value is None or isinstance(value, bool | float):
        return value
    if name in {"op", "request_op"}:
        return _OPS[characteristic][value] if isinstance(value, str) else value
    if name == "result":
        return ResultCode[value]
    if name == "stop_kind":
        return StopKind[value]
    if name == "status":
        return TrainingStatusCode[value] if isinstance(value, str) else value
    if name in {"machine", "target_setting"}:
        flag = MachineFeature if name == "machine" else TargetSettingFeature
        combined = flag(0)
        for member in value:
            combined |= flag[member]
        return combined
    if name in {"raw_parameter", "parameter"}:
        return bytes.fromhex(value)
    return value


def _same(actual: object, expected: object) -> bool:
    """Numbers to 1e-9 (a source's floats, e.g. m/s * 3.6), everything else by equality."""
    if expected is None or actual is None:
        return actual is expected
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual == expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)
    return actual == expected


def test_cases_come_from_three_projects_and_cover_every_kind() -> None:
    """At least 60 cases from three or more projects, covering every kind retrowalk reads."""
    assert len(CASES) >= 60
    assert len({c["repository"] for c in CASES}) >= 3
    kinds = Counter(c["characteristic"] for c in CASES)
    assert {"treadmill-data", "control-point", "status", "feature"} <= kinds.keys()
    assert kinds["speed-range"] + kinds["incline-range"] > 0
    assert len({c["id"] for c in CASES}) == len(CASES)
    for c in CASES:
        assert len(c["commit"]) == 40
        assert c["line"] >= 1
        assert c["path"]
    by_id = {c["id"]: c for c in CASES}
    for case_id, (override, rule) in DISAGREEMENTS.items():
        source = by_id[case_id]
        stated = source.get("expected", {})
        assert rule
        assert source.get("error") or any(
            name in stated and stated[name] != value for name, value in override.items()
        ), f"{case_id}: retrowalk agrees with the source now; drop the disagreement"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_project_vector(case: dict[str, Any]) -> None:
    """The bytes decode to what the source's test expects, or to retrowalk's stated reading."""
    characteristic = case["characteristic"]
    data = bytes.fromhex(case["hex"])
    decode = decode_response if case.get("read_as") == "response" else lookup(characteristic).decode
    where = f"{case['repository']}@{case['commit'][:10]}:{case['path']}:{case['line']}"
    override, rule = DISAGREEMENTS.get(case["id"], ({}, ""))
    if case.get("error") and not override:
        with pytest.raises(ProtocolError):
            decode(data)
        return
    record = decode(data)
    expected = {**case.get("expected", {}), **override}
    wrong = {
        name: (getattr(record, name), want)
        for name, raw in expected.items()
        if not _same(getattr(record, name), want := _value(characteristic, name, raw))
    }
    assert not wrong, f"{where}: (decoded, expected) differ: {wrong} {rule}"
    if case.get("encode"):
        assert encode_request(record) == data, f"{where}: re-encoding differs"  # type: ignore[arg-type]
