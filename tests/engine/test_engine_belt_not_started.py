"""A machine that accepts Start but keeps its belt still (FR30Z): hold, never run the clock."""

from __future__ import annotations

import asyncio

from engine_rig import BW, FW, engine_rig, make_plan, speeds, until

from retrowalk.cli.sim_person import run_sim_person
from retrowalk.engine.commands import CommandKind
from retrowalk.engine.events import (
    EngineState,
    Finished,
    Hold,
    HoldCause,
    Notice,
    Resumed,
    StepFinished,
)
from retrowalk.engine.runner import EngineOptions

_LOW = EngineOptions().start_speed_kmh


async def test_belt_never_started_holds_without_running_the_step_clock():
    """No console start: HOLD with advice, the step's time stays 0, the belt's target stays low."""
    plan = make_plan([(FW, 120, 3.0, 0)])
    async with engine_rig(plan, machine="fr30z") as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.engine.state == EngineState.HOLD, timeout_s=120)
        hold = rig.events(Hold)[-1]
        assert hold.cause == HoldCause.BELT_NOT_STARTED
        assert "press start on the treadmill's console" in hold.advice.lower()
        assert "resume" in hold.advice.lower()
        assert any("console" in w.message for w in rig.events(Notice))
        await asyncio.sleep(120)  # nobody there: the hold never ends by itself
        assert rig.engine.state == EngineState.HOLD
        assert rig.step_elapsed() == 0.0
        assert rig.bus.latest is not None
        assert rig.bus.latest.hold_cause == HoldCause.BELT_NOT_STARTED
        assert max(speeds(rig.writes())) <= _LOW
        assert rig.model.distance_m == 0.0
        rig.model.console_start()
        assert (await rig.send(CommandKind.RESUME)).accepted
        await until(lambda: rig.model.speed_kmh >= 2.95, timeout_s=60)
        result = await run
    assert isinstance(result, Finished)
    finished = rig.events(StepFinished)
    assert [f.skipped for f in finished] == [False]
    assert finished[0].elapsed_s == 120.0
    assert finished[0].distance_m > 50.0


async def test_console_start_during_the_wait_runs_normally_after_each_turn():
    """The person presses the console's start while the engine waits: no hold, every step walks."""
    plan = make_plan([(FW, 60, 3.0, 0), (BW, 60, 2.0, 0)])
    async with engine_rig(plan, machine="fr30z") as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        for presses in (1, 2):
            await until(lambda n=presses: len(rig.events(Notice)) >= n, timeout_s=200)
            await asyncio.sleep(20)  # well inside the wait
            rig.model.console_start()
        result = await run
    assert isinstance(result, Finished)
    assert not rig.events(Hold)
    finished = rig.events(StepFinished)
    assert [(f.skipped, f.elapsed_s) for f in finished] == [(False, 60.0), (False, 60.0)]
    assert all(f.distance_m > 20.0 for f in finished)


async def test_slow_simulated_person_resumes_a_belt_not_started_hold():
    """The --yes stand-in, too slow for the wait, presses start and resumes the hold: finished."""
    plan = make_plan([(FW, 60, 3.0, 0)])
    async with engine_rig(plan, machine="fr30z") as rig:
        person = rig.bus.subscribe("person", snapshots="none")
        async with asyncio.TaskGroup() as tg:
            tg.create_task(run_sim_person(person, [rig.model], rig.engine.submit, reaction_s=70))
            result = await rig.engine.run()
    assert isinstance(result, Finished)
    assert [h.cause for h in rig.events(Hold)] == [HoldCause.BELT_NOT_STARTED]
    assert rig.events(Resumed)
    finished = rig.events(StepFinished)
    assert [(f.skipped, f.elapsed_s) for f in finished] == [(False, 60.0)]
    assert finished[0].distance_m > 20.0
