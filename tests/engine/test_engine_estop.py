"""Emergency stop: Stop is the very next write, then HOLD; in every state, after the end too."""

from __future__ import annotations

import asyncio

import pytest
from engine_rig import BW, FW, Rig, engine_rig, make_plan, until

from retrowalk.engine.commands import CommandKind, Origin
from retrowalk.engine.events import (
    Aborted,
    BeltAtRest,
    EngineState,
    Finished,
    Hold,
    HoldCause,
    RestReason,
    TurnPhase,
)
from retrowalk.engine.guard import STILL_KMH
from retrowalk.engine.runner import EngineOptions
from retrowalk_sim.bleak_backend import LINK_LATENCY_S
from retrowalk_sim.scenario import Action, Scenario


async def _quit(rig, run) -> object:
    assert (await rig.send(CommandKind.STOP)).accepted
    return await run


@pytest.mark.parametrize("offset_ms", [0, 5, 10, 15, 20, 25])
async def test_stop_is_the_next_write_even_with_a_speed_write_in_flight(offset_ms: int):
    """EMERGENCY_STOP while a ramp write waits for its indication: Stop comes next, then HOLD."""
    plan = make_plan([(FW, 600, 6.0, 0)])
    async with engine_rig(plan) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.writes().count("speed 2.0") == 1, step_s=0.001)
        await asyncio.sleep(1.0 - 0.03 + offset_ms / 1000)
        at = len(rig.writes())
        result = await rig.send(CommandKind.EMERGENCY_STOP, Origin.REMOTE)
        assert result.accepted
        assert rig.writes()[at] == "stop", rig.writes()[at - 2 :]
        await until(lambda: rig.engine.state == EngineState.HOLD)
        await asyncio.sleep(60)  # held: nothing restarts the belt
        assert rig.writes()[at:] == ["stop"]
        assert not rig.model.belt_running
        outcome = await _quit(rig, run)
    holds = rig.events(Hold)
    assert [h.cause for h in holds] == [HoldCause.EMERGENCY_STOP]
    assert any(e.why == RestReason.EMERGENCY_STOP for e in rig.events(BeltAtRest))
    assert isinstance(outcome, Aborted)
    assert outcome.belt_stopped


async def test_estop_in_a_turn_window_holds_and_resume_restarts_low():
    """EMERGENCY_STOP in the still window writes Stop next; a resume restarts low and ramps."""
    plan = make_plan([(FW, 20, 3.0, 0), (BW, 60, 2.0, 0)])
    async with engine_rig(plan) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.phase() == TurnPhase.WINDOW)
        at = len(rig.writes())
        assert (await rig.send(CommandKind.EMERGENCY_STOP)).accepted
        await until(lambda: rig.engine.state == EngineState.HOLD)
        await asyncio.sleep(30)
        assert rig.writes()[at:] == ["stop"]
        assert (await rig.send(CommandKind.RESUME)).accepted
        outcome = await run
    after = rig.writes()[at + 1 :]
    assert after[after.index("start") + 1] == "speed 1.0"
    assert isinstance(outcome, Finished)


def _in_flight(rig: Rig) -> str | None:
    """Return the control point write whose response is still on the simulated link, if any."""
    timed = rig.timed_writes()
    if not timed:
        return None
    t, write = timed[-1]
    on_link = asyncio.get_running_loop().time() < t + LINK_LATENCY_S / 2
    return write if on_link else None


async def test_estop_was_in_flight_at_least_once():
    """The in-flight case is real: the probe catches a device call in flight."""
    plan = make_plan([(FW, 600, 6.0, 0)])
    async with engine_rig(plan) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: _in_flight(rig) == "speed 2.0", step_s=0.001)
        at = len(rig.writes())
        assert (await rig.send(CommandKind.EMERGENCY_STOP)).accepted
        await _quit(rig, run)
    assert rig.writes()[at:] == ["stop"]


