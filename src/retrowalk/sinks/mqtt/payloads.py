"""The JSON payloads retrowalk publishes over MQTT (documented in docs/mqtt.md and its schema).

Pure functions from engine Snapshots and Events to dicts; no I/O. Floats are rounded to 3
decimals to keep messages short; `None` becomes JSON null.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from retrowalk.engine.events import Aborted, Event, Finished, StepFinished, StepStarted

if TYPE_CHECKING:
    from retrowalk.engine.events import Snapshot

SCHEMA_VERSION = 1


def _rounded(value: Any) -> Any:  # noqa: ANN401 - any JSON value
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def dumps(payload: dict[str, Any]) -> bytes:
    """Return the compact UTF-8 JSON form of a payload."""
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()


def state_payload(snapshot: Snapshot, *, treadmill_id: str, workout: str) -> dict[str, Any]:
    """Return the retained `state` payload: the snapshot plus who and which workout."""
    body = _rounded(snapshot.to_dict())
    index = snapshot.step_index
    return {
        "v": SCHEMA_VERSION,
        "treadmill_id": treadmill_id,
        "workout": workout,
        "step_number": None if index is None else index + 1,
        **body,
    }


def event_payload(event: Event, *, treadmill_id: str, seq: int) -> dict[str, Any]:
    """Return an `event` payload; `seq` counts events from 1 so gaps and repeats show."""
    return {
        "v": SCHEMA_VERSION,
        "treadmill_id": treadmill_id,
        "seq": seq,
        **_rounded(event.to_dict()),
    }


@dataclass
class SessionTally:
    """Counts kept from the event stream, for the session summary at the end."""

    step_count: int = 0
    steps_completed: int = 0
    steps_skipped: int = 0
    remote_commands: int = 0
    events_dropped: int = 0
    seen_steps: set[int] = field(default_factory=set)

    def observe(self, event: Event) -> None:
        """Update the counts from one event."""
        if isinstance(event, StepStarted):
            self.step_count = max(self.step_count, event.count)
        elif isinstance(event, StepFinished) and event.index not in self.seen_steps:
            self.seen_steps.add(event.index)
            if event.skipped:
                self.steps_skipped += 1
            else:
                self.steps_completed += 1


def session_payload(
    end: Finished | Aborted, tally: SessionTally, *, treadmill_id: str, workout: str
) -> dict[str, Any]:
    """Return the retained `session` summary published when the workout ends."""
    if isinstance(end, Finished):
        completed, skipped = end.steps_completed, end.steps_skipped
    else:
        completed, skipped = tally.steps_completed, tally.steps_skipped
    summary: dict[str, Any] = _rounded(
        {
            "v": SCHEMA_VERSION,
            "treadmill_id": treadmill_id,
            "workout": workout,
            "outcome": "finished" if isinstance(end, Finished) else "aborted",
            "reason": None if isinstance(end, Finished) else end.reason,
            "t": end.t,
            "elapsed_s": end.elapsed_s,
            "distance_m": end.distance_m,
            "energy_kcal": end.energy_kcal,
            "step_count": tally.step_count,
            "steps_completed": completed,
            "steps_skipped": skipped,
            "belt_stopped": end.belt_stopped,
            "events_dropped": tally.events_dropped,
        }
    )
    return summary


# Home Assistant discovery: (object id, name, value template, unit, device class, state class).
_HA_SENSORS: tuple[tuple[str, str, str, str | None, str | None, str | None], ...] = (
    ("state", "State", "{{ value_json.state }}", None, None, None),
    ("speed", "Speed", "{{ value_json.actual_speed_kmh }}", "km/h", "speed", "measurement"),
    ("incline", "Incline", "{{ value_json.actual_incline_pct }}", "%", None, "measurement"),
    ("direction", "Direction", "{{ value_json.direction }}", None, None, None),
    (
        "interval",
        "Interval",
        (
            "{% if value_json.step_number is none %}-{% else %}"
            "{{ value_json.step_number }}/{{ value_json.step_count }}{% endif %}"
        ),
        None,
        None,
        None,
    ),
    ("heart_rate", "Heart rate", "{{ value_json.heart_rate_bpm }}", "bpm", None, "measurement"),
    ("distance", "Distance", "{{ value_json.distance_m }}", "m", "distance", "total_increasing"),
    ("energy", "Energy", "{{ value_json.energy_kcal }}", "kcal", None, "total_increasing"),
)
HA_BUTTONS = ("pause", "resume", "stop")


def ha_discovery(
    *, treadmill_id: str, base: str, prefix: str = "homeassistant"
) -> list[tuple[str, dict[str, Any]]]:
    """Return (config topic, payload) for every Home Assistant sensor and button."""
    node = f"retrowalk_{treadmill_id}"
    entity = node.lower().replace("-", "_")  # entity ids allow only a-z, 0-9 and _
    device = {
        "identifiers": [node],
        "name": f"retrowalk {treadmill_id}",
        "manufacturer": "retrowalk",
        "model": "FTMS treadmill",
    }
    common = {
        "availability_topic": f"{base}/status",
        "payload_available": "online",
        "payload_not_available": "offline",
        "device": device,
    }
    out: list[tuple[str, dict[str, Any]]] = []
    for object_id, name, template, unit, device_class, state_class in _HA_SENSORS:
        config: dict[str, Any] = {
            "name": name,
            "unique_id": f"{node}_{object_id}",
            # HA 2025.10 replaced "object_id" (removed in 2026.4) with "default_entity_id".
            "default_entity_id": f"sensor.{entity}_{object_id}",
            "state_topic": f"{base}/state",
            "value_template": template,
            **common,
        }
        if unit is not None:
            config["unit_of_measurement"] = unit
        if device_class is not None:
            config["device_class"] = device_class
        if state_class is not None:
            config["state_class"] = state_class
        out.append((f"{prefix}/sensor/{node}/{object_id}/config", config))
    for command in HA_BUTTONS:
        config = {
            "name": command.capitalize(),
            "unique_id": f"{node}_{command}",
            "default_entity_id": f"button.{entity}_{command}",
            "command_topic": f"{base}/cmd",
            # No id: a fixed id would make every press after the first a repeat (not run).
            "payload_press": json.dumps({"command": command}),
            **common,
        }
        out.append((f"{prefix}/button/{node}/{command}/config", config))
    return out
