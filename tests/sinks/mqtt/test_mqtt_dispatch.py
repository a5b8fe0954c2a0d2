"""The command dispatcher: one at a time, emergency stop first, repeats never run twice."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from retrowalk.engine.commands import Command, CommandKind, CommandResult, Origin
from retrowalk.sinks.mqtt.dispatch import MAX_WAITING_COMMANDS, Dispatcher
from retrowalk.sinks.mqtt.outbox import Outbox
from retrowalk.sinks.mqtt.settings import MqttSettings

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


class SlowEngine:
    """A submit that holds every command but emergency stop until released."""

    def __init__(self) -> None:
        self.seen: list[Command] = []
        self.release = asyncio.Event()

    async def submit(self, command: Command) -> CommandResult:
        """Record `command`; accept it once released (emergency stop: at once)."""
        self.seen.append(command)
        if command.kind is not CommandKind.EMERGENCY_STOP:
            await self.release.wait()
        return CommandResult(command, accepted=True)


def results(outbox: Outbox) -> list[dict[str, Any]]:
    """Return every queued result, emergency stops' answers first (as they are published)."""
    return [json.loads(p) for p in (*outbox.stop_results, *outbox.results)]


def answers(outbox: Outbox) -> list[tuple[str | None, str | None, bool]]:
    """Return (id, command, accepted) of every queued result."""
    return [(r["id"], r["command"], r["accepted"]) for r in results(outbox)]


def cmd(name: str, request_id: str | None = None) -> bytes:
    """Return a command payload."""
    body: dict[str, str] = {"command": name}
    if request_id is not None:
        body["id"] = request_id
    return json.dumps(body).encode()


async def run_dispatcher(
    engine: SlowEngine, scenario: Callable[[Dispatcher, SlowEngine], Awaitable[None]]
) -> Outbox:
    """Run a Dispatcher with its worker while `scenario(dispatcher, engine)` plays."""
    settings = MqttSettings.from_url("mqtt://h", treadmill_id="t")
    outbox = Outbox(settings, workout="w")
    async with asyncio.TaskGroup() as tg:
        dispatcher = Dispatcher(settings, outbox, engine.submit)
        worker = tg.create_task(dispatcher.run())
        await scenario(dispatcher, engine)
        engine.release.set()
        dispatcher.close()
        await worker
    return outbox


async def test_emergency_stop_overtakes_a_command_the_engine_is_still_handling() -> None:
    """While a pause is held by the engine, an emergency stop still reaches it at once."""

    async def scenario(d: Dispatcher, engine: SlowEngine) -> None:
        d.handle(cmd("pause", "p"), via="direct", retained=False)
        await asyncio.sleep(0.1)
        d.handle(cmd("emergency_stop", "e"), via="fleet", retained=False)
        await asyncio.sleep(1.0)
        assert [c.kind for c in engine.seen] == [CommandKind.PAUSE, CommandKind.EMERGENCY_STOP]

    engine = SlowEngine()
    outbox = await run_dispatcher(engine, scenario)
    assert answers(outbox) == [("e", "emergency_stop", True), ("p", "pause", True)]


async def test_an_emergency_stop_cancels_the_commands_waiting_before_it() -> None:
    """A resume queued before an emergency stop never reaches the engine after it; later ones do."""

    async def scenario(d: Dispatcher, engine: SlowEngine) -> None:
        d.handle(cmd("pause", "p"), via="direct", retained=False)
        await asyncio.sleep(0.1)  # the pause is with the engine now
        d.handle(cmd("resume", "r"), via="direct", retained=False)  # waiting
        d.handle(cmd("skip", "s"), via="fleet", retained=False)  # waiting
        d.handle(cmd("emergency_stop", "e"), via="direct", retained=False)
        d.handle(cmd("resume", "after"), via="direct", retained=False)
        await asyncio.sleep(0.5)

    engine = SlowEngine()
    outbox = await run_dispatcher(engine, scenario)
    assert [c.request_id for c in engine.seen] == ["p", "e", "after"]
    by_id = {r["id"]: r for r in results(outbox)}
    for cancelled in ("r", "s"):
        assert not by_id[cancelled]["accepted"]
        assert "cancelled by an emergency stop" in by_id[cancelled]["reason"]
    assert by_id["after"]["accepted"]


