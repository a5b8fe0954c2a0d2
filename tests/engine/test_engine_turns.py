"""The turn-around, byte for byte at the simulator's control point."""

from __future__ import annotations

import asyncio
import itertools

from engine_rig import BW, FW, engine_rig, make_plan, speeds, until

from retrowalk.engine.commands import CommandKind, Origin
from retrowalk.engine.events import (
    EngineState,
    Finished,
    TurnEnded,
    TurnPhase,
    TurnPhaseChanged,
    TurnStarted,
)
from retrowalk.engine.runner import EngineOptions
from retrowalk.workout.plan import TurnMode


async def test_turn_stops_before_window_and_restarts_low_with_ramp():
    """Forward to backward: ramp down, Stop, a still window, Start, a low speed, then a ramp."""
    plan = make_plan([(FW, 20, 3.0, 0), (BW, 20, 2.0, 0), (FW, 10, 3.0, 0)])
    async with engine_rig(plan) as rig:
        result = await rig.engine.run()
        await until(lambda: not rig.model.belt_running, timeout_s=20)
    assert isinstance(result, Finished)
    assert rig.writes()[-1] == "stop"
    timed = rig.timed_writes()
    tokens = [w for _, w in timed]
    stop_at = tokens.index("stop")
    # Ramp down from 3.0 in 0.5 steps to the low speed, then Stop.
    assert tokens[stop_at - 4 : stop_at + 1] == [
        "speed 2.5",
        "speed 2.0",
        "speed 1.5",
        "speed 1.0",
        "stop",
    ]
    start_at = tokens.index("start", stop_at)
    window = tokens[stop_at + 1 : start_at]
    assert all(not w.startswith("speed") for w in window), window  # nothing above zero
    assert timed[start_at][0] - timed[stop_at][0] >= 12.0  # the turn window
    # Low start, then a ramp up to the backward target.
    assert tokens[start_at : start_at + 4] == ["start", "speed 1.0", "speed 1.5", "speed 2.0"]
    raw = rig.model.control_point_log
    assert raw[stop_at] == bytes.fromhex("0801")
    assert raw[start_at] == bytes.fromhex("07")
    assert raw[start_at + 1] == bytes.fromhex("026400")  # 1.00 km/h
    # Ramp steps are a ramp interval apart, never a jump.
    ramp_times = [t for t, _ in timed[start_at + 1 : start_at + 4]]
    assert all(b - a >= 0.99 for a, b in itertools.pairwise(ramp_times))
    phases = [e.phase for e in rig.events(TurnPhaseChanged)][:6]
    assert phases == [
        TurnPhase.RAMP_DOWN,
        TurnPhase.STOPPING,
        TurnPhase.WINDOW,
        TurnPhase.STARTING,
        TurnPhase.RAMP_UP,
        TurnPhase.RAMP_DOWN,
    ]
    assert len(rig.events(TurnStarted)) == 2
    assert [e.direction for e in rig.events(TurnEnded)] == [BW, FW]


async def test_backward_first_interval_starts_with_a_turn():
    """A backward first interval: the turn window comes before the belt ever starts."""
    plan = make_plan([(BW, 20, 2.0, 0), (FW, 10, 3.0, 0)])
    async with engine_rig(plan) as rig:
        await rig.engine.run()
    names = rig.names()
    assert names.index("TurnStarted") < names.index("StepStarted")
    first = rig.events(TurnStarted)[0]
    assert first.from_direction is None
    assert first.to_direction == BW
    timed = rig.timed_writes()
    start_time = next(t for t, w in timed if w == "start")
    window = next(e for e in rig.events(TurnPhaseChanged) if e.phase == TurnPhase.WINDOW)
    assert start_time - rig.engine.started_at >= window.t + 12.0 - 1e-6
    before_start = [w for _, w in timed if _ < start_time]
    assert all(not w.startswith("speed") for w in before_start)


async def test_turn_waits_for_confirmation_and_refuses_remote_confirm():
    """With confirm, the belt stays stopped past the window until the person confirms."""
    plan = make_plan([(FW, 10, 3.0, 0), (BW, 10, 2.0, 0)], confirm=True)
    options = EngineOptions(auto_confirm=False)
    async with engine_rig(plan, options=options) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.engine.state == EngineState.WAITING_START)
        await asyncio.sleep(30)
        assert rig.writes() == []  # the belt never starts by itself
        assert (await rig.send(CommandKind.CONFIRM)).accepted
        await until(lambda: rig.phase() == TurnPhase.AWAITING_CONFIRM)
        await asyncio.sleep(60)
        stop_at = rig.writes().index("stop")
        assert "start" not in rig.writes()[stop_at:]
        refused = await rig.send(CommandKind.CONFIRM, Origin.REMOTE)
        assert not refused.accepted
        assert "remote control" in refused.reason
        assert (await rig.send(CommandKind.CONFIRM)).accepted
        await until(lambda: rig.engine.state == EngineState.RUNNING)
        assert rig.writes()[stop_at + 1 : stop_at + 3] == ["start", "speed 1.0"]
        result = await run
    assert isinstance(result, Finished)


async def test_slow_turn_keeps_a_low_speed_without_stopping():
    """A workout that chose mode: slow turns at the slow speed, never stopping the belt."""
    plan = make_plan([(FW, 10, 3.0, 0), (BW, 10, 2.0, 0)], mode=TurnMode.SLOW)
    async with engine_rig(plan) as rig:
        await rig.engine.run()
    tokens = rig.writes()
    first_bw = tokens.index("speed 2.0", tokens.index("speed 1.0"))
    turn = tokens[: first_bw + 1]
    assert "stop" not in turn
    assert min(speeds(turn[3:])) == 1.0
