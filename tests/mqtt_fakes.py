"""Test doubles for the MQTT tests: a small engine stand-in on a real Bus, and a subscriber.

`FakeEngine` applies commands to a state and a step counter, emits CommandHandled and publishes
Snapshots on a real Bus. It knows no arming rule: what the engine refuses a remote controller is
tested against the real engine on the simulator (test_mqtt_engine_sim.py). `Subscriber` is a
plain aiomqtt client that records messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import aiomqtt

from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandKind, CommandResult
from retrowalk.engine.events import (
    Aborted,
    CommandHandled,
    EngineState,
    Finished,
    Hold,
    HoldCause,
    Paused,
    Resumed,
    Snapshot,
    StateChanged,
    StepFinished,
    StepStarted,
)
from retrowalk.sinks.mqtt.payloads import dumps, state_payload
from retrowalk.sinks.mqtt.settings import MqttSettings
from retrowalk.sinks.mqtt.sink import run_mqtt
from retrowalk.workout import build_plan
from retrowalk.workout.load import parse_workout
from retrowalk.workout.plan import Direction, Plan

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

WORKOUT = """\
version: 1
name: retro-intro
profile: standard
intervals:
  - forward: 1:00
    speed: 4.0
    incline: 1
  - backward: 1:00
    speed: 2.0
    incline: 1
  - forward: 1:00
    speed: 4.0
    incline: 1
"""


def make_plan() -> Plan:
    """Return the real planner's plan of a small workout: forward, backward, forward minutes."""
    return build_plan(parse_workout(WORKOUT, "test.yaml"))


@dataclass
class FakeEngine:
    """A stand-in engine: a state, a step counter and snapshots; it obeys whoever sends."""

    bus: Bus
    state: EngineState = EngineState.RUNNING
    step_index: int = 0
    step_count: int = 3
    t: float = 0.0
    distance_m: float = 0.0
    commands: list[CommandResult] = field(default_factory=list)
    ticks: int = 0
    max_gap_s: float = 0.0

    def snapshot(self) -> Snapshot:
        """Return the current Snapshot."""
        walking = self.state is EngineState.RUNNING
        return Snapshot(
            t=self.t,
            state=self.state,
            step_index=self.step_index,
            step_count=self.step_count,
            direction=Direction.BACKWARD if self.step_index % 2 else Direction.FORWARD,
            label="easy",
            target_speed_kmh=4.0,
            target_incline_pct=1.0,
            actual_speed_kmh=3.95 if walking else 0.0,
            actual_incline_pct=1.0,
            step_elapsed_s=self.t % 60,
            step_remaining_s=60 - self.t % 60,
            step_remaining_m=None,
            workout_elapsed_s=self.t,
            workout_remaining_s=180 - self.t,
            distance_m=self.distance_m,
            energy_kcal=self.t / 20,
            heart_rate_bpm=101,
            hold_cause=HoldCause.EMERGENCY_STOP if self.state is EngineState.HOLD else None,
            hold_advice="press resume" if self.state is EngineState.HOLD else None,
            turn_phase=None,
            turn_remaining_s=None,
            coach_mode=False,
            next_direction=Direction.BACKWARD,
            next_speed_kmh=2.0,
            next_incline_pct=0.0,
            next_label=None,
        )

    def tick(self, dt: float = 0.1) -> None:
        """Advance the fake workout and publish a snapshot."""
        self.t += dt
        if self.state is EngineState.RUNNING:
            self.distance_m += dt * 4.0 / 3.6
        self.bus.publish(self.snapshot())

    async def run_ticks(self, tick_s: float) -> None:
        """Tick every `tick_s` seconds for ever, recording the longest gap between ticks."""
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            self.tick(tick_s)
            await asyncio.sleep(tick_s)
            now = loop.time()
            self.max_gap_s = max(self.max_gap_s, now - last)
            self.ticks += 1
            last = now

    def start_step(self, index: int) -> None:
        """Publish StepStarted for `index`."""
        self.step_index = index
        self.bus.publish(
            StepStarted(
                t=self.t,
                index=index,
                count=self.step_count,
                direction=Direction.FORWARD,
                label="easy",
                cue=None,
                duration_s=60.0,
                distance_m=None,
                speed_kmh=4.0,
                incline_pct=1.0,
            )
        )

    def finish(self) -> None:
        """Publish StepFinished and Finished, then close the bus."""
        self.bus.publish(
            StepFinished(
                t=self.t, index=self.step_index, skipped=False, elapsed_s=60.0, distance_m=66.0
            )
        )
        self._move(EngineState.FINISHED)
        self.bus.publish(
            Finished(
                t=self.t,
                elapsed_s=self.t,
                distance_m=self.distance_m,
                energy_kcal=9.5,
                steps_completed=self.step_count,
                steps_skipped=0,
                belt_stopped=True,
            )
        )
        self.bus.publish(self.snapshot())
        self.bus.close()

    def abort(self, reason: str) -> None:
        """Publish Aborted, then close the bus."""
        self._move(EngineState.ABORTED)
        self.bus.publish(
            Aborted(
                t=self.t,
                reason=reason,
                elapsed_s=self.t,
                distance_m=self.distance_m,
                energy_kcal=1.0,
                belt_stopped=True,
            )
        )
        self.bus.publish(self.snapshot())
        self.bus.close()

    async def submit(self, command: Command) -> CommandResult:
        """Apply `command` like the engine would; publish CommandHandled."""
        await asyncio.sleep(0)
        result = self._decide(command)
        self.commands.append(result)
        self.bus.publish(CommandHandled(t=self.t, origin=command.origin, result=result))
        self.bus.publish(self.snapshot())
        return result

    def _decide(self, command: Command) -> CommandResult:
        kind = command.kind
        if kind is CommandKind.EMERGENCY_STOP:
            self._move(EngineState.HOLD)
            self.bus.publish(
                Hold(t=self.t, cause=HoldCause.EMERGENCY_STOP, detail="remote", advice="resume")
            )
            return CommandResult(command, accepted=True)
        if kind is CommandKind.PAUSE and self.state is EngineState.RUNNING:
            self._move(EngineState.PAUSED)
            self.bus.publish(Paused(t=self.t, origin=command.origin))
            return CommandResult(command, accepted=True)
        if kind is CommandKind.RESUME and self.state in {EngineState.PAUSED, EngineState.HOLD}:
            self._move(EngineState.RUNNING)
            self.bus.publish(Resumed(t=self.t, origin=command.origin))
            return CommandResult(command, accepted=True)
        if kind is CommandKind.SKIP and self.state is EngineState.RUNNING:
            self.start_step(self.step_index + 1)
            return CommandResult(command, accepted=True)
        return CommandResult(
            command, accepted=False, reason=f"cannot {kind.value} while {self.state.value}"
        )

    def _move(self, state: EngineState) -> None:
        previous, self.state = self.state, state
        self.bus.publish(StateChanged(t=self.t, state=state, previous=previous))


