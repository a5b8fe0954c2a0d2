"""docs/mqtt-schema.json matches the payloads the sink builds, for every event type."""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from typing import Any

import jsonschema
import pytest

from mqtt_fakes import FakeEngine, schema_path
from retrowalk.engine import events as ev
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandKind, CommandResult, Origin
from retrowalk.sinks.mqtt.commands import parse_command, result_payload
from retrowalk.sinks.mqtt.payloads import (
    SessionTally,
    event_payload,
    ha_discovery,
    session_payload,
    state_payload,
)
from retrowalk.workout.plan import Direction

SCHEMA: dict[str, Any] = json.loads(schema_path().read_text(encoding="utf-8"))
EVENT_TYPES = sorted(
    (c for c in vars(ev).values() if isinstance(c, type) and issubclass(c, ev.Event)),
    key=lambda c: c.__name__,
)
EVENT_TYPES.remove(ev.Event)
_HINT_NS = {**vars(ev), "Direction": Direction, "CommandResult": CommandResult}


def validate(name: str, payload: object) -> None:
    """Validate `payload` against #/$defs/<name> of the published schema."""
    jsonschema.Draft202012Validator({**SCHEMA, "$ref": f"#/$defs/{name}"}).validate(payload)


def _sample(tp: Any) -> Any:
    """Return a plausible value of type `tp` (the non-None member of a union)."""
    if typing.get_origin(tp) in {typing.Union, types.UnionType}:
        return _sample(next(a for a in typing.get_args(tp) if a is not type(None)))
    if typing.get_origin(tp) is tuple:
        return tuple(_sample(a) for a in typing.get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return next(iter(tp))
    if tp is CommandResult:
        return CommandResult(Command(CommandKind.PAUSE, Origin.REMOTE, request_id="r"), True)
    return {float: 1.25, int: 2, str: "text", bool: True}[tp]


def sample_event(cls: type[ev.Event]) -> ev.Event:
    """Return an instance of `cls` with every field filled."""
    hints = typing.get_type_hints(cls, globalns=_HINT_NS)
    values = {f.name: _sample(hints[f.name]) for f in dataclasses.fields(cls)}
    return cls(**values)


def test_the_schema_is_valid_json_schema() -> None:
    """docs/mqtt-schema.json is itself a valid draft 2020-12 schema."""
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda c: c.__name__)
def test_every_event_type_is_documented_and_validates(cls: type[ev.Event]) -> None:
    """Each engine event has a schema entry with exactly its fields, and its payload validates."""
    entry = SCHEMA["$defs"].get(f"event.{cls.__name__}")
    assert entry is not None, f"add event.{cls.__name__} to docs/mqtt-schema.json"
    fields = {f.name for f in dataclasses.fields(cls)}
    assert set(entry["properties"]) == fields | {"v", "treadmill_id", "seq", "type"}, (
        f"docs/mqtt-schema.json event.{cls.__name__} is out of date with engine/events.py"
    )
    validate("event", event_payload(sample_event(cls), treadmill_id="tm1", seq=1))


def test_state_payload_validates_and_covers_the_snapshot() -> None:
    """The state payload carries every Snapshot field, plus who, which workout and step number."""
    engine = FakeEngine(Bus())
    payload = state_payload(engine.snapshot(), treadmill_id="tm1", workout="w")
    validate("state", payload)
    props = set(SCHEMA["$defs"]["state"]["properties"])
    assert {f.name for f in dataclasses.fields(ev.Snapshot)} <= props
    assert payload["step_number"] == 1


def test_session_command_and_home_assistant_payloads_validate() -> None:
    """Session summaries, command results and Home Assistant configs all match the schema."""
    aborted = ev.Aborted(
        t=5.0, reason="stop", elapsed_s=5.0, distance_m=3.0, energy_kcal=0.2, belt_stopped=True
    )
    validate("session", session_payload(aborted, SessionTally(), treadmill_id="a", workout="w"))
    bad = parse_command(b"{", via="direct")
    validate("cmd_result", result_payload(bad, treadmill_id="a"))  # type: ignore[arg-type]
    validate("cmd", {"command": "emergency_stop", "id": "x"})
    validate("status", "offline")
    configs = ha_discovery(treadmill_id="Lane-3", base="retrowalk/Lane-3")
    for topic, config in configs:
        validate("ha_sensor" if "/sensor/" in topic else "ha_button", config)
        if "/button/" in topic:
            validate("cmd", json.loads(config["payload_press"]))
    objects = {topic.split("/")[3] for topic in {t for t, _ in configs}}
    wanted = {"speed", "incline", "direction", "interval", "heart_rate", "distance", "energy"}
    assert wanted | {"pause", "resume", "stop"} <= objects
    assert (
        dict(configs)["homeassistant/sensor/retrowalk_Lane-3/speed/config"]["default_entity_id"]
        == "sensor.retrowalk_lane_3_speed"
    )
