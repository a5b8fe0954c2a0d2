"""Commands through submit(): skip, back, nudge, console override, pause, stop, keep walking."""

from __future__ import annotations

import asyncio

import pytest
from engine_rig import BW, FW, engine_rig, make_plan, speeds, until

from retrowalk.engine.commands import CommandKind, Origin
from retrowalk.engine.events import (
    Aborted,
    CommandHandled,
    EngineState,
    Finished,
    Override,
    Paused,
    StepFinished,
    StepStarted,
    TurnStarted,
)
from retrowalk.engine.runner import EngineOptions
from retrowalk.units import KMH_PER_MPH


def _started(rig) -> list[int]:
    return [e.index for e in rig.events(StepStarted)]


async def test_skip_ends_the_step_and_starts_the_next():
    """SKIP finishes the current step as skipped and runs the next one."""
    plan = make_plan([(FW, 60, 3.0, 0), (FW, 60, 4.0, 0), (FW, 30, 3.0, 0)])
    async with engine_rig(plan) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.started(0) and rig.step_elapsed() >= 10)
        assert (await rig.send(CommandKind.SKIP)).accepted
        result = await run
    assert isinstance(result, Finished)
    assert _started(rig) == [0, 1, 2]
    finished = rig.events(StepFinished)
    assert [(e.index, e.skipped) for e in finished] == [(0, True), (1, False), (2, False)]
    assert 9.9 <= finished[0].elapsed_s <= 10.5
    assert result.steps_skipped == 1
    assert result.steps_completed == 2


async def test_back_returns_to_the_previous_step_and_turns_if_needed():
    """BACK from a backward step goes to the forward step before it, through a turn-around."""
    plan = make_plan([(FW, 30, 3.0, 0), (BW, 60, 2.0, 0), (FW, 20, 3.0, 0)])
    async with engine_rig(plan) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.started(1))
        await asyncio.sleep(5)
        writes_before = len(rig.writes())
        assert (await rig.send(CommandKind.BACK)).accepted
        await until(lambda: rig.started(0, times=2))  # back at the first step
        turn = rig.writes()[writes_before:]
        assert "stop" in turn
        stop_at = turn.index("stop")
        assert not speeds(turn[stop_at : turn.index("start")])
        result = await run
    assert isinstance(result, Finished)
    assert _started(rig) == [0, 1, 0, 1, 2]
    turns = [e.to_direction for e in rig.events(TurnStarted)]
    assert turns == [BW, FW, BW, FW]


async def test_nudge_speed_is_an_override_within_the_profile_limit():
    """A nudge is recorded as an Override, capped by the safety profile, refused past the cap."""
    plan = make_plan([(FW, 20, 3.0, 0), (BW, 120, 2.5, 0), (FW, 20, 3.0, 0)])
    async with engine_rig(plan, profile="beginner") as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.started(1))
        accepted = await rig.send(CommandKind.NUDGE_SPEED, value=2.0)
        assert accepted.accepted
        override = rig.events(Override)[-1]
        assert (override.what, override.value, override.planned) == ("speed", 3.0, 2.5)
        assert override.origin == Origin.KEYBOARD
        refused = await rig.send(CommandKind.NUDGE_SPEED, value=0.5)
        assert not refused.accepted
        assert "limit" in refused.reason
        incline = await rig.send(CommandKind.NUDGE_INCLINE, value=1.0)
        assert not incline.accepted  # never mid-backward
        await until(lambda: rig.model.speed_kmh >= 2.95)
        result = await run
    assert isinstance(result, Finished)
    assert max(speeds(rig.writes())) <= 3.0
    # The override lasted for its step only: the last step is back to its plan.
    assert rig.events(StepStarted)[-1].speed_kmh == 3.0


async def test_console_speed_change_is_kept_for_the_rest_of_the_step():
    """A speed change at the console is recorded (origin console) and not overwritten."""
    plan = make_plan([(FW, 60, 3.0, 0), (FW, 20, 4.0, 0)])
    async with engine_rig(plan) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.model.speed_kmh >= 2.95)
        await asyncio.sleep(3)
        rig.model.console_speed_up()
        rig.model.console_speed_up()
        await until(lambda: len(rig.events(Override)) == 2)
        at = len(rig.writes())
        await until(lambda: rig.started(1))
        step_end = rig.engine.started_at + rig.events(StepFinished)[0].t
        kept = [w for t, w in rig.timed_writes()[at:] if t < step_end]
        assert not speeds(kept)
        result = await run
    assert isinstance(result, Finished)
    overrides = rig.events(Override)
    assert [(o.origin, o.value) for o in overrides] == [
        (Origin.CONSOLE, 3.1),
        (Origin.CONSOLE, 3.2),
    ]
    assert "speed 4.0" in rig.writes()  # the next step follows its plan again