async def test_a_repeat_that_arrives_before_the_answer_gets_it_too() -> None:
    """Two messages with one id: the engine sees one command, both messages get an answer."""

    async def scenario(d: Dispatcher, engine: SlowEngine) -> None:
        d.handle(cmd("skip", "same"), via="direct", retained=False)
        d.handle(cmd("skip", "same"), via="fleet", retained=False)
        await asyncio.sleep(0.5)

    engine = SlowEngine()
    outbox = await run_dispatcher(engine, scenario)
    assert len(engine.seen) == 1
    assert answers(outbox) == [("same", "skip", True), ("same", "skip", True)]


async def test_a_flood_of_commands_is_refused_beyond_the_queue() -> None:
    """More waiting commands than the queue holds: the excess is refused, not queued."""

    async def scenario(d: Dispatcher, engine: SlowEngine) -> None:
        for n in range(MAX_WAITING_COMMANDS + 5):
            d.handle(cmd("skip", f"s{n}"), via="direct", retained=False)

    engine = SlowEngine()
    outbox = await run_dispatcher(engine, scenario)
    refused = [a for a in answers(outbox) if not a[2]]
    assert len(refused) == 5  # in one burst: 16 wait, 5 are turned away
    reasons = [r["reason"] for r in results(outbox) if not r["accepted"]]
    assert all("too many commands waiting" in r for r in reasons)


async def test_a_flood_from_one_source_leaves_room_for_the_other() -> None:
    """The fleet topic flooding the queue does not turn away a command on the treadmill's own."""

    async def scenario(d: Dispatcher, engine: SlowEngine) -> None:
        for n in range(MAX_WAITING_COMMANDS + 5):
            d.handle(cmd("skip", f"f{n}"), via="fleet", retained=False)
        d.handle(cmd("pause", "mine"), via="direct", retained=False)

    engine = SlowEngine()
    outbox = await run_dispatcher(engine, scenario)
    by_id = {r["id"]: r for r in results(outbox)}
    assert by_id["mine"]["accepted"]
    assert sum(not r["accepted"] for r in by_id.values()) == 5


async def test_a_flood_of_emergency_stops_reaches_the_engine_stop_by_stop() -> None:
    """Fifty emergency stops at once, while a command is held: each is forwarded and answered."""

    async def scenario(d: Dispatcher, engine: SlowEngine) -> None:
        d.handle(cmd("pause", "p"), via="direct", retained=False)
        await asyncio.sleep(0.1)
        for n in range(50):
            d.handle(cmd("emergency_stop", f"e{n}"), via="fleet", retained=False)
        await asyncio.sleep(0.1)
        assert sum(c.kind is CommandKind.EMERGENCY_STOP for c in engine.seen) == 50

    engine = SlowEngine()
    outbox = await run_dispatcher(engine, scenario)
    assert all(accepted for _, _, accepted in answers(outbox))


class RefusingEngine(SlowEngine):
    """An engine that refuses every motion command with its own reason."""

    async def submit(self, command: Command) -> CommandResult:
        """Record `command`; refuse resume and confirm, accept the rest."""
        self.seen.append(command)
        if command.kind in {CommandKind.RESUME, CommandKind.CONFIRM}:
            return CommandResult(command, accepted=False, reason="the engine says no")
        return CommandResult(command, accepted=True)


async def test_unarmed_motion_commands_reach_the_engine_and_its_answer_is_published() -> None:
    """Unarmed sink: resume and confirm_turn are forwarded; the engine's refusal is the answer."""

    async def scenario(d: Dispatcher, engine: SlowEngine) -> None:
        d.handle(cmd("resume", "r"), via="direct", retained=False)
        d.handle(cmd("confirm_turn", "c"), via="fleet", retained=False)
        d.handle(b'{"command": "resume", "id": "bad", "speed": 9}', via="direct", retained=False)
        d.handle(cmd("resume", "old"), via="direct", retained=True)
        await asyncio.sleep(0.5)

    engine = RefusingEngine()
    outbox = await run_dispatcher(engine, scenario)
    assert [(c.kind, c.origin, c.request_id) for c in engine.seen] == [
        (CommandKind.RESUME, Origin.REMOTE, "r"),
        (CommandKind.CONFIRM, Origin.REMOTE, "c"),
    ]
    by_id = {r["id"]: r for r in results(outbox)}
    assert (by_id["r"]["accepted"], by_id["r"]["reason"]) == (False, "the engine says no")
    assert (by_id["c"]["command"], by_id["c"]["via"]) == ("confirm_turn", "fleet")
    assert by_id["c"]["reason"] == "the engine says no"
    assert "unknown field" in by_id["bad"]["reason"]  # malformed: answered by the sink
    assert "retained" in by_id["old"]["reason"]
