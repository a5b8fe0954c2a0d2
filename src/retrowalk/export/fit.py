"""FIT activity files (Garmin's Flexible and Interoperable Data Transfer), written with fit-tool.

fit-tool (BSD licensed, untyped: everything of it here is Any) is imported by this module and
export/fit_stream.py alone, and only when a FIT file is written. A file holds, in time order:
file_id, developer data id and field descriptions, device info (retrowalk, the treadmill), a
timer start, records at 1 Hz (speed, distance, heart rate, incline as grade, energy), timer events
for every pause and hold (an HR alert for a heart-rate hold), one lap per workout step and per
turn window, the session (walking on a treadmill) and the activity.

retrowalk's developer fields (developer data index 0) carry what FIT has no field for:
`direction` ("forward", "backward" or "rest") on every lap and record, `backward` (1 while
walking backward) on records, `lap_name` ("BACKWARD: Backward") on laps and `simulated` (1 for
a run on the simulated treadmill) on the session, so analysis tools can filter backward time.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

from fit_tool.profile.messages.activity_message import ActivityMessage
from fit_tool.profile.messages.developer_data_id_message import DeveloperDataIdMessage
from fit_tool.profile.messages.device_info_message import DeviceInfoMessage
from fit_tool.profile.messages.event_message import EventMessage
from fit_tool.profile.messages.field_description_message import FieldDescriptionMessage
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.lap_message import LapMessage
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.profile_type import (
    Activity as ActivityType,
)
from fit_tool.profile.profile_type import (
    Event,
    EventType,
    FileType,
    Intensity,
    LapTrigger,
    Manufacturer,
    SessionTrigger,
    SourceType,
    Sport,
    SubSport,
    TimerTrigger,
)

from retrowalk.export.activity import version_parts
from retrowalk.export.fit_stream import (
    APPLICATION_ID,
    DEV_FIELDS,
    DEVELOPER_INDEX,
    DIRECTION,
    LAP_NAME,
    LAP_NAME_BYTES,
    SIMULATED,
    Records,
    Stream,
    dev,
)

if TYPE_CHECKING:
    from datetime import datetime

    from retrowalk.export.activity import Activity, LapTotals
    from retrowalk.history.laps import Pause

# Who stopped the clock, as FIT says it: the machine's console, retrowalk itself, or a person.
_TRIGGER = {"console": TimerTrigger.FITNESS_EQUIPMENT, "device": TimerTrigger.FITNESS_EQUIPMENT}
_TRIGGER |= {"engine": TimerTrigger.AUTO}
FIT_EPOCH_S = 631065600  # 1989-12-31T00:00:00Z, where FIT's clock starts


def fit_bytes(activity: Activity) -> bytes:
    """Return the FIT activity file of `activity`."""
    stream = Stream()
    start = _seconds(activity.start)
    _write_head(stream, activity, start)
    stream.write(_event(start, Event.TIMER, EventType.START, TimerTrigger.MANUAL), "event")
    pending = _pause_events(activity.pauses, activity)
    records = Records(stream)
    last_s = start - 1
    for lap in activity.laps:
        for point in lap.points:
            last_s = max(last_s + 1, _seconds(point.time))
            while pending and pending[0][0] <= last_s:
                stream.write(pending.pop(0)[1], "event")
            records.write(point, last_s)
        end_s = max(last_s, _seconds(lap.end))
        while pending and pending[0][0] <= end_s:
            stream.write(pending.pop(0)[1], "event")
        stream.write(_lap(lap, end_s, last=lap is activity.laps[-1]), "lap")
    end = max(last_s, _seconds(activity.end))
    for _, message in pending:
        stream.write(message, "event")
    stream.write(_event(end, Event.TIMER, EventType.STOP_ALL, TimerTrigger.MANUAL), "event")
    stream.write(_session(activity, start, end), "session")
    stream.write(_activity(activity, end), "activity")
    return stream.close()


def _write_head(stream: Stream, activity: Activity, start: int) -> None:
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.product = 1
    file_id.serial_number = zlib.crc32(activity.path.name.encode()) or 1
    file_id.time_created = start * 1000
    file_id.product_name = "retrowalk"
    stream.write(file_id, "file_id")
    developer = DeveloperDataIdMessage()
    developer.application_id = APPLICATION_ID
    developer.developer_data_index = DEVELOPER_INDEX
    developer.application_version = _version_number()
    stream.write(developer, "developer")
    for field in DEV_FIELDS:
        description = FieldDescriptionMessage()
        description.developer_data_index = DEVELOPER_INDEX
        description.field_definition_number = field.number
        description.fit_base_type_id = field.base_type
        description.field_name = field.name
        description.native_mesg_num = field.native_mesg
        if field.units:
            description.units = field.units
        stream.write(description, "field")
    creator = DeviceInfoMessage()
    creator.timestamp = start * 1000
    creator.device_index = 0  # the creator of the file
    creator.manufacturer = Manufacturer.DEVELOPMENT.value
    creator.product_name = "retrowalk"
    creator.software_version = _version_number() / 100
    stream.write(creator, "device")
    treadmill = DeviceInfoMessage()
    treadmill.timestamp = start * 1000
    treadmill.device_index = 1
    name = activity.device or "treadmill"
    treadmill.product_name = _text(f"{name} (simulated)" if activity.simulated else name, 48)
    treadmill.source_type = (
        SourceType.LOCAL if activity.simulated else SourceType.BLUETOOTH_LOW_ENERGY
    )
    stream.write(treadmill, "device")


def _pause_events(pauses: tuple[Pause, ...], activity: Activity) -> list[tuple[int, Any]]:
    """Return (Unix seconds, event) for the start and the end of every hold and pause."""
    events: list[tuple[int, Any]] = []
    for pause in pauses:
        at = _seconds(activity.time_of(pause.start_t))
        trigger = _TRIGGER.get(pause.origin or "", TimerTrigger.MANUAL)
        kind = EventType.STOP_ALL if pause.kind == "hold" else EventType.STOP
        events.append((at, _event(at, Event.TIMER, kind, trigger)))
        if pause.cause == "heart_rate":
            events.append((at, _event(at, Event.HR_HIGH_ALERT, EventType.MARKER, None)))
        if pause.resumed:
            back = _seconds(activity.time_of(pause.end_t))
            events.append((back, _event(back, Event.TIMER, EventType.START, TimerTrigger.MANUAL)))
    return sorted(events, key=lambda item: item[0])


def _event(seconds: int, event: Any, kind: Any, trigger: Any) -> Any:  # noqa: ANN401 - fit-tool
    message = EventMessage()
    message.timestamp = seconds * 1000
    message.event = event
    message.event_type = kind
    if trigger is not None:
        message.timer_trigger = trigger
    return message


def _lap(totals: LapTotals, end: int, *, last: bool) -> Any:  # noqa: ANN401 - a fit-tool message
    lap = totals.lap
    direction = dev(DIRECTION)
    direction.set_value(0, lap.direction)
    name = dev(LAP_NAME)
    name.set_value(0, _text(lap.name, LAP_NAME_BYTES))
    message = LapMessage(developer_fields=[direction, name])
    message.message_index = lap.index
    message.timestamp = end * 1000
    message.start_time = _seconds(totals.start) * 1000
    message.event = Event.LAP
    message.event_type = EventType.STOP
    message.lap_trigger = LapTrigger.SESSION_END if last else LapTrigger.MANUAL
    message.sport = Sport.WALKING
    message.sub_sport = SubSport.TREADMILL
    message.intensity = Intensity.ACTIVE if totals.active else Intensity.REST
    if lap.step_index is not None:
        message.workout_step_index = lap.step_index
    _totals(message, lap.duration_s, totals.timer_s, totals.distance_m, totals.energy_kcal)
    message.avg_speed = totals.avg_speed_mps
    _optional(message, "max_speed", totals.stats.max_speed_mps)
    _optional(message, "avg_heart_rate", totals.stats.avg_heart_rate)
    _optional(message, "max_heart_rate", totals.stats.max_heart_rate)
    return message


def _session(activity: Activity, start: int, end: int) -> Any:  # noqa: ANN401 - fit-tool
    simulated = dev(SIMULATED)
    simulated.set_value(0, 1 if activity.simulated else 0)
    message = SessionMessage(developer_fields=[simulated])
    message.message_index = 0
    message.timestamp = end * 1000
    message.start_time = start * 1000
    message.event = Event.SESSION
    message.event_type = EventType.STOP
    message.trigger = SessionTrigger.ACTIVITY_END
    message.sport = Sport.WALKING
    message.sub_sport = SubSport.TREADMILL
    message.sport_profile_name = "Retro walk (simulated)" if activity.simulated else "Retro walk"
    message.first_lap_index = 0
    message.num_laps = len(activity.laps)
    timer = activity.timer_s
    _totals(message, activity.elapsed_s, timer, activity.distance_m, activity.energy_kcal)
    message.avg_speed = activity.distance_m / timer if timer > 0 else 0.0
    _optional(message, "max_speed", activity.stats.max_speed_mps)
    _optional(message, "avg_heart_rate", activity.stats.avg_heart_rate)
    _optional(message, "max_heart_rate", activity.stats.max_heart_rate)
    return message


def _activity(activity: Activity, end: int) -> Any:  # noqa: ANN401 - a fit-tool message
    message = ActivityMessage()
    message.timestamp = end * 1000
    message.total_timer_time = activity.timer_s
    message.num_sessions = 1
    message.type = ActivityType.MANUAL
    message.event = Event.ACTIVITY
    message.event_type = EventType.STOP
    offset = activity.start.astimezone(activity.zone).utcoffset()
    local = end + (int(offset.total_seconds()) if offset is not None else 0)
    message.local_timestamp = local - FIT_EPOCH_S
    return message


def _totals(message: Any, elapsed: float, timer: float, distance: float, energy: float) -> None:  # noqa: ANN401 - fit-tool
    message.total_elapsed_time = max(0.0, elapsed)
    message.total_timer_time = max(0.0, timer)
    message.total_distance = max(0.0, distance)
    message.total_calories = round(max(0.0, energy))


def _optional(message: Any, name: str, value: float | None) -> None:  # noqa: ANN401 - fit-tool
    if value is not None:
        setattr(message, name, value)


def _text(text: str, size: int) -> str:
    """Return `text` cut to fit `size` bytes of UTF-8 with its end mark, never mid-character."""
    return text.encode("utf-8")[: size - 1].decode("utf-8", "ignore")


def _seconds(moment: datetime) -> int:
    return round(moment.timestamp())


def _version_number() -> int:
    """Return retrowalk's version as FIT keeps one: 0.1.0 -> 10 (major 100, minor 10, patch 1)."""
    major, minor, patch = version_parts()
    return major * 100 + minor * 10 + patch
