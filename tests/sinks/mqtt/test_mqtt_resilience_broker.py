"""Against a real broker: absent at start, killed mid-workout, never back. The workout goes on."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import pytest

from mqtt_fakes import (
    FakeEngine,
    Subscriber,
    make_plan,
    settings_for,
    sink_running,
    wait_until,
)
from retrowalk.engine import events as ev
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandKind, CommandResult, Origin
from retrowalk.engine.events import EngineState
from retrowalk.sinks.mqtt.sink import run_mqtt

if TYPE_CHECKING:
    from mqtt_broker import MqttBroker

pytestmark = pytest.mark.realtime

# The longest the engine's own 50 ms ticker may be held up: the sink must never block it.
MAX_ENGINE_GAP_S = 0.5


def needs_persistence(broker: MqttBroker) -> None:
    """Skip unless the broker keeps subscriber sessions across a restart (mosquitto does)."""
    if not broker.persistent:
        pytest.skip(f"{broker.kind} forgets sessions on restart; this test needs mosquitto")


def seqs(sub: Subscriber, topic: str) -> list[int]:
    """Return the distinct event sequence numbers received, sorted."""
    return sorted({e["seq"] for e in sub.json(topic)})


async def prime(broker: MqttBroker, session: str, topics: list[str]) -> None:
    """Create a persistent subscriber session, so the broker queues what it would miss."""
    needs_persistence(broker)
    async with Subscriber("127.0.0.1", broker.port, topics, session=session):
        pass


async def test_broker_down_at_start_then_up_delivers_buffered_events(broker: MqttBroker) -> None:
    """Broker absent at start: the workout runs; once it is up, state flows and events arrive."""
    topics = ["retrowalk/late/#"]
    await prime(broker, "dash-late", topics)
    broker.stop()
    engine = FakeEngine(Bus())
    settings = settings_for(broker.url(), "late")
    async with sink_running(settings, engine):
        for n in range(5):
            engine.bus.publish(ev.Notice(t=engine.t, message=f"early {n}"))
        result = await engine.submit(Command(CommandKind.PAUSE, Origin.KEYBOARD))
        assert result.accepted  # the workout does not wait for the broker
        await broker.start_async()
        async with Subscriber("127.0.0.1", broker.port, topics, session="dash-late") as sub:
            await sub.wait_for(lambda s: s.payloads("retrowalk/late/state"), within_s=5)
            await sub.wait_for(lambda s: len(seqs(s, "retrowalk/late/event")) >= 7, within_s=5)
            events = sub.json("retrowalk/late/event")
    warnings = [e["message"] for e in events if e["type"] == "Notice"]
    assert warnings == [f"early {n}" for n in range(5)]
    assert engine.max_gap_s < MAX_ENGINE_GAP_S


async def test_broker_killed_and_restarted_mid_workout(
    broker: MqttBroker, caplog: pytest.LogCaptureFixture
) -> None:
    """Broker killed mid-run: workout untouched, state back within 5 s, outage events delivered."""
    caplog.set_level(logging.INFO, logger="retrowalk.mqtt")
    engine = FakeEngine(Bus())
    settings = settings_for(broker.url(), "tm-k")
    needs_persistence(broker)
    topics, event = ["retrowalk/tm-k/#"], "retrowalk/tm-k/event"
    async with sink_running(settings, engine):
        async with Subscriber("127.0.0.1", broker.port, topics, session="dash-k") as before:
            engine.bus.publish(ev.Notice(t=engine.t, message="before"))
            await before.wait_for(lambda s: s.payloads(event))
        t_kill, ticks_at_kill = engine.t, engine.ticks
        broker.kill()
        for n in range(20):
            engine.bus.publish(ev.Notice(t=engine.t, message=f"during {n}"))
            await asyncio.sleep(0.02)
        skip = await engine.submit(Command(CommandKind.SKIP, Origin.KEYBOARD))
        assert skip.accepted
        assert engine.ticks > ticks_at_kill  # the engine kept ticking through the outage
        await broker.start_async()
        async with Subscriber("127.0.0.1", broker.port, topics, session="dash-k") as after:
            await after.wait_for(
                lambda s: any(st["t"] > t_kill for st in s.json("retrowalk/tm-k/state")),
                within_s=5,
            )
            await after.wait_for(lambda s: len(s.payloads(event)) >= 22, within_s=5)
            assert b"online" in after.payloads("retrowalk/tm-k/status")
    messages = [e["message"] for e in after.json(event) if e["type"] == "Notice"]
    assert [m for m in messages if m != "before"] == [f"during {n}" for n in range(20)]
    assert engine.state is EngineState.FINISHED
    assert engine.max_gap_s < MAX_ENGINE_GAP_S
    assert "lost mqtt://127.0.0.1" in caplog.text
    assert "reconnected to" in caplog.text
    assert "refused the login" not in caplog.text  # a dropped link is not a login problem


async def test_long_outage_drops_oldest_events_with_a_counted_warning(
    broker: MqttBroker, caplog: pytest.LogCaptureFixture
) -> None:
    """More events than the buffer holds: the oldest are dropped, counted and reported."""
    caplog.set_level(logging.WARNING, logger="retrowalk.mqtt")
    topics = ["retrowalk/tm-o/#"]
    await prime(broker, "dash-o", topics)
    broker.stop()
    engine = FakeEngine(Bus())
    settings = settings_for(broker.url(), "tm-o", event_buffer=5)
    async with sink_running(settings, engine):
        for n in range(12):
            engine.bus.publish(ev.Notice(t=engine.t, message=f"w{n}"))
        await asyncio.sleep(0.1)
        await broker.start_async()
        async with Subscriber("127.0.0.1", broker.port, topics, session="dash-o") as sub:
            await sub.wait_for(lambda s: len(s.payloads("retrowalk/tm-o/event")) >= 5, within_s=5)
            engine.finish()
            await sub.wait_for(lambda s: s.payloads("retrowalk/tm-o/session"), within_s=5)
    events = sub.json("retrowalk/tm-o/event")
    assert [e["message"] for e in events[:5]] == [f"w{n}" for n in range(7, 12)]
    assert [e["seq"] for e in events[:5]] == list(range(8, 13))
    assert "7 event(s) were dropped while the broker was unreachable" in caplog.text
    (session,) = sub.json("retrowalk/tm-o/session")
    assert session["events_dropped"] == 7


async def test_broker_that_never_returns_does_not_hold_the_end_of_the_workout(
    broker: MqttBroker, caplog: pytest.LogCaptureFixture
) -> None:
    """With the broker gone, run_mqtt returns after the final flush time and says what was lost."""
    broker.stop()
    engine = FakeEngine(Bus())
    settings = settings_for(broker.url(), "gone", final_flush_s=0.3)
    async with sink_running(settings, engine) as sink:
        engine.bus.publish(ev.Notice(t=0.0, message="lost"))
    assert sink.done()
    assert sink.exception() is None
    assert "unreachable at the end of the workout" in caplog.text
    assert "the session summary" in caplog.text


async def test_cancelled_sink_says_offline_itself(broker: MqttBroker) -> None:
    """Cancelling run_mqtt (Ctrl-C) publishes offline before the clean disconnect."""
    engine = FakeEngine(Bus())
    channel = engine.bus.subscribe("mqtt")
    settings = settings_for(broker.url(), "cancel-me")
    async with Subscriber("127.0.0.1", broker.port, ["retrowalk/cancel-me/status"]) as sub:
        sink = asyncio.ensure_future(run_mqtt(settings, channel, engine.submit, plan=make_plan()))
        await sub.wait_for(lambda s: s.payloads("retrowalk/cancel-me/status") == [b"online"])
        sink.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sink
        await sub.wait_for(lambda s: s.payloads("retrowalk/cancel-me/status")[-1] == b"offline")


async def test_a_command_stuck_in_the_engine_does_not_hold_the_end(broker: MqttBroker) -> None:
    """If submit never answers, run_mqtt still returns after the final flush time."""
    engine = FakeEngine(Bus())
    channel = engine.bus.subscribe("mqtt")
    stuck = asyncio.Event()

    async def never(command: Command) -> CommandResult:
        stuck.set()
        await asyncio.Event().wait()
        raise AssertionError(command)

    settings = settings_for(broker.url(), "stuck", final_flush_s=0.3)
    async with Subscriber("127.0.0.1", broker.port, ["retrowalk/stuck/#"]) as sub:
        async with asyncio.TaskGroup() as tg:
            sink = tg.create_task(run_mqtt(settings, channel, never, plan=make_plan()))
            engine.tick()
            await sub.wait_for(lambda s: s.payloads("retrowalk/stuck/state"))
            await sub.publish("retrowalk/stuck/cmd", '{"command": "pause"}')
            await stuck.wait()
            engine.finish()
        await sub.wait_for(lambda s: s.payloads("retrowalk/stuck/status")[-1:] == [b"offline"])
    assert sink.exception() is None


async def test_a_silent_broker_is_noticed_by_keepalive_and_state_flows_after(
    broker: MqttBroker, caplog: pytest.LogCaptureFixture
) -> None:
    """A frozen broker (no RST, like a dead network) is dropped by keepalive; state comes back."""
    caplog.set_level(logging.INFO, logger="retrowalk.mqtt")
    engine = FakeEngine(Bus())
    settings = settings_for(broker.url(), "frozen", keepalive_s=1, timeout_s=1.0)
    async with (
        Subscriber("127.0.0.1", broker.port, ["retrowalk/frozen/state"], keepalive=60) as sub,
        sink_running(settings, engine),
    ):
        await sub.wait_for(lambda s: s.messages)
        broker.freeze()
        await wait_until(lambda: "lost mqtt://" in caplog.text)
        t_thaw = engine.t
        broker.thaw()
        await sub.wait_for(
            lambda s: any(st["t"] > t_thaw for st in s.json("retrowalk/frozen/state")), within_s=5
        )
    assert engine.max_gap_s < MAX_ENGINE_GAP_S


async def test_a_broker_frozen_at_the_end_does_not_hold_the_end(
    broker: MqttBroker, caplog: pytest.LogCaptureFixture
) -> None:
    """A broker that stops answering as the workout ends: run_mqtt gives up after the flush time."""
    engine = FakeEngine(Bus())
    settings = settings_for(broker.url(), "late-freeze", final_flush_s=0.5)
    async with Subscriber("127.0.0.1", broker.port, ["retrowalk/late-freeze/state"]) as sub:
        async with sink_running(settings, engine) as sink:
            await sub.wait_for(lambda s: s.messages)
            broker.freeze()
            for n in range(50):  # events the frozen broker will never acknowledge
                engine.bus.publish(ev.Notice(t=engine.t, message=f"unacknowledged {n}"))
        broker.thaw()
    assert sink.exception() is None
    assert "at the end of the workout; not delivered" in caplog.text
