"""Against a real broker: remote commands, the fleet topic, answers, and malformed input."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from test_mqtt_schema import validate

from mqtt_fakes import FakeEngine, Subscriber, settings_for, sink_running
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import CommandKind, Origin
from retrowalk.engine.events import EngineState

if TYPE_CHECKING:
    from mqtt_broker import MqttBroker

pytestmark = pytest.mark.realtime


def results(sub: Subscriber, treadmill: str) -> list[dict[str, Any]]:
    """Return the command results published by `treadmill`, each checked against the schema."""
    out = sub.json(f"retrowalk/{treadmill}/cmd/result")
    for result in out:
        validate("cmd_result", result)
    return out


def handled(sub: Subscriber, treadmill: str) -> list[dict[str, Any]]:
    """Return the CommandHandled events `treadmill` published (what its session log records)."""
    return [e for e in sub.json(f"retrowalk/{treadmill}/event") if e["type"] == "CommandHandled"]


async def online(sub: Subscriber, *treadmills: str) -> None:
    """Wait until each treadmill's sink is connected and subscribed (its first state is out)."""
    await sub.wait_for(lambda s: all(s.payloads(f"retrowalk/{t}/state") for t in treadmills))


async def test_fleet_command_reaches_both_treadmills(broker: MqttBroker) -> None:
    """One message on retrowalk/fleet/cmd pauses two treadmills; each answers on its own topic."""
    one, two = FakeEngine(Bus()), FakeEngine(Bus())
    s1 = settings_for(broker.url(), "room-1")
    s2 = settings_for(broker.url(), "room-2")
    async with (
        Subscriber("127.0.0.1", broker.port, ["retrowalk/#"]) as sub,
        sink_running(s1, one),
        sink_running(s2, two),
    ):
        await online(sub, "room-1", "room-2")
        await sub.publish("retrowalk/fleet/cmd", json.dumps({"command": "pause", "id": "f1"}))
        await sub.wait_for(lambda s: results(s, "room-1") and results(s, "room-2"))
        await sub.wait_for(
            lambda s: all(
                s.json(f"retrowalk/{t}/state")[-1]["state"] == "paused"
                for t in ("room-1", "room-2")
            )
        )
    assert one.state is EngineState.FINISHED  # paused, then finished by the test's exit
    for treadmill, engine in (("room-1", one), ("room-2", two)):
        (result,) = results(sub, treadmill)
        assert result | {"treadmill_id": "x"} == {
            "v": 1,
            "treadmill_id": "x",
            "id": "f1",
            "command": "pause",
            "accepted": True,
            "reason": "",
            "via": "fleet",
        }
        (handled,) = engine.commands
        assert (handled.command.kind, handled.command.origin) == (CommandKind.PAUSE, Origin.REMOTE)
        assert handled.command.request_id == "f1"
        # The engine recorded the command with its origin (CommandHandled on the event topic).
        recorded = [
            e for e in sub.json(f"retrowalk/{treadmill}/event") if e["type"] == "CommandHandled"
        ]
        assert recorded[0]["result"]["command"]["origin"] == "remote"


async def test_every_command_goes_to_the_engine_and_its_answer_is_published(
    broker: MqttBroker,
) -> None:
    """The engine's own decisions are the answers; every command is recorded as remote."""
    engine = FakeEngine(Bus(), state=EngineState.PAUSED)
    settings = settings_for(broker.url(), "solo")
    async with (
        Subscriber("127.0.0.1", broker.port, ["retrowalk/solo/#"]) as sub,
        sink_running(settings, engine),
    ):
        await online(sub, "solo")
        for n, name in enumerate(("pause", "resume", "emergency_stop"), start=1):
            await sub.publish("retrowalk/solo/cmd", json.dumps({"command": name, "id": name[0]}))
            await sub.wait_for(lambda s, n=n: len(results(s, "solo")) == n)
        await sub.wait_for(lambda s: len(handled(s, "solo")) == 3)
        assert engine.state is EngineState.HOLD
    by_id = {r["id"]: r for r in results(sub, "solo")}
    # Not made up by the sink: the fake engine cannot pause a paused workout, and says so.
    assert (by_id["p"]["accepted"], by_id["p"]["reason"]) == (False, "cannot pause while paused")
    assert by_id["r"]["accepted"]
    assert by_id["e"]["accepted"]
    assert sorted((r.command.kind, r.command.request_id) for r in engine.commands) == [
        (CommandKind.EMERGENCY_STOP, "e"),
        (CommandKind.PAUSE, "p"),
        (CommandKind.RESUME, "r"),
    ]
    recorded = sorted(
        (e["origin"], e["result"]["command"]["request_id"], e["result"]["accepted"])
        for e in handled(sub, "solo")
    )
    assert recorded == [("remote", "e", True), ("remote", "p", False), ("remote", "r", True)]


