"""FIT activity files (Garmin's Flexible and Interoperable Data Transfer), written with fit-tool.

The one module that imports fit-tool (BSD licensed, untyped: everything of it here is Any), and
it is itself imported only when a FIT file is written. A file holds, in time order: file_id,
developer data id and field descriptions, device info (retrowalk, the treadmill), a timer
start, records at 1 Hz (speed, distance, heart rate, incline as grade, energy), timer events
for every pause and hold (an HR alert for a heart-rate hold), one lap per workout step and per
turn window, the session (walking on a treadmill) and the activity.

retrowalk's developer fields (developer data index 0) carry what FIT has no field for:
`direction` ("forward", "backward" or "rest") on every lap and record, `backward` (1 while
walking backward) on records, `lap_name` ("BACKWARD: Backward") on laps and `simulated` (1 for
a run on the simulated treadmill) on the session, so analysis tools can filter backward time.

Records are written as fit-tool's own iterative example does (a definition, then data
records), one reused message per set of present fields: building a new 90-field message per
sample costs about 0.8 ms, an hour of samples three seconds.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fit_tool.base_type import BaseType
from fit_tool.definition_message import DefinitionMessage
from fit_tool.developer_field import DeveloperField
from fit_tool.fit_file_header import FitFileHeader
from fit_tool.profile.messages.activity_message import ActivityMessage
from fit_tool.profile.messages.developer_data_id_message import DeveloperDataIdMessage
from fit_tool.profile.messages.device_info_message import DeviceInfoMessage
from fit_tool.profile.messages.event_message import EventMessage
from fit_tool.profile.messages.field_description_message import FieldDescriptionMessage
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.lap_message import LapMessage
from fit_tool.profile.messages.record_message import RecordMessage
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
from fit_tool.record import Record
from fit_tool.utils.crc import crc16

from retrowalk.export.activity import version_parts

if TYPE_CHECKING:
    from datetime import datetime

    from retrowalk.export.activity import Activity, LapTotals, Point
    from retrowalk.history.laps import Pause

# retrowalk's developer data id (a random UUID, fixed for good: tools key their fields by it).
APPLICATION_ID = bytes.fromhex("6f1d2c3a8b9e4f1a9c7d5e3b2a1f0e4d")
DEVELOPER_INDEX = 0
FIT_EPOCH_S = 631065600  # 1989-12-31T00:00:00Z, where FIT's clock starts
LAP_NAME_BYTES = 64  # a lap name is cut to this many bytes of UTF-8 (with its end mark)


@dataclass(frozen=True)
class DevField:
    """One of retrowalk's developer fields."""

    number: int
    name: str
    base_type: Any  # a fit-tool BaseType
    size: int  # bytes, a string's end mark included
    native_mesg: int  # the message it goes with (FIT global message number)
    units: str = ""


DIRECTION = DevField(0, "direction", BaseType.STRING, 9, 20)  # "backward" and its end mark
BACKWARD = DevField(1, "backward", BaseType.UINT8, 1, 20, "1=backward")
LAP_NAME = DevField(2, "lap_name", BaseType.STRING, LAP_NAME_BYTES, 19)
SIMULATED = DevField(3, "simulated", BaseType.UINT8, 1, 18, "1=simulated treadmill")
DEV_FIELDS = (DIRECTION, BACKWARD, LAP_NAME, SIMULATED)

# Local message numbers: one each, so a definition is written again only when its fields change.
_LOCAL = {"file_id": 0, "developer": 1, "field": 2, "device": 3, "event": 4, "record": 5}
_LOCAL |= {"lap": 6, "session": 7, "activity": 8}
# Who stopped the clock, as FIT says it: the machine's console, retrowalk itself, or a person.
_TRIGGER = {"console": TimerTrigger.FITNESS_EQUIPMENT, "device": TimerTrigger.FITNESS_EQUIPMENT}
_TRIGGER |= {"engine": TimerTrigger.AUTO}


def fit_bytes(activity: Activity) -> bytes:
    """Return the FIT activity file of `activity`."""
    stream = _Stream()
    start = _seconds(activity.start)
    _write_head(stream, activity, start)
    stream.write(_event(start, Event.TIMER, EventType.START, TimerTrigger.MANUAL), "event")
    pending = _pause_events(activity.pauses, activity)
    records = _Records(stream)
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


