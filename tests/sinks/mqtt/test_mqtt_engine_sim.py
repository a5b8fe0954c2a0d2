"""Two real engines on simulated treadmills, a real broker, and fleet commands from a coach."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

import pytest
from bleak import BleakClient

from mqtt_fakes import Subscriber, settings_for
from plans import plan_of
from retrowalk.device.treadmill import FtmsTreadmill
from retrowalk.engine.bus import Bus
from retrowalk.engine.runner import Engine, EngineOptions
from retrowalk.ftms.control_point import decode_request
from retrowalk.ftms.models import ControlOp
from retrowalk.history import read_log
from retrowalk.sinks.mqtt.sink import run_mqtt
from retrowalk.sinks.recorder import SessionRecorder
from retrowalk.workout.plan import Direction, Plan
from retrowalk.workout.safety import get_profile
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from mqtt_broker import MqttBroker
    from retrowalk_sim.bleak_backend import SimPeripheral
    from retrowalk_sim.model import TreadmillModel

pytestmark = pytest.mark.realtime


def short_plan() -> Plan:
    """One forward minute at 3 km/h, started without a countdown to keep the test short."""
    return plan_of(
        [(Direction.FORWARD, 60, 3.0, 0.0, "walk")], name="room", source="room.yaml", countdown_s=0
    )


@contextlib.asynccontextmanager
async def lane(
    peripheral: SimPeripheral[TreadmillModel], bus: Bus, *, armed: bool
) -> AsyncIterator[Engine]:
    """Yield an Engine on `peripheral` publishing on `bus` (armed or not for remote control)."""
    async with FtmsTreadmill(BleakClient(peripheral.device, backend=SimulatedClient)) as device:
        yield Engine(
            short_plan(),
            device,
            bus=bus,
            profile=get_profile("standard"),
            options=EngineOptions(remote_control=armed),
        )


def state(sub: Subscriber, treadmill: str) -> str | None:
    """Return the latest published engine state of `treadmill`."""
    states = sub.json(f"retrowalk/{treadmill}/state")
    return states[-1]["state"] if states else None


def result(sub: Subscriber, treadmill: str, request_id: str) -> dict[str, Any] | None:
    """Return the command result for `request_id`, if published."""
    found = [r for r in sub.json(f"retrowalk/{treadmill}/cmd/result") if r["id"] == request_id]
    return found[0] if found else None


async def test_fleet_commands_reach_two_simulated_treadmills(  # noqa: PLR0915 - one story
    broker: MqttBroker, tmp_path: Path
) -> None:
    """Fleet confirm starts only the armed treadmill; fleet emergency stop stops both and holds."""
    world = SimWorld()
    pa, pb = world.add(profile="home", name="lane-a"), world.add(profile="home", name="lane-b")
    sa = settings_for(broker.url(), "lane-a", remote_control=True)
    sb = settings_for(broker.url(), "lane-b", remote_control=False)
    bus_a, bus_b = Bus(), Bus()
    async with (
        world,
        Subscriber("127.0.0.1", broker.port, ["retrowalk/#"]) as coach,
        lane(pa, bus_a, armed=True) as a,
        lane(pb, bus_b, armed=False) as b,
    ):
        plan = short_plan()
        async with contextlib.AsyncExitStack() as stack:
            tg = await stack.enter_async_context(asyncio.TaskGroup())
            for engine, bus, settings in ((a, bus_a, sa), (b, bus_b, sb)):
                channel = bus.subscribe("mqtt")
                tg.create_task(run_mqtt(settings, channel, engine.submit, plan=plan))
            recorder = await stack.enter_async_context(SessionRecorder(tmp_path))
            log_b = bus_b.subscribe("recorder", snapshots="none")
            header_b = {"workout": {"name": "lane-b"}}
            recording = tg.create_task(recorder.run(log_b, header_b, latest=lambda: bus_b.latest))
            runs = [tg.create_task(a.run()), tg.create_task(b.run())]
            await coach.wait_for(
                lambda s: state(s, "lane-a") == state(s, "lane-b") == "waiting_start", 10
            )
            await coach.publish("retrowalk/fleet/cmd", '{"command": "confirm_turn", "id": "go"}')
            await coach.wait_for(lambda s: result(s, "lane-a", "go") and result(s, "lane-b", "go"))
            assert result(coach, "lane-a", "go")["accepted"]  # type: ignore[index]
            refused = result(coach, "lane-b", "go")
            assert refused is not None
            # The unarmed engine itself refused it (the sink forwards every well-formed command).
            assert not refused["accepted"]
            assert refused["reason"].startswith("remote control is off")
            await coach.wait_for(lambda s: state(s, "lane-a") == "running", 10)
            await coach.wait_for(lambda _: pa.model.belt_running, 10)
            assert not pb.model.belt_running  # the unarmed treadmill never moved

            await coach.publish("retrowalk/fleet/cmd", '{"command": "emergency_stop", "id": "x"}')
            await coach.wait_for(lambda s: state(s, "lane-a") == state(s, "lane-b") == "hold", 10)
            await coach.wait_for(lambda _: not pa.model.belt_running, 30)
            await coach.publish("retrowalk/fleet/cmd", '{"command": "stop", "id": "q"}')
            outcomes = [await run for run in runs]
            session_b = await recording
            await coach.wait_for(
                lambda s: (
                    s.payloads("retrowalk/lane-a/session")
                    and s.payloads("retrowalk/lane-b/session")
                ),
                10,
            )
    assert [type(o).__name__ for o in outcomes] == ["Aborted", "Aborted"]
    assert all(o.belt_stopped for o in outcomes)
    writes_a = [decode_request(d).op for d in pa.model.control_point_log]
    writes_b = [decode_request(d).op for d in pb.model.control_point_log]
    assert ControlOp.START_OR_RESUME in writes_a
    assert writes_a[-1] == ControlOp.STOP_OR_PAUSE  # the emergency stop was the last word
    assert ControlOp.START_OR_RESUME not in writes_b
    for treadmill in ("lane-a", "lane-b"):
        assert result(coach, treadmill, "x")["accepted"]  # type: ignore[index]
        (session,) = coach.json(f"retrowalk/{treadmill}/session")
        assert session["outcome"] == "aborted"
        assert coach.payloads(f"retrowalk/{treadmill}/status")[-1] == b"offline"
    # Each engine recorded the remote commands it handled, with their origin.
    handled_a = [
        e["result"]["command"]
        for e in coach.json("retrowalk/lane-a/event")
        if e["type"] == "CommandHandled"
    ]
    assert [(c["kind"], c["origin"], c["request_id"]) for c in handled_a] == [
        ("confirm", "remote", "go"),
        ("emergency_stop", "remote", "x"),
        ("stop", "remote", "q"),
    ]
    assert json.loads(coach.payloads("retrowalk/lane-a/state")[-1])["state"] == "aborted"
    # The unarmed treadmill's session log holds the refused remote confirm, with its origin.
    assert session_b is not None
    lines = [e.fields for e in read_log(session_b).events]
    handled_b = [
        (e["origin"], r["command"]["kind"], r["command"]["request_id"], r["accepted"], reason)
        for e in lines
        if e.get("type") == "CommandHandled"
        for r in [e["result"]]
        for reason in [r["reason"].split(":")[0]]
    ]
    assert handled_b == [
        ("remote", "confirm", "go", False, "remote control is off"),
        ("remote", "emergency_stop", "x", True, ""),
        ("remote", "stop", "q", True, ""),
    ]


async def test_an_unarmed_engine_refuses_every_remote_command_that_could_start_the_belt(
    broker: MqttBroker,
) -> None:
    """Without --remote-control the real engine refuses remote resume, confirm, skip and back."""
    world = SimWorld()
    peripheral = world.add(profile="home", name="lane-u")
    bus = Bus()
    motion = ("resume", "confirm_turn", "skip", "back")
    async with (
        world,
        Subscriber("127.0.0.1", broker.port, ["retrowalk/lane-u/#"]) as coach,
        lane(peripheral, bus, armed=False) as engine,
        asyncio.TaskGroup() as tg,
    ):
        channel = bus.subscribe("mqtt")
        tg.create_task(run_mqtt(settings_for(broker.url(), "lane-u"), channel, engine.submit,
                                plan=short_plan()))  # fmt: skip
        run = tg.create_task(engine.run())
        await coach.wait_for(lambda s: state(s, "lane-u") == "waiting_start", 10)
        for name in motion:
            await coach.publish("retrowalk/lane-u/cmd", json.dumps({"command": name, "id": name}))
        await coach.wait_for(lambda s: all(result(s, "lane-u", n) for n in motion))
        await coach.publish("retrowalk/lane-u/cmd", '{"command": "emergency_stop", "id": "x"}')
        await coach.wait_for(lambda s: state(s, "lane-u") == "hold", 10)  # holds, never ends
        await coach.publish("retrowalk/lane-u/cmd", '{"command": "stop", "id": "q"}')
        outcome = await run
        await coach.wait_for(lambda s: result(s, "lane-u", "x") and result(s, "lane-u", "q"))
    for name in motion:
        refused = result(coach, "lane-u", name)
        assert refused is not None
        assert not refused["accepted"]
        assert refused["reason"].startswith("remote control is off")
    assert result(coach, "lane-u", "x")["accepted"]  # type: ignore[index]
    assert type(outcome).__name__ == "Aborted"
    assert not peripheral.model.belt_running
    writes = [decode_request(d).op for d in peripheral.model.control_point_log]
    assert ControlOp.START_OR_RESUME not in writes