MALFORMED = [
    b"{oops",
    b"\xff\xfe\x00",
    b"[]",
    b'{"command": "jump", "id": "m1"}',
    b'{"command": 3, "id": "m2"}',
    b'{"command": "pause", "id": 42}',
    b'{"command": "pause", "id": "m3", "speed_kmh": 25}',
    b'{"command": "pause", "id": "m4", "pad": "' + b"x" * 2000 + b'"}',
]


async def test_malformed_commands_get_an_error_result_and_change_nothing(
    broker: MqttBroker,
) -> None:
    """Bad JSON, unknown command, wrong types, extra fields, oversize: refused, nothing changes."""
    engine = FakeEngine(Bus())
    settings = settings_for(broker.url(), "mal", remote_control=True)
    async with (
        Subscriber("127.0.0.1", broker.port, ["retrowalk/mal/#"]) as sub,
        sink_running(settings, engine),
    ):
        await online(sub, "mal")
        for payload in MALFORMED:
            await sub.publish("retrowalk/mal/cmd", payload)
        await sub.wait_for(lambda s: len(results(s, "mal")) >= len(MALFORMED))
        state_before_exit = engine.state
    answers = results(sub, "mal")
    assert all(not r["accepted"] and r["reason"] for r in answers)
    assert engine.commands == []
    assert handled(sub, "mal") == []  # nothing reached the engine, so nothing is recorded
    assert state_before_exit is EngineState.RUNNING
    assert {r["id"] for r in answers} >= {None, "m1", "m2", "m3"}


async def test_a_retained_command_is_not_replayed_on_connect(broker: MqttBroker) -> None:
    """A command left retained on the broker is refused when the sink connects, not obeyed."""
    engine = FakeEngine(Bus())
    settings = settings_for(broker.url(), "ret")
    async with Subscriber("127.0.0.1", broker.port, ["retrowalk/ret/#"]) as sub:
        await sub.publish("retrowalk/ret/cmd", '{"command": "pause", "id": "old"}', retain=True)
        try:
            async with sink_running(settings, engine):
                await sub.wait_for(lambda s: results(s, "ret"))
                assert engine.state is EngineState.RUNNING
        finally:
            await sub.publish("retrowalk/ret/cmd", b"", retain=True)  # clear it
    answers = results(sub, "ret")  # one (amqtt replays retained messages twice: two)
    assert answers
    for result in answers:
        assert result["id"] == "old"
        assert not result["accepted"]
        assert "retained" in result["reason"]
    assert engine.commands == []


async def test_a_repeated_id_is_answered_again_but_not_run_twice(broker: MqttBroker) -> None:
    """A retried command (same id) gets the first answer again; the engine sees it once."""
    engine = FakeEngine(Bus())
    settings = settings_for(broker.url(), "dup")
    async with (
        Subscriber("127.0.0.1", broker.port, ["retrowalk/dup/#"]) as sub,
        sink_running(settings, engine),
    ):
        await online(sub, "dup")
        for _ in range(2):
            await sub.publish("retrowalk/dup/cmd", '{"command": "skip", "id": "s1"}')
        await sub.publish("retrowalk/dup/cmd", '{"command": "skip", "id": "s2"}')
        await sub.wait_for(lambda s: len(results(s, "dup")) == 3)
    assert [(r["id"], r["accepted"]) for r in results(sub, "dup")] == [
        ("s1", True),
        ("s1", True),
        ("s2", True),
    ]
    assert [r.command.request_id for r in engine.commands] == ["s1", "s2"]
    assert engine.step_index == 2  # two skips, not three
