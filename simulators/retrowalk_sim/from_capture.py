"""A captured machine as a simulator profile: its declarations, record layout, cadence, quirks.

Public API: `load_profile(path)` (the profile of a capture file; ConfigError for a bad file),
`profile_from_capture(capture, name)`: a `MachineProfile` whose Feature, ranges
and local name are the capture's own, whose Treadmill Data carries the field groups the capture's
records carried (split the way they were split), sent at the capture's cadence, and whose
server behaves as measured: answer codes (Request Control refused, Stops refused), the delay
from a write to its indication, the start delay and the belt's acceleration in the control
check, padded status, the training-status string flag. What the capture does not show keeps
the "home" profile's value, and `extra_notes` says which were measured and which assumed.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import replace
from typing import TYPE_CHECKING

from retrowalk.errors import ProtocolError
from retrowalk.ftms.capture import load_capture
from retrowalk.ftms.feature import decode_features
from retrowalk.ftms.models import (
    CONTROL_POINT_UUID,
    FEATURE_UUID,
    INCLINE_RANGE_UUID,
    SPEED_RANGE_UUID,
    STATUS_UUID,
    TRAINING_STATUS_UUID,
    TREADMILL_DATA_UUID,
    ControlOp,
    ResultCode,
    SpeedRange,
    TreadmillData,
)
from retrowalk.ftms.ranges import decode_incline_range, decode_speed_range
from retrowalk.ftms.treadmill_data import decode_part
from retrowalk_sim.profiles import HOME, MachineProfile, RecordField

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from retrowalk.ftms.capture import Capture, Packet

# Treadmill Data flag bits (FTMS 4.9.1.1) and the profile's field group each one turns on.
_GROUPS: dict[int, RecordField] = {
    1: "average_speed_kmh",
    2: "total_distance_m",
    3: "incline_pct",
    4: "elevation_gain_m",
    5: "pace",
    6: "pace",
    7: "energy",
    8: "heart_rate_bpm",
    9: "metabolic_equivalent",
    10: "elapsed_time_s",
    11: "remaining_time_s",
    12: "force_and_power",
    13: "steps",
}
_MORE_DATA = 0x0001
_SLOWEST_HZ, _FASTEST_HZ = 0.5, 10.0
_BARE_STATUS = (b"\x01", b"\x03", b"\x04")


def load_profile(path: Path) -> MachineProfile:
    """Return the profile of the capture file at `path` (its name is the path as given)."""
    return profile_from_capture(load_capture(path), str(path))


def profile_from_capture(capture: Capture, name: str) -> MachineProfile:
    """Return the simulator profile of a captured machine (see the module docstring)."""
    notes: list[str] = []
    declared = _declarations(capture, notes)
    records = [p.data for p in capture.packets(TREADMILL_DATA_UUID) if len(p.data) >= 2]
    measured: dict[str, object] = {**declared, **_records(records, notes)}
    measured.update(_cadence(capture.packets(TREADMILL_DATA_UUID), notes))
    measured.update(_status(capture, notes))
    measured.update(_control(capture, notes))
    profile = replace(
        HOME,
        name=name,
        description=f"captured {capture.name} ({capture.source})",
        local_name=capture.name,
        **measured,  # type: ignore[arg-type]
    )
    return replace(profile, extra_notes=(*capture.notes, *notes))


def _declarations(capture: Capture, notes: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    read = _reader(capture, notes)
    features = read(FEATURE_UUID, decode_features)
    if features is not None:
        out["features"] = features
    speed = read(SPEED_RANGE_UUID, decode_speed_range)
    if speed is None:
        top = max((s for s in _speeds(capture) if s is not None), default=0.0)
        speed = SpeedRange(0.5, max(6.0, top), 0.1)
        notes.append(f"no Speed Range in the capture: assumed {speed.minimum_kmh:g}-"
                     f"{speed.maximum_kmh:g} km/h step 0.1")  # fmt: skip
    out["speed_range"] = speed
    out["incline_range"] = read(INCLINE_RANGE_UUID, decode_incline_range)
    control = capture.characteristic(CONTROL_POINT_UUID)
    out["has_control_point"] = control is not None or bool(capture.packets(CONTROL_POINT_UUID))
    if control is not None and control.properties:
        out["control_point_without_response"] = "write" not in control.properties
    return out


def _reader(capture: Capture, notes: list[str]) -> Callable[..., object]:
    def read(uuid: str, decode: Callable[[bytes], object]) -> object:
        found = capture.characteristic(uuid)
        data = found.data if found is not None else None
        if data is None:
            data = next((p.data for p in capture.packets(uuid, "read")), None)
        if data is None:
            return None
        try:
            return decode(data)
        except ProtocolError as exc:
            notes.append(f"{uuid[4:8]} as captured is malformed ({exc}): ignored")
            return None

    return read


def _records(records: list[bytes], notes: list[str]) -> dict[str, object]:
    if not records:
        notes.append("no Treadmill Data in the capture: the home profile's fields")
        return {}
    flags = [int.from_bytes(r[:2], "little") for r in records]
    fields = frozenset(group for f in flags for bit, group in _GROUPS.items() if f >> bit & 1)
    out: dict[str, object] = {"record_fields": fields}
    if any(f & _MORE_DATA for f in flags):
        out["split_payload"] = max(len(r) for r in records)
        notes.append(f"records split over notifications of up to {out['split_payload']} bytes")
    decoded = [_decoded(r) for r in records]
    if "energy" in fields:
        out["energy_rates"] = any(d is not None and d.energy_per_hour_kcal is not None
                                  for d in decoded)  # fmt: skip
    if "incline_pct" in fields:
        out["ramp_angle"] = any(d is not None and d.ramp_angle_deg is not None for d in decoded)
    return out


def _decoded(record: bytes) -> TreadmillData | None:
    try:
        return decode_part(record)[0]
    except ProtocolError:
        return None


def _speeds(capture: Capture) -> list[float | None]:
    return [
        getattr(_decoded(p.data), "speed_kmh", None) for p in capture.packets(TREADMILL_DATA_UUID)
    ]


def _cadence(packets: list[Packet], notes: list[str]) -> dict[str, object]:
    # A record split over notifications ends with the part that has no More Data bit.
    ends = [p for p in packets if len(p.data) >= 2 and not p.data[0] & _MORE_DATA]
    times = [p.t for p in ends if p.t is not None]
    gaps = [b - a for a, b in itertools.pairwise(times) if b > a]
    if len(gaps) < 3:
        notes.append("no timing of Treadmill Data: the home profile's cadence")
        return {}
    hz = min(_FASTEST_HZ, max(_SLOWEST_HZ, 1.0 / statistics.median(gaps)))
    notes.append(f"Treadmill Data every {1 / hz:.2f} s, as measured")
    return {"notify_hz": round(hz, 2)}


def _status(capture: Capture, notes: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    # Reset, Stopped by the safety key and Started have no parameter: longer ones are padded.
    bare = [len(p.data) for p in capture.packets(STATUS_UUID) if p.data[:1] in _BARE_STATUS]
    if bare and min(bare) > 1:
        out["status_padding"] = min(bare)
        notes.append(f"status notifications padded to {min(bare)} bytes")
    training = [p.data for p in capture.packets(TRAINING_STATUS_UUID)]
    if any(len(t) == 2 and t[0] & 0x01 for t in training):
        out["training_status_string_flag"] = True
    return out


def _control(capture: Capture, notes: list[str]) -> dict[str, object]:
    """Quirks of the control point: what each request was answered, and how soon."""
    out: dict[str, object] = {}
    answers = _answers(capture.packets(CONTROL_POINT_UUID))
    codes: dict[int, list[int]] = {}
    for write, answer in answers:
        codes.setdefault(write.data[0], []).append(answer.data[2])
    refused = ResultCode.OPERATION_FAILED
    first_request = next(
        (i for i, (w, _) in enumerate(answers) if w.data[0] == ControlOp.REQUEST_CONTROL), None
    )
    early = answers if first_request is None else answers[:first_request]
    if any(a.data[2] == ResultCode.SUCCESS for _, a in early):
        out["control_enforced"] = False
        notes.append("a command succeeded before any Request Control: control not enforced")
    if codes.get(ControlOp.REQUEST_CONTROL) and all(
        c == refused for c in codes[ControlOp.REQUEST_CONTROL]
    ):
        out.update(refuses_request_control=True, control_enforced=False)
        notes.append("Request Control answered 0x04, yet commands worked: control not enforced")
    stops = codes.get(ControlOp.STOP_OR_PAUSE, [])
    failed = sum(c == refused for c in stops)
    if failed:
        out["stop_fails_every"] = max(2, round(len(stops) / failed))
        notes.append(f"{failed} of {len(stops)} Stop requests answered 0x04")
    delays = [a.t - w.t for w, a in answers if w.t is not None and a.t is not None and a.t >= w.t]
    if delays:
        out["indication_delay_s"] = round(statistics.median(delays), 3)
        notes.append(f"control point answered after {out['indication_delay_s']} s, as measured")
    out.update(_belt(capture, notes))
    return out


def _answers(packets: list[Packet]) -> list[tuple[Packet, Packet]]:
    """Return each control point write with the indication that answered it (80 op code)."""
    pairs = []
    pending: Packet | None = None
    for packet in packets:
        data = packet.data
        if packet.direction == "write" and data:
            pending = packet
        elif (
            pending is not None
            and len(data) >= 3
            and data[:2] == bytes([ControlOp.RESPONSE, pending.data[0]])
        ):
            pairs.append((pending, packet))
            pending = None
    return pairs


def _belt(capture: Capture, notes: list[str]) -> dict[str, object]:
    """Start delay and acceleration, from a timed control check's Start and the speeds after it."""
    starts = [p for p in capture.packets(CONTROL_POINT_UUID, "write")
              if p.data[:1] == bytes([ControlOp.START_OR_RESUME]) and p.t is not None]  # fmt: skip
    if not starts:
        return {}
    started = starts[0].t
    assert started is not None
    timed = [(p.t, _decoded(p.data)) for p in capture.packets(TREADMILL_DATA_UUID)]
    speeds = [(t, getattr(d, "speed_kmh", None)) for t, d in timed if t is not None and t > started]
    moving = [(t, s) for t, s in speeds if s]
    if not moving:
        return {}
    out: dict[str, object] = {"start_delay_s": round(max(0.0, moving[0][0] - started), 2)}
    if len(moving) >= 2 and moving[1][0] > moving[0][0] and moving[1][1] > moving[0][1]:
        rate = (moving[1][1] - moving[0][1]) / (moving[1][0] - moving[0][0])
        out["accel_kmh_per_s"] = round(min(3.0, max(0.1, rate)), 2)
    notes.append(f"belt moved {out['start_delay_s']} s after Start, as measured")
    return out
