"""FTMS records as frozen dataclasses in domain units (km/h, %, m, s, kcal, bpm).

CONTRACT shared by the protocol codecs, the simulator, the device layer and the engine. Wire
formats live in the codec modules next to this one; nothing else sees raw wire integers.
A field that the machine did not send, or sent as "not available", is None.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum, IntFlag
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

# ---- UUIDs -----------------------------------------------------------------------------------

FTMS_SERVICE_UUID = "00001826-0000-1000-8000-00805f9b34fb"
FEATURE_UUID = "00002acc-0000-1000-8000-00805f9b34fb"
TREADMILL_DATA_UUID = "00002acd-0000-1000-8000-00805f9b34fb"
TRAINING_STATUS_UUID = "00002ad3-0000-1000-8000-00805f9b34fb"
SPEED_RANGE_UUID = "00002ad4-0000-1000-8000-00805f9b34fb"
INCLINE_RANGE_UUID = "00002ad5-0000-1000-8000-00805f9b34fb"
CONTROL_POINT_UUID = "00002ad9-0000-1000-8000-00805f9b34fb"
STATUS_UUID = "00002ada-0000-1000-8000-00805f9b34fb"


# ---- Treadmill Data (0x2ACD) -------------------------------------------------------------------


@dataclass(frozen=True)
class Suspicion:
    """A value of a record that the machine's own declarations (Feature, ranges) contradict."""

    field: str  # the TreadmillData attribute, e.g. "incline_pct"
    reason: str  # what contradicts it, e.g. "30.0 % is above the Incline Range maximum 15.0 %"


@dataclass(frozen=True)
class TreadmillData:
    """One merged Treadmill Data record, in domain units, with what the bytes left in doubt.

    `truncated`: the notification was shorter than any layout its flags allow (values after the
    cut are None). `ambiguous`: why the bytes fit more than one layout (empty when they fit one);
    the values are those of the preferred layout (docs/reference/ftms.md), and `doubtful` names
    the attributes another fitting layout would read differently (the others are the same in
    every reading). `suspect`: values the machine's Feature or ranges contradict, set by
    `retrowalk.ftms.suspect.mark_suspect`.
    """

    speed_kmh: float | None = None
    average_speed_kmh: float | None = None
    total_distance_m: int | None = None
    incline_pct: float | None = None
    ramp_angle_deg: float | None = None
    positive_elevation_gain_m: float | None = None
    negative_elevation_gain_m: float | None = None
    instantaneous_pace_km_min: float | None = None
    average_pace_km_min: float | None = None
    total_energy_kcal: int | None = None
    energy_per_hour_kcal: int | None = None
    energy_per_minute_kcal: int | None = None
    heart_rate_bpm: int | None = None
    metabolic_equivalent: float | None = None
    elapsed_time_s: int | None = None
    remaining_time_s: int | None = None
    force_on_belt_n: int | None = None
    power_output_w: int | None = None
    steps: int | None = None  # vendor extension: flag bit 13, uint24 after the standard fields
    truncated: bool = False
    ambiguous: tuple[str, ...] = ()
    suspect: tuple[Suspicion, ...] = ()
    doubtful: frozenset[str] = frozenset()

    @property
    def suspect_fields(self) -> frozenset[str]:
        """Return the attributes whose values are suspect (empty when none is)."""
        return frozenset(s.field for s in self.suspect)

    @classmethod
    def from_values(
        cls,
        values: Mapping[str, float | int | None],
        *,
        truncated: bool = False,
        ambiguous: tuple[str, ...] = (),
        doubtful: frozenset[str] = frozenset(),
    ) -> TreadmillData:
        """Return `TreadmillData(**values, truncated=..., ...)` (TypeError if unknown)."""
        # Decoders and the simulator build one record per notification: filling the instance
        # dict at once costs a quarter of the generated frozen __init__ (a setattr per field).
        if not values.keys() <= _TREADMILL_NAMES:
            unknown = ", ".join(sorted(values.keys() - _TREADMILL_NAMES))
            raise TypeError(f"TreadmillData has no field(s) {unknown}")
        record = object.__new__(cls)
        attributes = record.__dict__
        attributes.update(_TREADMILL_EMPTY)
        attributes.update(values)
        attributes["truncated"] = truncated
        attributes["ambiguous"] = ambiguous
        attributes["doubtful"] = doubtful
        return record


