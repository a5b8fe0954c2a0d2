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
from retrowalk.ftms.models import SpeedRange


async def test_speed_locked_machine_drops_to_coach_mode():
    """A machine that ignores speed: coach mode, no more speed writes, the workout completes."""
    plan = make_plan([(FW, 60, 3.0, 0), (BW, 60, 2.0, 0), (FW, 30, 3.0, 0)])
    async with engine_rig(plan, machine="speed-locked") as rig:
        result = await rig.engine.run()
    assert isinstance(result, Finished)
    coach = rig.events(CoachMode)
    assert coach
    assert "does not follow" in coach[0].reason
    coach_t = rig.engine.started_at + coach[0].t
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
        assert rig.bus.latest is not None
        assert not rig.bus.latest.coach_mode
        await asyncio.sleep(40)  # the person is slow to find the button (inside start_wait_s)
        assert rig.model.target_speed_kmh == 1.0  # the target of a still belt stays low
        assert rig.step_elapsed() == 0.0  # the step waits for the belt
        rig.model.console_start()
        await until(lambda: rig.model.speed_kmh >= 2.95, timeout_s=60)
        result = await run
    assert isinstance(result, Finished)
    assert not rig.events(CoachMode)


PAD_PLAN = [(FW, 60, 4.0, 0), (BW, 60, 2.25, 0), (FW, 60, 7.0, 5)]


async def test_plan_beyond_the_walking_pad_is_refused_before_the_belt_moves():
    """Speeds beyond the pad's range, and inclines it lacks, refuse the plan by step."""
    async with engine_rig(make_plan(PAD_PLAN), machine="walking-pad", profile="standard") as rig:
        with pytest.raises(CapabilityError) as caught:
            await rig.engine.run()
    message = str(caught.value)
    assert "step 2" not in message  # 2.25 km/h is inside the range: fitted to the grid
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
    assert any("2.25 -> 2.5 km/h" in w for w in warnings)
    assert any("7 -> 6 km/h" in w for w in warnings)
    assert any("incline 5 -> 0 %" in w for w in warnings)
    assert [e.speed_kmh for e in rig.events(StepStarted)] == [4.0, 2.5, 6.0]
    assert max(speeds(rig.writes())) == 6.0
    assert all(s * 2 == int(s * 2) for s in speeds(rig.writes()))


async def test_targets_inside_the_range_are_fitted_to_the_grid_without_clamp():
    """A target between two of the machine's steps goes to its nearest step, said once."""
    plan = make_plan([(FW, 60, 2.7, 0), (BW, 60, 1.2, 0)])
    async with engine_rig(plan, machine="walking-pad", profile="supervised") as rig:
        result = await rig.engine.run()
    assert isinstance(result, Finished)
    fitted = [w.message for w in rig.events(Notice) if "fitted" in w.message]
    assert len(fitted) == 2
    assert any("2.7 -> 2.5 km/h" in w for w in fitted)  # nearest step
    assert any("1.2 -> 1 km/h" in w for w in fitted)
    assert [e.speed_kmh for e in rig.events(StepStarted)] == [2.5, 1.0]


async def test_a_fitted_target_never_rounds_up_past_the_cap():
    """Rounding to the grid that would break the backward cap takes the step below."""
    plan = make_plan([(FW, 60, 3.0, 0), (BW, 60, 3.0, 0)])
    grid = {"speed_range": SpeedRange(0.3, 20.0, 0.4)}  # ... 2.7, 3.1 ...: 3.0 is nearer 3.1
    async with engine_rig(plan, tweaks=grid, profile="beginner") as rig:
        result = await rig.engine.run()
    assert isinstance(result, Finished)
    assert rig.events(StepStarted)[1].speed_kmh == pytest.approx(2.7)  # never 3.1 > 3.0
    backward = [s for t, s in _speeds_after_window(rig)]
    assert max(backward) <= 3.0


def _speeds_after_window(rig):
    """Return (t, km/h) of the speed writes after the first turn window opened."""
    from retrowalk.engine.events import TurnPhase, TurnPhaseChanged  # noqa: PLC0415

    opened = (
        next(e.t for e in rig.events(TurnPhaseChanged) if e.phase == TurnPhase.WINDOW)
        + rig.engine.started_at
    )
    return [
        (t, float(w.split()[1]))
        for t, w in rig.timed_writes()
        if w.startswith("speed") and t > opened
    ]
