"""Named machine profiles: what a simulated treadmill reports, accepts, and how it misbehaves.

Public API:
- `MachineProfile`: a frozen description of one machine (ranges, features, physics rates,
  notification cadence, FTMS server quirks). `dataclasses.replace(profile, ...)` derives variants;
  `SimWorld.add(profile=..., tweaks={...})` does the same by field name.
- `PROFILES: dict[str, MachineProfile]`: "home" (spec-faithful home treadmill, the default),
  "walking-pad" (CITYSPORTS CS-WP8 capture), "kingsmith", "fr30z", "truncating", "split",
  "data-only", "speed-locked", "us-treadmill" (0.1 mph grid), "reads-mph" (targets read as mph).
- `get_profile(name) -> MachineProfile` (KeyError naming the allowed names); a name ending in
  .json is a capture file (`retrowalk probe -o FILE`, `is_capture(name)`).

Every number here is taken from docs/reference/ftms.md and the public captures it cites; the
profiles added for issue 12 name their sources beside their fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, get_args

from retrowalk.errors import ConfigError
from retrowalk.ftms.models import (
    Features,
    InclineRange,
    MachineFeature,
    SpeedRange,
    TargetSettingFeature,
)

RecordField = Literal[
    "average_speed_kmh",
    "total_distance_m",
    "incline_pct",
    "elevation_gain_m",
    "pace",
    "energy",
    "heart_rate_bpm",
    "metabolic_equivalent",
    "elapsed_time_s",
    "remaining_time_s",
    "force_and_power",
    "steps",
]
"""Optional groups of Treadmill Data a profile reports (instantaneous speed is always sent)."""

HOME_FIELDS: frozenset[RecordField] = frozenset(
    {"total_distance_m", "incline_pct", "elevation_gain_m", "energy", "elapsed_time_s"}
)
# Every standard group; the vendor step count (flag bit 13) is a walking-pad extension.
ALL_FIELDS: frozenset[RecordField] = frozenset(get_args(RecordField)) - {"steps"}


@dataclass(frozen=True)
class MachineProfile:
    """One simulated machine: ranges, features, physics and FTMS server behaviour."""

    name: str
    description: str
    local_name: str
    speed_range: SpeedRange
    incline_range: InclineRange | None
    features: Features
    record_fields: frozenset[RecordField] = HOME_FIELDS
    # -- physics --
    accel_kmh_per_s: float = 1.0
    decel_kmh_per_s: float = 1.0
    coast_kmh_per_s: float = 1.0  # after stop or pause
    incline_pct_per_s: float = 1.2  # EN 957-6: under ~1.75 %/s
    speed_lag_s: float = 0.6  # acknowledgement -> belt starts to change
    incline_lag_s: float = 0.15
    start_delay_s: float = 2.0  # countdown between Start and belt motion
    target_mode: Literal["round", "truncate"] = "round"
    speed_in_mph: bool = False  # reads FTMS speed numbers as mph (and reports them so)
    reports_kmh: bool = False  # with speed_in_mph: the data shows the real belt speed in km/h
    # -- notifications --
    advertisement_byte_swapped: bool = False  # `01 00 01` instead of `01 01 00`
    # Records a second. Real machines send 2-5 notifications a second (reference/ftms.md); a
    # home record (22 bytes) takes two at the default MTU of 23, so 2 records are 4 notifications.
    notify_hz: float = 2.0
    split_payload: int | None = None  # always split records at this payload size
    oversize: Literal["split", "truncate"] = "split"  # what a record too big for the MTU becomes
    energy_rates: bool = True  # False: energy per hour/minute sent as "not available"
    ramp_angle: bool = True  # False: ramp angle sent as "not available" (0x7FFF)
    status_padding: int = 0  # pad status notifications to this many bytes (walking pads: 3)
    training_status_string_flag: bool = False  # `01 xx`: string flag set, no string sent
    training_status_fixed: int | None = None  # always report this value (FR30Z: 0 "other")
    indication_delay_s: float = 0.0  # > link latency: the write returns before the indication
    echo_own_changes: bool = True  # status for the client's own changes, before the indication
    console_stop_silence_s: float = 0.0  # no Treadmill Data for this long after a console stop
    # -- control point --
    has_control_point: bool = True
    control_point_without_response: bool = False  # write-without-response only (spec violation)
    control_enforced: bool = True  # 0x05 until Request Control succeeded
    console_revokes_control: bool = False  # a console key press ends control, status 0xFF
    revoke_control_on_pause: bool = False  # silently, no 0xFF
    refuses_request_control: bool = False  # Request Control answers 0x04 (KS-MC21), nothing else
    revoke_control_on_stop: bool = False
    speed_refused_after_start_s: float = 0.0  # 0x05 for Set Target Speed (Kingsmith spin-up)
    speed_while_idle: Literal["accept", "reject"] = "accept"  # reject = 0x04
    start_needs_console: bool = False  # Start acked, belt waits for console start (FR30Z)
    stop_fails_every: int = 0  # the 1st, (1+n)th, ... Stop requests answer 0x04 (FR30Z: 2)
    ignores_speed: bool = False  # Set Target Speed acked with success and ignored
    stop_on_disconnect: bool = False
    extra_notes: tuple[str, ...] = field(default=())

    def with_tweaks(self, **tweaks: object) -> MachineProfile:
        """Return a copy with the named fields replaced (TypeError names an unknown field)."""
        return replace(self, **tweaks)  # type: ignore[arg-type]


_TREADMILL_REPORTS = (
    MachineFeature.TOTAL_DISTANCE
    | MachineFeature.INCLINATION
    | MachineFeature.ELEVATION_GAIN
    | MachineFeature.EXPENDED_ENERGY
    | MachineFeature.ELAPSED_TIME
)
_SPEED_AND_INCLINE = TargetSettingFeature.SPEED | TargetSettingFeature.INCLINATION

HOME = MachineProfile(
    name="home",
    description="spec-faithful home treadmill: 0.5-20 km/h step 0.1, 0-15 % step 1",
    local_name="RW Home Treadmill",
    speed_range=SpeedRange(0.5, 20.0, 0.1),
    incline_range=InclineRange(0.0, 15.0, 1.0),
    features=Features(_TREADMILL_REPORTS, _SPEED_AND_INCLINE),
)

WALKING_PAD = MachineProfile(
    name="walking-pad",
    description="CITYSPORTS CS-WP8 walking pad: 1-6 km/h step 0.5, no incline, bit-13 steps",
    local_name="CITYSPORTS-Linker",
    speed_range=SpeedRange(1.0, 6.0, 0.5),
    incline_range=None,
    # 44 12 00 00 01 00 00 00 as captured
    features=Features(
        MachineFeature.TOTAL_DISTANCE
        | MachineFeature.STEP_COUNT
        | MachineFeature.EXPENDED_ENERGY
        | MachineFeature.ELAPSED_TIME,
        TargetSettingFeature.SPEED,
    ),
    record_fields=frozenset({"total_distance_m", "energy", "elapsed_time_s", "steps"}),
    accel_kmh_per_s=0.5,
    decel_kmh_per_s=0.4,
    coast_kmh_per_s=0.4,
    speed_lag_s=0.5,
    start_delay_s=3.0,
    notify_hz=2.0,
    status_padding=3,
    energy_rates=False,
    training_status_string_flag=True,
)

KINGSMITH = MachineProfile(
    name="kingsmith",
    description="KingSmith pad: commands work without control (Request Control answers 0x04), "
    "speed refused ~2.5 s after start",
    local_name="KS-MC21-D06BFD",
    speed_range=SpeedRange(0.5, 6.0, 0.1),
    incline_range=None,
    features=Features(
        MachineFeature.TOTAL_DISTANCE
        | MachineFeature.EXPENDED_ENERGY
        | MachineFeature.ELAPSED_TIME,
        TargetSettingFeature.SPEED,
    ),
    record_fields=frozenset({"total_distance_m", "energy", "elapsed_time_s"}),
    accel_kmh_per_s=0.6,
    decel_kmh_per_s=0.45,
    coast_kmh_per_s=0.45,
    start_delay_s=1.0,
    notify_hz=2.0,
    # Evidence (mcdax/walkingpad-controller, written for KingSmith hardware):
    # docs/issue-1-mc21-investigation.md, from HCI snoops of the vendor app on a KS-MC21: every
    # Request Control (40 of 40) was answered 80 00 04, and Start then moved the belt anyway;
    # src/walkingpad_controller/ftms.py (_request_control, commit 024bc66) proceeds without
    # control for that reason. Hence control_enforced=False and refuses_request_control.
    # No source shows control revoked on pause or stop (the earlier form of this profile), so
    # the profile no longer does it; `revoke_control` in a scenario still can.
    # ftms.py (start) says a speed command during motor spin-up crashes the link on KingSmith
    # firmware; speed_refused_after_start_s is the weaker, answerable form of that (0x05).
    control_enforced=False,
    refuses_request_control=True,
    speed_refused_after_start_s=2.5,
    indication_delay_s=0.12,
)

FR30Z = MachineProfile(
    name="fr30z",
    description="Reebok FR30Z: Start acked, belt waits for a console start; Stop sometimes 0x04",
    local_name="FR30Z",
    speed_range=SpeedRange(0.5, 20.0, 0.1),
    incline_range=InclineRange(0.0, 15.0, 1.0),
    # 0c 16 00 00 03 00 00 00 as captured
    features=Features(
        MachineFeature.TOTAL_DISTANCE
        | MachineFeature.INCLINATION
        | MachineFeature.EXPENDED_ENERGY
        | MachineFeature.HEART_RATE
        | MachineFeature.ELAPSED_TIME,
        _SPEED_AND_INCLINE,
    ),
    record_fields=frozenset({"total_distance_m", "incline_pct", "energy", "elapsed_time_s"}),
    control_enforced=False,
    start_needs_console=True,
    stop_fails_every=2,
    training_status_fixed=0,
    echo_own_changes=False,
    accel_kmh_per_s=0.8,
    decel_kmh_per_s=0.8,
)

TRUNCATING = MachineProfile(
    name="truncating",
    description="home treadmill whose records are cut to 20 bytes although the flags promise more",
    local_name="RW Truncating",
    speed_range=SpeedRange(0.5, 18.0, 0.1),
    incline_range=InclineRange(0.0, 12.0, 0.5),
    features=Features(_TREADMILL_REPORTS | MachineFeature.AVERAGE_SPEED, _SPEED_AND_INCLINE),
    record_fields=ALL_FIELDS,
    oversize="truncate",
)

SPLIT = MachineProfile(
    name="split",
    description="treadmill that always splits each record over several More-Data notifications",
    local_name="RW Split Records",
    speed_range=SpeedRange(0.8, 16.0, 0.1),
    incline_range=InclineRange(-3.0, 12.0, 0.5),
    features=Features(_TREADMILL_REPORTS | MachineFeature.AVERAGE_SPEED, _SPEED_AND_INCLINE),
    record_fields=ALL_FIELDS,
    split_payload=12,
    notify_hz=5.0,
    ramp_angle=False,
)

DATA_ONLY = MachineProfile(
    name="data-only",
    description="treadmill that reports data but has no control point (coach mode)",
    local_name="RW Data Only",
    speed_range=SpeedRange(0.8, 16.0, 0.1),
    incline_range=InclineRange(0.0, 10.0, 1.0),
    features=Features(_TREADMILL_REPORTS, TargetSettingFeature(0)),
    has_control_point=False,
    notify_hz=3.0,
)

SPEED_LOCKED = MachineProfile(
    name="speed-locked",
    description="treadmill that acknowledges Set Target Speed with success and ignores it",
    local_name="RW Speed Locked",
    speed_range=SpeedRange(0.5, 20.0, 0.1),
    incline_range=InclineRange(0.0, 15.0, 1.0),
    features=Features(_TREADMILL_REPORTS, _SPEED_AND_INCLINE),
    ignores_speed=True,
)

US_TREADMILL = MachineProfile(
    name="us-treadmill",
    description="US home treadmill: 0.5-12 mph in 0.1 mph steps (0.8-19.3 km/h step 0.16), "
    "0-15 % step 0.5",
    local_name="RW US Treadmill",
    # The console steps 0.1 mph = 0.1609 km/h; FTMS ranges are in 0.01 km/h, so the machine can
    # only declare 0.16 (and 0.80 for 0.5 mph): min and grid are mph rounded to the protocol.
    # Evidence: qdomyos-zwift sends miles to US FTMS treadmills on a 0.1 mph grid (PR #4002
    # TM4800, PR #4364 Therun T15: "receives speed commands in miles when miles_unit is
    # enabled"). No capture of such a Speed Range's bytes was found: the numbers are derived.
    speed_range=SpeedRange(0.8, 19.3, 0.16),
    incline_range=InclineRange(0.0, 15.0, 0.5),
    features=Features(_TREADMILL_REPORTS, _SPEED_AND_INCLINE),
    accel_kmh_per_s=0.8,
    decel_kmh_per_s=0.8,
)

READS_MPH = MachineProfile(
    name="reads-mph",
    description="treadmill that reads FTMS target speeds as mph and reports real km/h (x1.609)",
    local_name="JFTM 7.0AT",
    # Evidence: qdomyos-zwift PR #4721 (Horizon 7.0AT / JFTM): "interprets FTMS Control Point
    # speed commands (opcode 0x02) as mph even when the treadmill is in km/h mode ... the belt
    # [ran] at ~1.609x the commanded speed"; PR #4904 (Horizon T202): asked 1.0, reported about
    # 1.6; asked 1.4, reported about 2.2. So targets are mph numbers and the data shows the real
    # belt in km/h: the ratio is visible in telemetry. The speed range is assumed.
    speed_range=SpeedRange(0.8, 19.3, 0.1),
    incline_range=InclineRange(0.0, 15.0, 0.5),
    features=Features(_TREADMILL_REPORTS, _SPEED_AND_INCLINE),
    speed_in_mph=True,
    reports_kmh=True,
)

PROFILES: dict[str, MachineProfile] = {
    p.name: p
    for p in (
        HOME,
        WALKING_PAD,
        KINGSMITH,
        FR30Z,
        TRUNCATING,
        SPLIT,
        DATA_ONLY,
        SPEED_LOCKED,
        US_TREADMILL,
        READS_MPH,
    )
}


def check_profile(name: str) -> str:
    """Return `name` if it is a profile or a valid capture file; ConfigError saying why not."""
    if is_capture(name):
        get_profile(name)  # ConfigError naming the file and what is wrong in it
    elif name not in PROFILES:
        raise ConfigError(
            f"unknown simulator profile {name!r}; choose one of: {', '.join(PROFILES)}, "
            "or a capture file (FILE.json, from `retrowalk probe`)"
        )
    return name


def is_capture(name: str) -> bool:
    """Return whether `name` names a capture file (`retrowalk probe -o FILE.json`)."""
    return name.endswith(".json")


def get_profile(name: str) -> MachineProfile:
    """Return the named profile, or a capture file's; KeyError lists the allowed names.

    A name ending in .json is a capture file (retrowalk_sim.from_capture): ConfigError names
    the file and what is wrong with it.
    """
    if is_capture(name):
        from retrowalk_sim.from_capture import load_profile  # noqa: PLC0415 - a cycle otherwise

        return load_profile(Path(name).expanduser())
    try:
        return PROFILES[name]
    except KeyError:
        allowed = ", ".join(PROFILES)
        raise KeyError(f"unknown simulator profile {name!r}; allowed: {allowed}") from None