_MARKS = frozenset({"truncated", "ambiguous", "suspect", "doubtful"})
# The value attributes of TreadmillData in wire order (everything but the marks).
TREADMILL_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(TreadmillData) if f.name not in _MARKS
)
_TREADMILL_EMPTY: dict[str, object] = {
    **dict.fromkeys(TREADMILL_FIELDS),
    "truncated": False,
    "ambiguous": (),
    "suspect": (),
    "doubtful": frozenset(),
}
_TREADMILL_NAMES = frozenset(TREADMILL_FIELDS)


# ---- Fitness Machine Feature (0x2ACC) ----------------------------------------------------------


class MachineFeature(IntFlag):
    """Fitness Machine Features field (first uint32)."""

    AVERAGE_SPEED = 1 << 0
    CADENCE = 1 << 1
    TOTAL_DISTANCE = 1 << 2
    INCLINATION = 1 << 3
    ELEVATION_GAIN = 1 << 4
    PACE = 1 << 5
    STEP_COUNT = 1 << 6
    RESISTANCE_LEVEL = 1 << 7
    STRIDE_COUNT = 1 << 8
    EXPENDED_ENERGY = 1 << 9
    HEART_RATE = 1 << 10
    METABOLIC_EQUIVALENT = 1 << 11
    ELAPSED_TIME = 1 << 12
    REMAINING_TIME = 1 << 13
    POWER_MEASUREMENT = 1 << 14
    FORCE_ON_BELT_AND_POWER = 1 << 15
    USER_DATA_RETENTION = 1 << 16


class TargetSettingFeature(IntFlag):
    """Target Setting Features field (second uint32)."""

    SPEED = 1 << 0
    INCLINATION = 1 << 1
    RESISTANCE = 1 << 2
    POWER = 1 << 3
    HEART_RATE = 1 << 4
    EXPENDED_ENERGY = 1 << 5
    STEP_NUMBER = 1 << 6
    STRIDE_NUMBER = 1 << 7
    DISTANCE = 1 << 8
    TRAINING_TIME = 1 << 9
    TIME_IN_TWO_HR_ZONES = 1 << 10
    TIME_IN_THREE_HR_ZONES = 1 << 11
    TIME_IN_FIVE_HR_ZONES = 1 << 12
    INDOOR_BIKE_SIMULATION = 1 << 13
    WHEEL_CIRCUMFERENCE = 1 << 14
    SPIN_DOWN = 1 << 15
    CADENCE = 1 << 16


@dataclass(frozen=True)
class Features:
    """What the machine says it can report and accept (often wrong: trust result codes)."""

    machine: MachineFeature
    target_setting: TargetSettingFeature


# ---- Supported ranges (0x2AD4, 0x2AD5) ---------------------------------------------------------


@dataclass(frozen=True)
class SpeedRange:
    """Supported Speed Range in km/h."""

    minimum_kmh: float
    maximum_kmh: float
    increment_kmh: float


@dataclass(frozen=True)
class InclineRange:
    """Supported Inclination Range in %."""

    minimum_pct: float
    maximum_pct: float
    increment_pct: float


# ---- Control Point (0x2AD9) --------------------------------------------------------------------


class ControlOp(IntEnum):
    """Control Point op codes (those a treadmill uses are named; others decode as int)."""

    REQUEST_CONTROL = 0x00
    RESET = 0x01
    SET_TARGET_SPEED = 0x02
    SET_TARGET_INCLINATION = 0x03
    SET_TARGET_RESISTANCE = 0x04
    SET_TARGET_POWER = 0x05
    SET_TARGET_HEART_RATE = 0x06
    START_OR_RESUME = 0x07
    STOP_OR_PAUSE = 0x08
    RESPONSE = 0x80


class StopKind(IntEnum):
    """Parameter of Stop or Pause (and of status 0x02)."""

    STOP = 0x01
    PAUSE = 0x02


