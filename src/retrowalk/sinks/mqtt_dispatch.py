"""Remote commands from MQTT messages to the engine: parse, forward, answer.

Every well-formed command is forwarded to the engine, whose CommandResult is the answer (the
engine applies the arming rule and records CommandHandled with origin "remote"). The sink answers
by itself only messages that cannot become a Command (see mqtt_commands), retained messages and a
flood beyond MAX_WAITING_COMMANDS; those are logged and change nothing.

Commands are forwarded one at a time in arrival order; an emergency stop is forwarded at once,
past any queue. A command whose id was seen recently is not run again: its first answer is
repeated (controllers retry when an answer is slow; "skip" twice would skip two steps).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from retrowalk.engine.commands import CommandKind
from retrowalk.sinks.mqtt_commands import (
    Rejection,
    RemoteCommand,
    parse_command,
    result_payload,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from retrowalk.engine.commands import Command, CommandResult
    from retrowalk.sinks.mqtt_outbox import Outbox
    from retrowalk.sinks.mqtt_settings import MqttSettings

    Submit = Callable[[Command], Awaitable[CommandResult]]

log = logging.getLogger("retrowalk.mqtt")
MAX_WAITING_COMMANDS = 16
REMEMBERED_IDS = 100
_PENDING: dict[str, Any] = {}  # marks an id whose first answer has not been given yet


class Dispatcher:
    """Hands well-formed remote commands to the engine, one at a time; emergency stop at once."""

    def __init__(
        self, settings: MqttSettings, outbox: Outbox, submit: Submit, tg: asyncio.TaskGroup
    ) -> None:
        self._settings = settings
        self._outbox = outbox
        self._submit = submit
        self._tg = tg
        self._queue: asyncio.Queue[RemoteCommand | None] = asyncio.Queue(MAX_WAITING_COMMANDS)
        self._answers: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._owed: dict[str, int] = {}  # repeats that arrived before the first answer

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
            self._tg.create_task(self._forward(command), name="mqtt-emergency-stop")
            return
        try:
            self._queue.put_nowait(command)
        except asyncio.QueueFull:
            self._answer(
                Rejection(
                    command.request_id,
                    command.name,
                    f"too many commands waiting (at most {MAX_WAITING_COMMANDS}); try again",
                    command.via,
                )
            )

    async def work(self) -> None:
        """Forward queued commands in arrival order until closed."""
        while (command := await self._queue.get()) is not None:
            await self._forward(command)

    def close(self) -> None:
        """Stop the worker once the queued commands are forwarded."""
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)
            return
        # Full queue at shutdown: drop the backlog; the engine is finished anyway.
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

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
