"""Remote commands from MQTT messages to the engine: parse, forward, answer.

Every well-formed command is forwarded to the engine, whose CommandResult is the answer (the
engine applies the arming rule and records CommandHandled with origin "remote"). The sink answers
by itself only messages that cannot become a Command (see commands.py), retained messages and a
flood beyond MAX_WAITING_COMMANDS from one source; those are logged and change nothing.

`handle()` never blocks: the reader hands each message over and goes on reading. Commands are
forwarded one at a time in arrival order; emergency stops have a lane and a worker of their own,
so one is forwarded at once, even while the engine is still deciding another command, and every
command still waiting is cancelled (answered, never run: a resume sent before a stop must not
follow it). A command whose id was seen recently is not run again: its first answer is repeated
(controllers retry when an answer is slow; "skip" twice would skip two steps).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from retrowalk.engine.commands import CommandKind
from retrowalk.sinks.mqtt.commands import (
    Rejection,
    RemoteCommand,
    parse_command,
    result_payload,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from retrowalk.engine.commands import Command, CommandResult
    from retrowalk.sinks.mqtt.outbox import Outbox
    from retrowalk.sinks.mqtt.settings import MqttSettings

    Submit = Callable[[Command], Awaitable[CommandResult]]
    Lane = asyncio.Queue[RemoteCommand | None]

log = logging.getLogger("retrowalk.mqtt")
MAX_WAITING_COMMANDS = 16  # per source (direct or fleet)
MAX_WAITING_EMERGENCY_STOPS = 1000
REMEMBERED_IDS = 100
_PENDING: dict[str, Any] = {}  # marks an id whose first answer has not been given yet


class Dispatcher:
    """Hands well-formed remote commands to the engine, one at a time; emergency stops at once."""

    def __init__(self, settings: MqttSettings, outbox: Outbox, submit: Submit) -> None:
        self._settings = settings
        self._outbox = outbox
        self._submit = submit
        self._queue: Lane = asyncio.Queue()  # bounded per source by `_waiting`
        self._urgent: Lane = asyncio.Queue()  # bounded by MAX_WAITING_EMERGENCY_STOPS
        self._waiting: dict[str, int] = {}  # commands waiting in `_queue`, per source
        self._answers: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._owed: dict[str, int] = {}  # repeats that arrived before the first answer

    async def run(self) -> None:
        """Forward commands until `close()`: emergency stops in a lane of their own."""
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._work(self._urgent), name="mqtt-emergency-stops")
            tg.create_task(self._work(self._queue), name="mqtt-commands")

    def close(self) -> None:
        """Stop both workers once the waiting commands are forwarded."""
        self._urgent.put_nowait(None)
        self._queue.put_nowait(None)

    def _repeat(self, command: RemoteCommand) -> bool:
        """Return True (re-sending the first answer, if given) when the id was seen recently."""
        if command.request_id is None:
            return False
        answer = self._answers.get(command.request_id)
        if answer is None:
            self._answers[command.request_id] = _PENDING
            while len(self._answers) > REMEMBERED_IDS:
                self._answers.popitem(last=False)
            return False
        log.info(
            "MQTT: remote %s id=%s seen before: not run again", command.name, command.request_id
        )
        if answer is _PENDING:
            self._owed[command.request_id] = self._owed.get(command.request_id, 0) + 1
        else:
            self._outbox.add_result(answer)
        return True

    def _publish(self, payload: dict[str, Any]) -> None:
        """Queue an answer (and the copies owed to repeats); remember it for later repeats."""
        self._outbox.add_result(payload)
        request_id = payload.get("id")
        if isinstance(request_id, str) and request_id in self._answers:
            self._answers[request_id] = payload
            for _ in range(self._owed.pop(request_id, 0)):
                self._outbox.add_result(payload)

    def handle(self, payload: bytes, *, via: str, retained: bool) -> None:
        """Parse one command message and queue it for the engine, or answer a malformed one."""
        parsed = parse_command(payload, via=via)
        if isinstance(parsed, RemoteCommand) and self._repeat(parsed):
            return
        if isinstance(parsed, RemoteCommand) and retained:
            parsed = Rejection(
                parsed.request_id,
                parsed.name,
                "retained commands are ignored: publish commands without the retain flag",
                via,
            )
        if isinstance(parsed, RemoteCommand):
            self._enqueue(parsed)
            return
        self._answer(parsed)

    def _enqueue(self, command: RemoteCommand) -> None:
        if command.kind is CommandKind.EMERGENCY_STOP:  # jumps every queue
            if self._urgent.qsize() < MAX_WAITING_EMERGENCY_STOPS:
                self._urgent.put_nowait(command)
                self._cancel_waiting()
                return
            reason = (
                f"too many emergency stops waiting (at most {MAX_WAITING_EMERGENCY_STOPS}); "
                "the first of them is already stopping the belt"
            )
        else:
            waiting = self._waiting.get(command.via, 0)
            if waiting < MAX_WAITING_COMMANDS:
                self._waiting[command.via] = waiting + 1
                self._queue.put_nowait(command)
                return
            reason = (
                f"too many commands waiting (at most {MAX_WAITING_COMMANDS} {command.via} "
                "commands); try again"
            )
        self._answer(Rejection(command.request_id, command.name, reason, command.via))

    def _cancel_waiting(self) -> None:
        """Refuse every command still waiting: sent before an emergency stop, none may follow it."""
        closed = False
        while not self._queue.empty():
            command = self._queue.get_nowait()
            if command is None:
                closed = True
                continue
            self._waiting[command.via] -= 1
            reason = "cancelled by an emergency stop that came after it; send it again if needed"
            self._answer(Rejection(command.request_id, command.name, reason, command.via))
        if closed:
            self._queue.put_nowait(None)

    async def _work(self, lane: Lane) -> None:
        """Forward the commands of `lane` in arrival order until closed."""
        while (command := await lane.get()) is not None:
            if lane is self._queue:
                self._waiting[command.via] -= 1
            await self._forward(command)

    async def _forward(self, command: RemoteCommand) -> None:
        try:
            result = await self._submit(command.to_command())
        except Exception:  # the engine refused to even look: answer, never crash the sink
            log.exception("MQTT: the engine failed to handle remote %s", command.name)
            self._answer(
                Rejection(
                    command.request_id,
                    command.name,
                    "the workout is not taking commands",
                    command.via,
                )
            )
            return
        verdict = "accepted" if result.accepted else f"refused: {result.reason}"
        log.info(
            "MQTT: remote %s (id=%s, %s) %s", command.name, command.request_id, command.via, verdict
        )
        payload = result_payload(result, treadmill_id=self._settings.treadmill_id, via=command.via)
        self._publish(payload)

    def _answer(self, rejection: Rejection) -> None:
        log.info(
            "MQTT: refused remote %s (id=%s, %s): %s",
            rejection.name,
            rejection.request_id,
            rejection.via,
            rejection.reason,
        )
        payload = result_payload(rejection, treadmill_id=self._settings.treadmill_id)
        self._publish(payload)
