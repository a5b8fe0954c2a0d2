"""The writing side of FIT files: definitions and data records as they come, with fit-tool.

Records are written as fit-tool's own iterative example does (a definition, then data
records), one reused message per set of present fields: building a new 90-field message per
sample costs about 0.8 ms, an hour of samples three seconds. This and export/fit.py are the
only modules that import fit-tool (untyped: everything of it here is Any).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fit_tool.base_type import BaseType
from fit_tool.definition_message import DefinitionMessage
from fit_tool.developer_field import DeveloperField
from fit_tool.fit_file_header import FitFileHeader
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.record import Record
from fit_tool.utils.crc import crc16

if TYPE_CHECKING:
    from retrowalk.export.activity import Point

# retrowalk's developer data id (a random UUID, fixed for good: tools key their fields by it).
APPLICATION_ID = bytes.fromhex("6f1d2c3a8b9e4f1a9c7d5e3b2a1f0e4d")
DEVELOPER_INDEX = 0
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
LOCAL = {"file_id": 0, "developer": 1, "field": 2, "device": 3, "event": 4, "record": 5}
LOCAL |= {"lap": 6, "session": 7, "activity": 8}


class Stream:
    """FIT records written as they come, each data message after its definition."""

    def __init__(self) -> None:
        self._out = bytearray()
        self._defined: dict[int, bytes] = {}

    def write(self, message: Any, local: str) -> None:  # noqa: ANN401 - a fit-tool message
        """Write `message` under its local number, with a definition if its fields changed."""
        message.local_id = LOCAL[local]
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


class Records:
    """Record messages, one reused per set of present fields (see the module's docstring)."""

    def __init__(self, stream: Stream) -> None:
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
            direction = dev(DIRECTION)
            backward = dev(BACKWARD)
            message = RecordMessage(developer_fields=[direction, backward])
            message.local_id = LOCAL["record"]
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


def dev(field: DevField) -> Any:  # noqa: ANN401 - a fit-tool developer field
    """Return an empty developer field of retrowalk's `field`, to set a value in."""
    return DeveloperField(
        developer_data_index=DEVELOPER_INDEX,
        field_id=field.number,
        base_type=field.base_type,
        size=field.size,
    )