class Subscriber:
    """A plain MQTT client that records every message on the topics it subscribes to."""

    def __init__(
        self, host: str, port: int, topics: list[str], *, session: str | None = None, **kwargs: Any
    ) -> None:
        if session is not None:  # a persistent session: the broker queues what it misses
            kwargs |= {"identifier": session, "clean_session": False}
        self._client = aiomqtt.Client(host, port, timeout=3, **kwargs)
        self._topics = topics
        self.messages: list[tuple[str, bytes, bool]] = []
        self._new = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        await self._client.__aenter__()
        await self._client.subscribe([(t, 1) for t in self._topics])
        self._task = asyncio.get_running_loop().create_task(self._collect())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with_exc = await asyncio.gather(self._task, return_exceptions=True)
        del with_exc
        await self._client.__aexit__(None, None, None)

    async def _collect(self) -> None:
        async for message in self._client.messages:
            self.messages.append((message.topic.value, bytes(message.payload), message.retain))
            self._new.set()

    async def publish(self, topic: str, payload: bytes | str, *, retain: bool = False) -> None:
        """Publish with QoS 1."""
        await self._client.publish(topic, payload, qos=1, retain=retain)

    def payloads(self, topic: str) -> list[bytes]:
        """Return every payload received on `topic`, in order."""
        return [p for t, p, _ in self.messages if t == topic]

    def json(self, topic: str) -> list[dict[str, Any]]:
        """Return every payload on `topic`, decoded."""
        return [json.loads(p) for p in self.payloads(topic)]

    async def wait_for(self, predicate: Any, within_s: float = 5.0) -> None:
        """Wait until `predicate(self)` is true."""
        async with asyncio.timeout(within_s):
            while not predicate(self):
                self._new.clear()
                await self._new.wait()


def state_bytes(treadmill_id: str, **changes: object) -> bytes:
    """Return a real state payload for a fake engine, with `changes` applied."""
    payload = state_payload(FakeEngine(Bus()).snapshot(), treadmill_id=treadmill_id, workout="w")
    return dumps(payload | changes)


def settings_for(url: str, treadmill_id: str, **options: Any) -> MqttSettings:
    """Return MqttSettings with short intervals and backoff, so broker tests stay quick."""
    tuning = {"state_interval_s": 0.2, "backoff_initial_s": 0.05, "backoff_max_s": 0.3}
    return MqttSettings.from_url(url, treadmill_id=treadmill_id, **(tuning | options))


async def wait_until(condition: Callable[[], bool], within_s: float = 5.0) -> None:
    """Poll `condition` (something no event signals, like a log line) until it holds."""
    async with asyncio.timeout(within_s):
        while not condition():  # noqa: ASYNC110 - nothing signals a log line: poll it
            await asyncio.sleep(0.01)


def schema_path() -> Path:
    """Return docs/mqtt-schema.json."""
    return Path(__file__).resolve().parents[1] / "docs" / "mqtt-schema.json"


@contextlib.asynccontextmanager
async def sink_running(
    settings: MqttSettings, engine: FakeEngine, *, tick_s: float = 0.05
) -> AsyncIterator[asyncio.Task[None]]:
    """Run `run_mqtt` and a snapshot ticker; on exit finish the workout and wait for the sink."""
    channel = engine.bus.subscribe("mqtt")
    async with asyncio.TaskGroup() as tg:
        sink = tg.create_task(run_mqtt(settings, channel, engine.submit, plan=make_plan()))
        ticker = tg.create_task(engine.run_ticks(tick_s))
        try:
            yield sink
        finally:
            ticker.cancel()
            if engine.state not in {EngineState.FINISHED, EngineState.ABORTED}:
                engine.finish()
