"""Hands-free confirmation: the console's Start counts as the go; the countdown is advanced only."""

from __future__ import annotations

import asyncio

from engine_rig import BW, FW, engine_rig, make_plan, until

from retrowalk.engine.commands import CommandKind
from retrowalk.engine.events import (
    EngineState,
    Finished,
    Hold,
    HoldCause,
    StartAhead,
    TurnPhase,
    TurnPhaseChanged,
)
from retrowalk.engine.runner import EngineOptions
from retrowalk_sim.scenario import Action, Scenario

MANUAL = EngineOptions()
PLAN = [(FW, 20, 3.0, 0), (BW, 60, 2.0, 0)]


def phases(rig) -> list[TurnPhase]:
    """Return the turn phases in order."""
    return [e.phase for e in rig.events(TurnPhaseChanged)]


async def go(rig) -> None:
    """Press Enter at the start."""
    await until(lambda: rig.engine.state == EngineState.WAITING_START)
    assert (await rig.send(CommandKind.CONFIRM)).accepted


async def test_the_console_start_in_a_turn_window_is_the_persons_go():
    """Facing the console's side after the turn, the person presses its Start: the belt starts."""
    plan = make_plan(PLAN, confirm=True)
    async with engine_rig(plan, options=MANUAL) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await go(rig)
        await until(lambda: TurnPhase.AWAITING_CONFIRM in phases(rig), timeout_s=120)
        starts = rig.writes().count("start")
        rig.model.console_start()
        await until(lambda: rig.writes().count("start") == starts + 1)
        outcome = await run
    assert isinstance(outcome, Finished)


async def test_a_console_start_during_a_hold_resumes_and_the_belt_restarts_low():
    """A console stop holds; the console's Start resumes (the person pressed it), low then up."""
    plan = make_plan([(FW, 300, 4.0, 0)])
    scenario = Scenario(events=(Action(30.0, "console_stop"), Action(60.0, "console_start")))
    async with engine_rig(plan, scenario=scenario) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.engine.state == EngineState.HOLD, timeout_s=60)
        await until(lambda: rig.engine.state == EngineState.RUNNING, timeout_s=60)
        await asyncio.sleep(20)
        assert rig.trace.belt_kmh_at(rig.engine.elapsed()) > 2.0
        await rig.send(CommandKind.STOP)
        await run
    after = [w for t, w in rig.timed_writes() if t - rig.engine.started_at > 60]
    assert after[:3] == ["control", "start", "speed 1.0"]


async def test_the_countdown_start_is_for_the_advanced_profile_only():
    """`confirm: false` counts down under advanced; under standard the belt waits for Enter."""
    plan = make_plan(PLAN, confirm=False)
    async with (
        engine_rig(plan, profile="advanced", options=MANUAL) as rig,
        asyncio.TaskGroup() as tg,
    ):
        run = tg.create_task(rig.engine.run())
        await go(rig)
        outcome = await run
    assert isinstance(outcome, Finished)
    assert TurnPhase.START_COUNTDOWN in phases(rig)
    assert [e.seconds for e in rig.events(StartAhead)] == [5, 4, 3, 2, 1]
    async with (
        engine_rig(plan, profile="standard", options=MANUAL) as rig,
        asyncio.TaskGroup() as tg,
    ):
        run = tg.create_task(rig.engine.run())
        await go(rig)
        await until(lambda: TurnPhase.AWAITING_CONFIRM in phases(rig), timeout_s=120)
        await asyncio.sleep(60)
        assert rig.writes().count("start") == 1  # only the first start
        assert not rig.events(StartAhead)
        await rig.send(CommandKind.STOP)
        await run


async def test_esc_during_the_countdown_keeps_the_belt_still():
    """An emergency stop in the countdown cancels it: no Start, HOLD until the person resumes."""
    plan = make_plan(PLAN, confirm=False)
    async with (
        engine_rig(plan, profile="advanced", options=MANUAL) as rig,
        asyncio.TaskGroup() as tg,
    ):
        run = tg.create_task(rig.engine.run())
        await go(rig)
        await until(lambda: len(rig.events(StartAhead)) >= 2, timeout_s=120)
        starts = rig.writes().count("start")
        assert (await rig.send(CommandKind.EMERGENCY_STOP)).accepted
        await asyncio.sleep(60)
        assert rig.writes().count("start") == starts
        assert rig.engine.state == EngineState.HOLD
        assert rig.events(Hold)[-1].cause == HoldCause.EMERGENCY_STOP
        await rig.send(CommandKind.STOP)
        await run