async def test_estop_before_the_start_stops_and_waits():
    """EMERGENCY_STOP while waiting for the start is accepted: Stop, and nothing starts."""
    plan = make_plan([(FW, 60, 3.0, 0)])
    async with engine_rig(plan, options=EngineOptions()) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.engine.state == EngineState.WAITING_START)
        assert (await rig.send(CommandKind.EMERGENCY_STOP)).accepted
        await asyncio.sleep(30)
        # Control was never requested before the start: the device asks for it and retries.
        assert rig.writes() == ["stop", "control", "stop"]
        outcome = await _quit(rig, run)
    assert isinstance(outcome, Aborted)


async def test_estop_after_the_end_stops_a_belt_left_running():
    """After a --keep-walking finish the belt runs; Esc (emergency stop) still stops it."""
    plan = make_plan([(FW, 30, 3.0, 0)])
    options = EngineOptions(auto_confirm=True, keep_walking=True)
    async with engine_rig(plan, options=options) as rig:
        outcome = await rig.engine.run()
        assert isinstance(outcome, Finished)
        assert not outcome.belt_stopped
        assert rig.model.belt_running
        result = await rig.send(CommandKind.EMERGENCY_STOP)
        assert result.accepted
        await until(lambda: not rig.model.belt_running, timeout_s=30)
    assert rig.writes()[-1] == "stop"


@pytest.mark.parametrize(("ignored_s", "stopped"), [(30.0, True), (400.0, False)])
async def test_estop_after_the_end_resends_stop_until_the_belt_is_at_rest(
    ignored_s: float, stopped: bool
):
    """After the end a Stop the machine ignores is sent again, on the backoff, until rest.

    The machine acknowledges Stop and keeps the belt running from t=20: the first Stop after a
    --keep-walking finish does nothing. While the fault lasts (30 s) Stop is re-sent and the belt
    stops once it passes; when it lasts past the bound, the person is told to stop it themselves.
    """
    plan = make_plan([(FW, 30, 3.0, 0)])
    options = EngineOptions(auto_confirm=True, keep_walking=True)
    scenario = Scenario(events=(Action(20.0, "ignore_stop", for_s=ignored_s),))
    async with engine_rig(plan, options=options, scenario=scenario) as rig:
        outcome = await rig.engine.run()
        assert isinstance(outcome, Finished)
        pressed = rig.engine.elapsed()
        before = rig.writes().count("stop")
        result = await rig.send(CommandKind.EMERGENCY_STOP)
        assert result.accepted
        answered = rig.engine.elapsed()
        belt_after = rig.trace.belt_kmh_at(answered)
    sent = rig.writes().count("stop") - before
    if stopped:
        assert result.reason == ""
        assert belt_after == 0.0
        assert sent >= 3  # ignored twice or more, then the one that stopped it
        assert answered <= 20.0 + ignored_s + 8.0 + 15.0  # the backoff's step, then the coast
    else:
        assert "still moving" in result.reason
        assert belt_after > 2.5  # ground truth: the belt ran on, and the person was told so
        assert sent >= 6
        assert answered - pressed <= 3.0 / 0.25 + 5.0 + 30.0 + 10.0  # bounded


async def test_estop_after_the_end_during_a_link_outage_stops_the_belt_once_it_is_back():
    """Esc after a --keep-walking finish while the link is down: Stop goes out on reconnect."""
    plan = make_plan([(FW, 30, 3.0, 0)])
    options = EngineOptions(auto_confirm=True, keep_walking=True)
    async with engine_rig(plan, options=options) as rig:
        outcome = await rig.engine.run()
        assert isinstance(outcome, Finished)
        rig.model.drop_link(refuse_s=15.0)
        await asyncio.sleep(1.0)
        assert not rig.treadmill.is_connected
        assert rig.model.belt_running  # the belt runs on without the link, as real ones do
        result = await rig.send(CommandKind.EMERGENCY_STOP)
        answered = rig.engine.elapsed()
    assert result.accepted
    assert result.reason == ""
    assert rig.trace.belt_kmh_at(answered) <= STILL_KMH  # at rest, as the guard judges rest
    assert rig.writes()[-2:] == ["control", "stop"]  # control asked again on the new link