class ResultCode(IntEnum):
    """Control Point result codes; reserved values decode to `UNKNOWN` with the raw value kept."""

    UNKNOWN = 0x00
    SUCCESS = 0x01
    NOT_SUPPORTED = 0x02
    INVALID_PARAMETER = 0x03
    OPERATION_FAILED = 0x04
    CONTROL_NOT_PERMITTED = 0x05


@dataclass(frozen=True)
class ControlRequest:
    """A Control Point request. `op` is a ControlOp, or the raw int for an unnamed op.

    Exactly the parameter that the op takes is set: speed for 0x02, incline for 0x03,
    stop_kind for 0x08; `raw_parameter` keeps the bytes of any other op.
    """

    op: ControlOp | int
    speed_kmh: float | None = None
    incline_pct: float | None = None
    stop_kind: StopKind | None = None
    raw_parameter: bytes = b""


@dataclass(frozen=True)
class ControlResponse:
    """A Control Point indication `80 <request op> <result>` (+ optional response parameter)."""

    request_op: ControlOp | int
    result: ResultCode
    raw_result: int
    parameter: bytes = b""


# ---- Fitness Machine Status (0x2ADA) -----------------------------------------------------------


class StatusOp(IntEnum):
    """Fitness Machine Status op codes that matter for treadmills; others decode as int."""

    RESET = 0x01
    STOPPED_OR_PAUSED_BY_USER = 0x02
    STOPPED_BY_SAFETY_KEY = 0x03
    STARTED_OR_RESUMED_BY_USER = 0x04
    TARGET_SPEED_CHANGED = 0x05
    TARGET_INCLINE_CHANGED = 0x06
    CONTROL_PERMISSION_LOST = 0xFF


@dataclass(frozen=True)
class MachineStatus:
    """One Fitness Machine Status notification; trailing padding ignored."""

    op: StatusOp | int
    stop_kind: StopKind | None = None  # for STOPPED_OR_PAUSED_BY_USER
    target_speed_kmh: float | None = None  # for TARGET_SPEED_CHANGED
    target_incline_pct: float | None = None  # for TARGET_INCLINE_CHANGED
    raw_parameter: bytes = b""  # for ops without a named parameter


# ---- Training Status (0x2AD3) ------------------------------------------------------------------


class TrainingStatusCode(IntEnum):
    """Training Status values."""

    OTHER = 0
    IDLE = 1
    WARMING_UP = 2
    LOW_INTENSITY_INTERVAL = 3
    HIGH_INTENSITY_INTERVAL = 4
    RECOVERY = 5
    ISOMETRIC = 6
    HEART_RATE_CONTROL = 7
    FITNESS_TEST = 8
    SPEED_OUTSIDE_CONTROL_REGION_LOW = 9
    SPEED_OUTSIDE_CONTROL_REGION_HIGH = 10
    COOL_DOWN = 11
    WATT_CONTROL = 12
    MANUAL_MODE = 13
    PRE_WORKOUT = 14
    POST_WORKOUT = 15


@dataclass(frozen=True)
class TrainingStatus:
    """Training Status; `status` is the raw int when it is not a known value."""

    status: TrainingStatusCode | int
    text: str | None = None
    string_flag: bool = False  # the flag promised a string (which may be missing)


# ---- Advertisement (service data for 0x1826) ---------------------------------------------------


class MachineType(IntFlag):
    """Machine types in the FTMS advertisement."""

    TREADMILL = 1 << 0
    CROSS_TRAINER = 1 << 1
    STEP_CLIMBER = 1 << 2
    STAIR_CLIMBER = 1 << 3
    ROWER = 1 << 4
    INDOOR_BIKE = 1 << 5


@dataclass(frozen=True)
class Advertisement:
    """FTMS service data: machine available, and which machine types."""

    available: bool
    machine_types: MachineType
    byte_swapped: bool = False  # the machine sent the type bytes swapped

    @property
    def is_treadmill(self) -> bool:
        """Return whether the treadmill bit is set."""
        return MachineType.TREADMILL in self.machine_types
