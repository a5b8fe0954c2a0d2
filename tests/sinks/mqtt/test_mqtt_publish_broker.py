"""Against a real broker: state, event, status and session payloads, Last Will, HA discovery."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from test_mqtt_schema import validate

from mqtt_fakes import FakeEngine, Subscriber, settings_for, sink_running
from retrowalk.engine.bus import Bus

if TYPE_CHECKING:
    from mqtt_broker import MqttBroker

pytestmark = pytest.mark.realtime


async def test_a_workout_publishes_valid_state_events_status_and_session(
    broker: MqttBroker,
) -> None:
    """A run publishes online, valid state/events/session, then offline; retained ones stay."""
    engine = FakeEngine(Bus())
    settings = settings_for(broker.url(), "tm1")
    async with Subscriber("127.0.0.1", broker.port, ["retrowalk/tm1/#"]) as sub:
        async with sink_running(settings, engine):
            engine.start_step(0)
            await sub.wait_for(lambda s: len(s.payloads("retrowalk/tm1/state")) >= 3)
            engine.start_step(1)
        await sub.wait_for(lambda s: s.payloads("retrowalk/tm1/status")[-1:] == [b"offline"])
    assert sub.payloads("retrowalk/tm1/status")[0] == b"online"
    states = sub.json("retrowalk/tm1/state")
    for state in states:
        validate("state", state)
    assert states[-1]["state"] == "finished"
    events = sub.json("retrowalk/tm1/event")
    for event in events:
        validate("event", event)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["type"] for e in events][:2] == ["StepStarted", "StepStarted"]
    assert events[-1]["type"] == "Finished"
    (session,) = sub.json("retrowalk/tm1/session")
    validate("session", session)
    assert session["outcome"] == "finished"
    # A dashboard that connects later still sees the retained status, state and summary.
    async with Subscriber("127.0.0.1", broker.port, ["retrowalk/tm1/#"]) as late:
        await late.wait_for(lambda s: len({t for t, _, r in s.messages if r}) == 3)
    retained = {t: p for t, p, r in late.messages if r}
    assert retained["retrowalk/tm1/status"] == b"offline"
    assert json.loads(retained["retrowalk/tm1/state"])["state"] == "finished"
    assert json.loads(retained["retrowalk/tm1/session"])["outcome"] == "finished"


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from retrowalk.engine.bus import Bus
    from retrowalk.sinks.mqtt.settings import MqttSettings
    from retrowalk.sinks.mqtt.sink import run_mqtt
    sys.path.insert(0, sys.argv[2])
    from mqtt_fakes import FakeEngine, make_plan

    async def main():
        settings = MqttSettings.from_url(sys.argv[1], treadmill_id="doomed")
        engine = FakeEngine(Bus())
        channel = engine.bus.subscribe("mqtt")
        async with asyncio.TaskGroup() as tg:
            tg.create_task(run_mqtt(settings, channel, engine.submit, plan=make_plan()))
            await engine.run_ticks(0.1)

    asyncio.run(main())
    """
)


async def test_last_will_says_offline_when_the_process_dies(broker: MqttBroker) -> None:
    """A retrowalk process killed with SIGKILL is reported offline (retained) by its Last Will."""
    tests_dir = str(Path(__file__).parents[2])  # where mqtt_fakes.py is
    async with Subscriber("127.0.0.1", broker.port, ["retrowalk/doomed/status"]) as sub:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD, broker.url(), tests_dir
        )
        try:
            await sub.wait_for(lambda s: b"online" in s.payloads("retrowalk/doomed/status"), 10)
        finally:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            await child.wait()
        await sub.wait_for(lambda s: s.payloads("retrowalk/doomed/status")[-1] == b"offline")
    async with Subscriber("127.0.0.1", broker.port, ["retrowalk/doomed/status"]) as late:
        await late.wait_for(lambda s: s.messages)
    assert late.messages == [("retrowalk/doomed/status", b"offline", True)]


def ha_configs(sub: Subscriber) -> dict[str, Any]:
    """Return the retained Home Assistant configs received, by topic.

    The prefix check is for amqtt, which also sends unrelated retained messages to a
    `homeassistant/#` subscriber.
    """
    return {
        t: json.loads(p)
        for t, p, retained in sub.messages
        if retained and t.startswith("homeassistant/")
    }


async def test_home_assistant_discovery_is_retained_with_availability(broker: MqttBroker) -> None:
    """With HA discovery on, retained sensor and button configs point at state, cmd and status."""
    engine = FakeEngine(Bus())
    settings = settings_for(broker.url(), "ha1", ha_discovery=True)
    async with (
        Subscriber("127.0.0.1", broker.port, ["retrowalk/ha1/state"]) as sub,
        sink_running(settings, engine),
    ):
        await sub.wait_for(lambda s: s.messages)  # discovery goes out before any state
    async with Subscriber("127.0.0.1", broker.port, ["homeassistant/#"]) as ha:
        await ha.wait_for(lambda s: len(ha_configs(s)) >= 11)
    topics = ha_configs(ha)
    sensors = {t.split("/")[3] for t in topics if t.startswith("homeassistant/sensor/")}
    buttons = {t.split("/")[3] for t in topics if t.startswith("homeassistant/button/")}
    assert {
        "speed",
        "incline",
        "direction",
        "interval",
        "heart_rate",
        "distance",
        "energy",
    } <= sensors
    assert buttons == {"pause", "resume", "stop"}
    for topic, config in topics.items():
        validate("ha_sensor" if "/sensor/" in topic else "ha_button", config)
        assert config["availability_topic"] == "retrowalk/ha1/status"
    speed = topics["homeassistant/sensor/retrowalk_ha1/speed/config"]
    assert (speed["state_topic"], speed["unit_of_measurement"]) == ("retrowalk/ha1/state", "km/h")
    pause = topics["homeassistant/button/retrowalk_ha1/pause/config"]
    assert pause["command_topic"] == "retrowalk/ha1/cmd"
    assert json.loads(pause["payload_press"])["command"] == "pause"


async def test_without_ha_discovery_nothing_is_announced(broker: MqttBroker) -> None:
    """Discovery is opt-in: without it no homeassistant/ topic is touched."""
    engine = FakeEngine(Bus())
    settings = settings_for(broker.url(), "noha")
    async with (
        Subscriber("127.0.0.1", broker.port, ["homeassistant/#", "retrowalk/noha/state"]) as sub,
        sink_running(settings, engine),
    ):
        await sub.wait_for(lambda s: s.payloads("retrowalk/noha/state"))
    assert not [t for t, _, _ in sub.messages if t.startswith("homeassistant/")]
