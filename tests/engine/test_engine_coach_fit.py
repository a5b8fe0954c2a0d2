"""Coach mode on machines that cannot be driven, and plans refused or fitted to a machine."""

from __future__ import annotations

import asyncio

import pytest
from engine_rig import BW, FW, engine_rig, make_plan, speeds, until

from retrowalk.engine.events import (
    Aborted,
    CoachMode,
    Connected,
    Finished,
    Notice,
    StepFinished,
    StepStarted,
    TargetSet,
    TurnStarted,
)
from retrowalk.engine.runner import EngineOptions
from retrowalk.errors import CapabilityError


async def test_speed_locked_machine_drops_to_coach_mode():
    """A machine that ignores speed: coach mode, no more speed writes, the workout completes."""
    plan = make_plan([(FW, 60, 3.0, 0), (BW, 60, 2.0, 0), (FW, 30, 3.0, 0)])
    async with engine_rig(plan, machine="speed-locked") as rig:
        result = await rig.engine.run()
    assert isinstance(result, Finished)
    coach = rig.events(CoachMode)
    assert coach
    assert "does not follow" in coach[0].reason
    coach_t = rig.engine._s.t0 + coach[0].t
    late_speeds = [w for t, w in rig.timed_writes() if t > coach_t and w.startswith("speed")]
    assert late_speeds == []
    assert [e.index for e in rig.events(StepStarted)] == [0, 1, 2]
    assert len(rig.events(StepFinished)) == 3
    # The person is told the targets of the following steps.
    assert {c.speed_kmh for c in coach[1:]} >= {2.0, 3.0}
    assert rig.writes()[-1] == "stop"


async def test_data_only_machine_runs_in_coach_mode_without_any_write():
    """No control point: coach mode from the start; time drives the plan; nothing is written."""
    plan = make_plan([(FW, 30, 3.0, 0), (BW, 30, 2.0, 0)])
    async with engine_rig(plan, machine="data-only") as rig:
        result = await rig.engine.run()
    assert isinstance(result, Finished)
    assert rig.model.control_point_log == []
    assert rig.events(Connected)[0].controllable is False
    assert rig.events(CoachMode)
    assert len(rig.events(TurnStarted)) == 1
    assert [e.index for e in rig.events(StepFinished)] == [0, 1]
    assert rig.events(TargetSet) == []


async def test_machine_needing_a_console_start_is_told_and_then_followed():
    """FR30Z: Start is acknowledged but the belt waits for the console; the person is told."""
    plan = make_plan([(FW, 120, 3.0, 0)])
    async with engine_rig(plan, machine="fr30z") as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: any("console" in w.message for w in rig.events(Notice)))
        assert not rig.engine._s.coach
        await asyncio.sleep(40)  # the person is slow to find the button (inside start_wait_s)
        assert rig.model.target_speed_kmh == 1.0  # the target of a still belt stays low
        assert rig.engine._s.step_elapsed() == 0.0  # the step waits for the belt
        rig.model.console_start()
        await until(lambda: rig.model.speed_kmh >= 2.95, timeout_s=60)
        result = await run
    assert isinstance(result, Finished)
    assert not rig.events(CoachMode)


PAD_PLAN = [(FW, 60, 4.0, 0), (BW, 60, 2.25, 0), (FW, 60, 7.0, 5)]


async def test_plan_beyond_the_walking_pad_is_refused_before_the_belt_moves():
    """Speeds off the pad's grid or range, and inclines it lacks, refuse the plan by step."""
    async with engine_rig(make_plan(PAD_PLAN), machine="walking-pad", profile="standard") as rig:
        with pytest.raises(CapabilityError) as caught:
            await rig.engine.run()
    message = str(caught.value)
    assert "step 2" in message
    assert "2.25 km/h" in message
    assert "1-6 km/h in steps of 0.5" in message
    assert "step 3" in message
    assert "7 km/h" in message
    assert "incline 5 %" in message
    assert "--clamp" in message
    assert rig.model.control_point_log == []
    assert isinstance(rig.events()[-1], Aborted)


async def test_plan_clamped_to_the_walking_pad_warns_per_changed_target():
    """With clamp, each changed target gives a Warning and the run stays inside the machine."""
    options = EngineOptions(auto_confirm=True, clamp=True)
    plan = make_plan(PAD_PLAN)
    async with engine_rig(plan, machine="walking-pad", profile="standard", options=options) as rig:
        result = await rig.engine.run()
    assert isinstance(result, Finished)
    warnings = [w.message for w in rig.events(Notice) if "fitted" in w.message]
    assert len(warnings) == 3
    assert any("2.25 km/h -> 2.5 km/h" in w for w in warnings)
    assert any("7 km/h -> 6 km/h" in w for w in warnings)
    assert any("incline 5 % -> 0 %" in w for w in warnings)
    assert [e.speed_kmh for e in rig.events(StepStarted)] == [4.0, 2.5, 6.0]
    assert max(speeds(rig.writes())) == 6.0
    assert all(s * 2 == int(s * 2) for s in speeds(rig.writes()))
