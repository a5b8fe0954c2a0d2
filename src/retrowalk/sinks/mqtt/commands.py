"""Remote commands over MQTT: parse a payload, refuse what is malformed, answer with a result.

A command is `{"command": "pause", "id": "abc"}` (id optional) on `retrowalk/<id>/cmd` or on
`retrowalk/fleet/cmd`. Only what cannot become an engine Command (bad JSON or UTF-8, unknown
command, wrong types, extra fields, a payload over 1 KiB) is refused here. Every well-formed
command goes to the engine, which alone decides (it refuses the commands that could start a still
belt, resume, confirm_turn, skip and back, from a remote controller unless the person at the
treadmill armed remote control) and records the decision with its origin in the session log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from retrowalk.engine.commands import (
    Command,
    CommandKind,
    CommandResult,
    Origin,
)

MAX_PAYLOAD_BYTES = 1024
MAX_ID_CHARS = 64

# The wire names of the commands a remote controller may send, and what they mean to the engine.
REMOTE_COMMANDS: dict[str, CommandKind] = {
    "pause": CommandKind.PAUSE,
    "resume": CommandKind.RESUME,
    "skip": CommandKind.SKIP,
    "back": CommandKind.BACK,
    "stop": CommandKind.STOP,
    "emergency_stop": CommandKind.EMERGENCY_STOP,
    "confirm_turn": CommandKind.CONFIRM,
}
WIRE_NAMES = {kind: name for name, kind in REMOTE_COMMANDS.items()}
_EMERGENCY_STOP = WIRE_NAMES[CommandKind.EMERGENCY_STOP].encode()


@dataclass(frozen=True)
class RemoteCommand:
    """A well-formed remote command, ready for the engine."""

    name: str  # the wire name, e.g. "confirm_turn"
    request_id: str | None
    via: str  # "direct" (retrowalk/<id>/cmd) or "fleet" (retrowalk/fleet/cmd)

    @property
    def kind(self) -> CommandKind:
        """Return the engine's kind for this command."""
        return REMOTE_COMMANDS[self.name]

    def to_command(self) -> Command:
        """Return the engine Command, with origin REMOTE and the request id for correlation."""
        return Command(self.kind, Origin.REMOTE, request_id=self.request_id)


@dataclass(frozen=True)
class Rejection:
    """A message the sink answers itself (it cannot become a Command), with what can be echoed."""

    request_id: str | None
    name: str | None
    reason: str
    via: str


def parse_command(payload: bytes, *, via: str) -> RemoteCommand | Rejection:
    """Parse one command payload; every fault becomes a Rejection with a readable reason."""
    data = _decode(payload)
    if isinstance(data, str):
        return Rejection(None, None, data, via)
    raw_id, raw_name = data.get("id"), data.get("command")
    request_id = raw_id if isinstance(raw_id, str) and len(raw_id) <= MAX_ID_CHARS else None
    name = raw_name if isinstance(raw_name, str) and len(raw_name) <= MAX_ID_CHARS else None
    problem = _problem(data)
    if problem is not None:
        return Rejection(request_id, name, problem, via)
    return RemoteCommand(str(raw_name), request_id, via)


def is_emergency_stop(payload: bytes) -> bool:
    """Return whether `payload` is a well-formed emergency stop; cheap for every other payload."""
    if _EMERGENCY_STOP not in payload:  # skips the JSON parse for the junk of a flood
        return False
    parsed = parse_command(payload, via="direct")
    return isinstance(parsed, RemoteCommand) and parsed.kind is CommandKind.EMERGENCY_STOP


def _decode(payload: bytes) -> dict[str, Any] | str:
    """Return the JSON object in `payload`, or why it is not one."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return f"payload is {len(payload)} bytes; at most {MAX_PAYLOAD_BYTES} bytes are allowed"
    try:
        data: Any = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return f"payload is not UTF-8 JSON: {exc}"
    if not isinstance(data, dict):
        return 'payload must be a JSON object like {"command": "pause", "id": "1"}'
    return data


def _problem(data: dict[str, Any]) -> str | None:
    """Return what is wrong with a decoded command object, or None."""
    extra = sorted(set(data) - {"command", "id"})
    if extra:
        return f"unknown field(s) {', '.join(map(repr, extra))}; allowed: command, id"
    raw_id = data.get("id")
    if raw_id is not None and not (isinstance(raw_id, str) and len(raw_id) <= MAX_ID_CHARS):
        return f'"id" must be a string of at most {MAX_ID_CHARS} characters'
    if "command" not in data:
        return '"command" is missing'
    raw_name = data["command"]
    if not isinstance(raw_name, str):
        return f'"command" must be a string, got {type(raw_name).__name__}'
    if raw_name not in REMOTE_COMMANDS:
        allowed = ", ".join(REMOTE_COMMANDS)
        return f"unknown command {raw_name[:MAX_ID_CHARS]!r}; allowed: {allowed}"
    return None


def result_payload(
    outcome: CommandResult | Rejection, *, treadmill_id: str, via: str | None = None
) -> dict[str, Any]:
    """Return the JSON object published on `retrowalk/<id>/cmd/result`."""
    if isinstance(outcome, Rejection):
        return {
            "v": 1,
            "treadmill_id": treadmill_id,
            "id": outcome.request_id,
            "command": outcome.name,
            "accepted": False,
            "reason": outcome.reason,
            "via": outcome.via,
        }
    kind = outcome.command.kind
    return {
        "v": 1,
        "treadmill_id": treadmill_id,
        "id": outcome.command.request_id,
        "command": WIRE_NAMES.get(kind, kind.value),
        "accepted": outcome.accepted,
        "reason": outcome.reason,
        "via": via or "direct",
    }