async def test_pause_freezes_the_step_and_resume_restarts_low():
    """PAUSE writes Pause and freezes the step clock; RESUME starts low and ramps."""
    plan = make_plan([(FW, 60, 3.0, 0)])
    async with engine_rig(plan) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.model.speed_kmh >= 2.95)
        assert (await rig.send(CommandKind.PAUSE)).accepted
        await until(lambda: rig.engine.state == EngineState.PAUSED)
        assert rig.writes()[-1] == "pause"
        assert rig.events(Paused)
        await asyncio.sleep(2)  # a snapshot taken while paused
        frozen = rig.step_elapsed()
        assert frozen > 0
        await asyncio.sleep(120)
        assert rig.step_elapsed() == frozen
        at = len(rig.writes())
        assert not (await rig.send(CommandKind.PAUSE)).accepted
        assert (await rig.send(CommandKind.RESUME)).accepted
        result = await run
    assert isinstance(result, Finished)
    assert rig.writes()[at : at + 3] == ["start", "speed 1.0", "speed 1.5"]
    assert 59.9 <= rig.events(StepFinished)[0].elapsed_s <= 60.1


async def test_stop_aborts_and_stops_the_belt():
    """STOP ends the workout early with the belt stopped."""
    plan = make_plan([(FW, 600, 3.0, 0)])
    async with engine_rig(plan) as rig:
        async with asyncio.TaskGroup() as tg:
            run = tg.create_task(rig.engine.run())
            await until(lambda: rig.model.speed_kmh >= 2.95)
            assert (await rig.send(CommandKind.STOP, Origin.REMOTE)).accepted
            result = await run
        await until(lambda: not rig.model.belt_running, timeout_s=20)
    assert isinstance(result, Aborted)
    assert result.belt_stopped
    assert rig.writes()[-1] == "stop"
    late = await rig.send(CommandKind.RESUME)
    assert not late.accepted
    assert late.reason


async def test_keep_walking_leaves_the_belt_running():
    """KEEP_WALKING: the workout finishes without stopping the belt."""
    plan = make_plan([(FW, 30, 3.0, 0)])
    async with engine_rig(plan) as rig:
        async with asyncio.TaskGroup() as tg:
            run = tg.create_task(rig.engine.run())
            await until(lambda: rig.engine.state == EngineState.RUNNING)
            assert (await rig.send(CommandKind.KEEP_WALKING)).accepted
            result = await run
        await asyncio.sleep(5)
        assert rig.model.belt_running
    assert isinstance(result, Finished)
    assert not result.belt_stopped
    assert "stop" not in rig.writes()


async def test_every_command_yields_commandhandled_with_a_reason_when_refused():
    """Refused commands carry a reason a person can read; all are recorded."""
    plan = make_plan([(FW, 30, 3.0, 0)])
    options = EngineOptions(auto_confirm=False)
    async with engine_rig(plan, options=options) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.engine.state == EngineState.WAITING_START)
        kinds = [CommandKind.PAUSE, CommandKind.SKIP, CommandKind.RESUME, CommandKind.NUDGE_SPEED]
        results = [await rig.send(kind, value=0.5) for kind in kinds]
        assert all(not r.accepted and r.reason for r in results)
        assert not (await rig.send(CommandKind.CONFIRM, Origin.REMOTE)).accepted
        assert (await rig.send(CommandKind.CONFIRM)).accepted
        result = await run
    assert isinstance(result, Finished)
    handled = rig.events(CommandHandled)
    assert len(handled) == len(kinds) + 2


@pytest.mark.parametrize(
    ("machine", "nudge_kmh", "expected_kmh"),
    [
        ("walking-pad", 0.1, 3.5),  # 0.1 km/h is no step on a 0.5 grid: one step up
        ("home", 0.1 * KMH_PER_MPH, 3.4),  # the imperial key: 3.36, to the nearest 0.1
        ("us-treadmill", 0.1 * KMH_PER_MPH, 3.36),  # one 0.1 mph step of its own grid
    ],
)
async def test_a_speed_nudge_moves_by_the_machines_own_step(
    machine: str, nudge_kmh: float, expected_kmh: float
):
    """The up key's nudge reaches the belt as the next speed on the machine's grid."""
    start = 3.0 if machine == "walking-pad" else 3.2  # on each grid (US: 0.8 + 15 x 0.16)
    plan = make_plan([(FW, 120, start, 0)])
    async with (
        engine_rig(plan, machine=machine, profile="standard") as rig,
        asyncio.TaskGroup() as tg,
    ):
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.started(0) and abs(rig.model.speed_kmh - start) < 0.01)
        assert (await rig.send(CommandKind.NUDGE_SPEED, value=nudge_kmh)).accepted
        await asyncio.sleep(10)
        belt = rig.trace.belt_kmh_at(rig.engine.elapsed())
        assert (await rig.send(CommandKind.STOP)).accepted
        await run
    assert belt == pytest.approx(expected_kmh, abs=0.011)