class _Stream:
    """FIT records written as they come, each data message after its definition."""

    def __init__(self) -> None:
        self._out = bytearray()
        self._defined: dict[int, bytes] = {}

    def write(self, message: Any, local: str) -> None:  # noqa: ANN401 - a fit-tool message
        """Write `message` under its local number, with a definition if its fields changed."""
        message.local_id = _LOCAL[local]
        definition = DefinitionMessage.from_data_message(message)
        self.define(definition)
        message.set_definition_message(definition)
        self.data(message)

    def define(self, definition: Any) -> None:  # noqa: ANN401 - a fit-tool definition
        """Write a definition, unless it is the one in force for its local number."""
        data = Record.from_message(definition).to_bytes()
        if self._defined.get(definition.local_id) != data:
            self._defined[definition.local_id] = data
            self._out += data

    def data(self, message: Any) -> None:  # noqa: ANN401 - a fit-tool message
        """Write a data message under the definition in force."""
        self._out += Record.from_message(message).to_bytes()

    def close(self) -> bytes:
        """Return the whole file: header, records, CRC."""
        body = bytes(self._out)
        header = bytes(FitFileHeader(records_size=len(body), gen_crc=True).to_bytes())
        return header + body + struct.pack("<H", crc16(body))


class _Records:
    """Record messages, one reused per set of present fields (see the module's docstring)."""

    def __init__(self, stream: _Stream) -> None:
        self._stream = stream
        self._kept: dict[tuple[bool, ...], tuple[Any, Any]] = {}

    def write(self, point: Point, seconds: int) -> None:
        """Write the record of `point` at `seconds` (Unix time)."""
        values = {
            "distance": None if point.distance_m is None else max(0.0, point.distance_m),
            "speed": None if point.speed_mps is None else max(0.0, point.speed_mps),
            "heart_rate": point.heart_rate_bpm,
            "grade": point.incline_pct,
            "calories": None if point.energy_kcal is None else round(max(0.0, point.energy_kcal)),
        }
        present = tuple(v is not None for v in values.values())
        kept = self._kept.get(present)
        if kept is None:
            direction = _dev(DIRECTION)
            backward = _dev(BACKWARD)
            message = RecordMessage(developer_fields=[direction, backward])
            message.local_id = _LOCAL["record"]
            message.timestamp = seconds * 1000
            _fill(message, values, direction, backward, point)
            definition = DefinitionMessage.from_data_message(message)
            message.set_definition_message(definition)
            kept = self._kept[present] = (message, definition)
        message, definition = kept
        message.timestamp = seconds * 1000
        direction, backward = message.developer_fields
        _fill(message, values, direction, backward, point)
        self._stream.define(definition)
        self._stream.data(message)


def _fill(  # fit-tool's message and developer fields are untyped
    message: Any,  # noqa: ANN401
    values: dict[str, Any],
    direction: Any,  # noqa: ANN401
    backward: Any,  # noqa: ANN401
    point: Point,
) -> None:
    for name, value in values.items():
        if value is not None:
            setattr(message, name, value)
    direction.set_value(0, point.walking)
    backward.set_value(0, 1 if point.walking == "backward" else 0)


def _write_head(stream: _Stream, activity: Activity, start: int) -> None:
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
    direction = _dev(DIRECTION)
    direction.set_value(0, lap.direction)
    name = _dev(LAP_NAME)
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
    simulated = _dev(SIMULATED)
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


def _dev(field: DevField) -> Any:  # noqa: ANN401 - a fit-tool developer field
    return DeveloperField(
        developer_data_index=DEVELOPER_INDEX,
        field_id=field.number,
        base_type=field.base_type,
        size=field.size,
    )


def _text(text: str, size: int) -> str:
    """Return `text` cut to fit `size` bytes of UTF-8 with its end mark, never mid-character."""
    return text.encode("utf-8")[: size - 1].decode("utf-8", "ignore")


def _seconds(moment: datetime) -> int:
    return round(moment.timestamp())


def _version_number() -> int:
    """Return retrowalk's version as FIT keeps one: 0.1.0 -> 10 (major 100, minor 10, patch 1)."""
    major, minor, patch = version_parts()
    return major * 100 + minor * 10 + patch
