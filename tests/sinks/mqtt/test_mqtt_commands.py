"""Remote command parsing: well-formed commands map to engine commands; the rest is refused."""

from __future__ import annotations

import json

import pytest

from retrowalk.engine.commands import Command, CommandKind, CommandResult, Origin
from retrowalk.sinks.mqtt.commands import (
    Rejection,
    RemoteCommand,
    parse_command,
    result_payload,
)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("pause", CommandKind.PAUSE),
        ("resume", CommandKind.RESUME),
        ("skip", CommandKind.SKIP),
        ("back", CommandKind.BACK),
        ("stop", CommandKind.STOP),
        ("emergency_stop", CommandKind.EMERGENCY_STOP),
        ("confirm_turn", CommandKind.CONFIRM),
    ],
)
def test_each_command_becomes_a_remote_engine_command(name: str, kind: CommandKind) -> None:
    """Every documented command maps to its CommandKind with origin REMOTE and the request id."""
    parsed = parse_command(json.dumps({"command": name, "id": "r1"}).encode(), via="fleet")
    assert isinstance(parsed, RemoteCommand)
    assert parsed.to_command() == Command(kind, Origin.REMOTE, request_id="r1")
    assert parsed.via == "fleet"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "not UTF-8 JSON"),
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"[1, 2]", "JSON object"),
        (b'"pause"', "JSON object"),
        (b'{"id": "x"}', "missing"),
        (b'{"command": "jump", "id": "x"}', "unknown command 'jump'"),
        (b'{"command": 5, "id": "x"}', "must be a string, got int"),
        (b'{"command": "pause", "id": 7}', '"id" must be a string'),
        (b'{"command": "pause", "id": "x", "speed": 20}', "unknown field(s) 'speed'"),
        (b'{"command": "pause", "id": "' + b"x" * 65 + b'"}', "at most 64"),
        (b'{"command": "pause", "pad": "' + b"x" * 1100 + b'"}', "at most 1024 bytes"),
    ],
)
def test_malformed_payloads_are_refused_with_a_reason(payload: bytes, reason: str) -> None:
    """Bad JSON, wrong types, unknown commands or fields and oversize payloads are Rejections."""
    parsed = parse_command(payload, via="direct")
    assert isinstance(parsed, Rejection)
    assert reason in parsed.reason


def test_rejection_echoes_what_it_could_read() -> None:
    """A refused command still echoes a readable id and command name."""
    parsed = parse_command(b'{"command": "jump", "id": "abc"}', via="direct")
    out = result_payload(parsed, treadmill_id="tm1")  # type: ignore[arg-type]
    assert out["id"] == "abc"
    assert out["command"] == "jump"
    assert out["accepted"] is False


def test_engine_result_uses_the_wire_name() -> None:
    """An engine CommandResult for CONFIRM is answered as confirm_turn with the request id."""
    result = CommandResult(Command(CommandKind.CONFIRM, Origin.REMOTE, request_id="q"), False, "no")
    out = result_payload(result, treadmill_id="tm1", via="fleet")
    assert out == {
        "v": 1,
        "treadmill_id": "tm1",
        "id": "q",
        "command": "confirm_turn",
        "accepted": False,
        "reason": "no",
        "via": "fleet",
    }
