"""Emergency stop: the Stop write is the very next control point write, whatever is in flight."""

from __future__ import annotations

import asyncio

import pytest
from engine_rig import BW, FW, engine_rig, make_plan, until

from retrowalk.engine.commands import CommandKind, Origin
from retrowalk.engine.events import Aborted, EngineState, TurnPhase


@pytest.mark.parametrize("offset_ms", [0, 5, 10, 15, 20, 25])
async def test_stop_is_the_next_write_even_with_a_speed_write_in_flight(offset_ms: int):
    """EMERGENCY_STOP while a ramp write waits for its indication: Stop comes next, nothing else."""
    plan = make_plan([(FW, 600, 6.0, 0)])
    async with engine_rig(plan) as rig:
        async with asyncio.TaskGroup() as tg:
            run = tg.create_task(rig.engine.run())
            await until(lambda: rig.writes().count("speed 2.0") == 1, step_s=0.001)
            await asyncio.sleep(1.0 - 0.03 + offset_ms / 1000)
            in_flight = rig.engine._control._lock.locked()
            at = len(rig.writes())
            result = await rig.send(CommandKind.EMERGENCY_STOP, Origin.REMOTE)
            assert result.accepted
            outcome = await run
        await until(lambda: not rig.model.belt_running, timeout_s=30)
    assert rig.writes()[at] == "stop", (in_flight, rig.writes()[at - 2 :])
    assert rig.writes()[at:] == ["stop"]
    assert isinstance(outcome, Aborted)
    assert outcome.reason == "emergency stop"
    assert outcome.belt_stopped
    assert rig.engine.state == EngineState.ABORTED


async def test_estop_during_a_turn_window_and_before_the_start():
    """EMERGENCY_STOP in the still window writes Stop next and nothing restarts the belt."""
    plan = make_plan([(FW, 20, 3.0, 0), (BW, 60, 2.0, 0)])
    async with engine_rig(plan) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.engine._s.turn_phase == TurnPhase.WINDOW)
        at = len(rig.writes())
        assert (await rig.send(CommandKind.EMERGENCY_STOP)).accepted
        outcome = await run
        await asyncio.sleep(30)
    assert rig.writes()[at:] == ["stop"]
    assert isinstance(outcome, Aborted)


async def test_estop_was_in_flight_at_least_once():
    """The in-flight case is real: the probe above catches the control lock held."""
    plan = make_plan([(FW, 600, 6.0, 0)])
    async with engine_rig(plan) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(
            lambda: rig.engine._control._lock.locked() and "speed 2.0" in rig.writes(), step_s=0.001
        )
        at = len(rig.writes())
        assert (await rig.send(CommandKind.EMERGENCY_STOP)).accepted
        await run
    assert rig.writes()[at:] == ["stop"]
