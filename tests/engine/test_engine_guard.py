"""The guard's promises, against the simulated treadmill's ground truth (issue 10's ten breaks).

Each test plays a fault scenario on the simulator and checks what the belt really did (the
simulator's trace), not what the engine believed.
"""

from __future__ import annotations

import asyncio

import pytest
from engine_rig import BW, FW, REST, engine_rig, make_plan, until

from retrowalk.device.api import SpeedUnits
from retrowalk.engine.commands import CommandKind, Origin
from retrowalk.engine.events import (
    BeltAtRest,
    CoachMode,
    EndAhead,
    EngineState,
    Finished,
    Hold,
    HoldCause,
    Notice,
    RestReason,
    TurnPhase,
    TurnPhaseChanged,
)
from retrowalk.engine.runner import EngineOptions
from retrowalk.errors import CapabilityError
from retrowalk.ftms.models import SpeedRange
from retrowalk_sim.scenario import Action, Scenario

STILL = 0.15
MANUAL = EngineOptions()  # nobody confirms on their own: the test is the person


def windows(rig) -> list[float]:
    """Return when each turn window opened (session clock)."""
    return [e.t for e in rig.events(TurnPhaseChanged) if e.phase == TurnPhase.WINDOW]


def assert_no_window_on_a_moving_belt(rig) -> None:
    """Every turn window opened with the real belt at rest."""
    for t in windows(rig):
        assert rig.trace.belt_kmh_at(t) <= STILL, (t, rig.trace.belt_kmh_at(t))


def holds(rig) -> list[HoldCause]:
    """Return the hold causes so far."""
    return [h.cause for h in rig.events(Hold)]


def spoken(rig) -> list[str]:
    """Return the safety notices so far (the ones the voice speaks)."""
    return [n.message for n in rig.events(Notice) if n.safety]


async def quit_run(rig, run):
    """Quit the workout (Q) and return how it ended."""
    await rig.send(CommandKind.STOP)
    return await run


async def go(rig) -> None:
    """Be the person: press Enter once the workout waits for the start."""
    await until(lambda: rig.engine.state == EngineState.WAITING_START)
    assert (await rig.send(CommandKind.CONFIRM)).accepted


TURN = [(FW, 20, 3.0, 0), (BW, 60, 2.0, 0), (FW, 20, 3.0, 0)]


@pytest.mark.parametrize("fault", ["ignore_stop", "stale_telemetry"])
async def test_a_belt_that_does_not_stop_never_opens_the_turn_window(fault: str):
    """Break 1: Stop acknowledged but ignored, or no telemetry: HOLD, spoken, never "turn now"."""
    plan = make_plan(TURN)
    scenario = Scenario(events=(Action(18.0, fault, for_s=60.0),))
    async with engine_rig(plan, scenario=scenario) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: HoldCause.BELT_NOT_STOPPED in holds(rig), timeout_s=120)
        assert windows(rig) == []
        assert any("Do not turn around" in h.advice for h in rig.events(Hold))
        await asyncio.sleep(90)  # the fault ends; the guard's Stop finally takes
        assert rig.trace.belt_kmh_at(rig.engine.elapsed()) <= STILL
        assert rig.engine.state == EngineState.HOLD  # never resumed by itself
        assert (await rig.send(CommandKind.RESUME)).accepted
        outcome = await run
    assert isinstance(outcome, Finished)
    assert len(windows(rig)) == 2
    assert_no_window_on_a_moving_belt(rig)
    if fault == "ignore_stop":
        assert any("still moving" in m for m in spoken(rig))
        assert rig.writes().count("stop") >= 3  # Stop re-sent while the belt kept running


async def test_remote_skip_needs_remote_control_and_never_starts_a_still_belt():
    """Break 2: skip from a rest: refused unarmed; armed, the belt waits for the person's go."""
    plan = make_plan([(FW, 20, 3.0, 0), (REST, 60, None, 0), (FW, 60, 3.0, 0)], confirm=True)
    options = EngineOptions(remote_control=True)
    async with engine_rig(plan, options=MANUAL) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await go(rig)
        await until(lambda: rig.started(1))
        refused = await rig.send(CommandKind.SKIP, Origin.REMOTE)
        assert not refused.accepted
        assert "--remote-control" in refused.reason
        await quit_run(rig, run)
    async with engine_rig(plan, options=options) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await go(rig)
        await until(lambda: rig.started(1))
        await until(lambda: rig.trace.belt_kmh_at(rig.engine.elapsed()) <= STILL)
        starts = rig.writes().count("start")
        assert (await rig.send(CommandKind.SKIP, Origin.REMOTE)).accepted
        await until(lambda: rig.engine.state == EngineState.WAITING_CONFIRM)
        await asyncio.sleep(60)
        assert rig.writes().count("start") == starts  # no Start without the person's go
        assert rig.trace.belt_kmh_at(rig.engine.elapsed()) <= STILL
        assert (await rig.send(CommandKind.CONFIRM)).accepted
        outcome = await run
    assert isinstance(outcome, Finished)


async def test_skip_in_a_turn_window_does_not_start_the_belt_before_the_turn_is_confirmed():
    """Break 2: the N key in a turn window skips the step, and the belt still waits for Enter."""
    plan = make_plan([(FW, 20, 3.0, 0), (BW, 60, 2.0, 0), (BW, 60, 2.0, 0)], confirm=True)
    async with engine_rig(plan, options=MANUAL) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await go(rig)
        await until(lambda: rig.phase() == TurnPhase.WINDOW)
        starts = rig.writes().count("start")
        assert (await rig.send(CommandKind.SKIP)).accepted
        await asyncio.sleep(60)
        assert rig.writes().count("start") == starts
        assert rig.engine.state == EngineState.WAITING_CONFIRM
        assert (await rig.send(CommandKind.CONFIRM)).accepted
        await until(lambda: rig.writes().count("start") == starts + 1)
        await quit_run(rig, run)


async def test_hold_keeps_the_belt_stopped_across_a_reconnect_whatever_its_cause():
    """Break 3: a heart-rate hold whose Stop is lost, then a dropped link: Stop after reconnect."""
    plan = make_plan([(FW, 600, 4.0, 0)])
    scenario = Scenario(
        events=(
            Action(28.0, "mute_control_point", for_s=20.0),
            Action(30.0, "hr_bpm", bpm=185),
            Action(45.0, "drop_link", for_s=10.0),
            Action(56.0, "refuse_control", count=1),
        )
    )
    options = EngineOptions(auto_confirm=True, hr_max_bpm=170, hr_hold_s=5.0)
    async with (
        engine_rig(plan, options=options, scenario=scenario, strap=True) as rig,
        asyncio.TaskGroup() as tg,
    ):
        run = tg.create_task(rig.engine.run())
        await until(lambda: HoldCause.HEART_RATE in holds(rig), timeout_s=120)
        await asyncio.sleep(120)
        now = rig.engine.elapsed()
        assert rig.trace.belt_kmh_at(now) <= STILL  # stopped after the reconnect
        assert rig.engine.state == EngineState.HOLD
        outcome = await quit_run(rig, run)
    assert outcome.belt_stopped
    reconnected = next(f.t for f in rig.trace.faults() if f.fault == "drop_link") + 10.0
    later = [w for w in rig.trace.writes() if w.t >= reconnected]
    assert any(w.data == bytes.fromhex("0801") for w in later)  # Stop sent after the reconnect


async def test_a_console_speed_above_the_backward_cap_is_written_back_at_once():
    """Break 4: 5.0 km/h pressed at the console walking backward (cap 4.5): back within seconds."""
    plan = make_plan([(FW, 20, 3.0, 0), (BW, 300, 4.0, 0)])
    scenario = Scenario(events=(Action(100.0, "console_speed", kmh=5.0),))
    async with (
        engine_rig(plan, profile="standard", scenario=scenario) as rig,
        asyncio.TaskGroup() as tg,
    ):
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.engine.elapsed() > 130, timeout_s=300)
        await quit_run(rig, run)
    pressed = next(f.t for f in rig.trace.faults() if f.fault == "console_speed")
    capped = [w.t for w in rig.trace.writes() if w.t > pressed and w.data.hex() == "02c201"]
    assert capped[0] - pressed < 1.0  # 4.5 km/h written back within a telemetry period
    assert max(s.belt_kmh for s in rig.trace.samples() if s.t > pressed) <= 4.5 + STILL
    assert any("limit" in m for m in spoken(rig))


@pytest.mark.parametrize(
    ("machine", "faults", "within_s"),
    [
        # the write-back is acknowledged and ignored: HOLD two seconds after it, not at the bound
        ("home", (Action(99.0, "ignore_speed", for_s=120.0),), 7.0),
        # coach mode (the machine never follows targets): the person is told, then HOLD
        ("speed-locked", (), 12.0),
    ],
    ids=["write-back-ignored", "coach-mode"],
)
async def test_a_belt_kept_above_the_cap_holds_and_stops(machine, faults, within_s):
    """Caps hold while the belt moves: above the cap and not coming down, the belt is stopped."""
    plan = make_plan([(FW, 20, 3.0, 0), (BW, 300, 4.0, 0)])
    scenario = Scenario(events=(*faults, Action(100.0, "console_speed", kmh=5.0)))
    async with (
        engine_rig(plan, machine=machine, profile="standard", scenario=scenario) as rig,
        asyncio.TaskGroup() as tg,
    ):
        run = tg.create_task(rig.engine.run())
        await until(lambda: HoldCause.SPEED_ABOVE_CAP in holds(rig), timeout_s=200)
        held = rig.engine.elapsed()
        await asyncio.sleep(30)
        assert rig.trace.belt_kmh_at(rig.engine.elapsed()) <= STILL
        await quit_run(rig, run)
    pressed = next(f.t for f in rig.trace.faults() if f.fault == "console_speed")
    assert held - pressed < within_s  # not the rest of the step
    assert any("limit" in m for m in spoken(rig))


async def test_a_console_incline_above_the_cap_is_lowered_and_holds_walking_backward():
    """Caps hold for incline: forward it is lowered to the cap; backward the belt stops first."""
    plan = make_plan([(FW, 120, 3.0, 0), (BW, 120, 2.5, 0)])
    scenario = Scenario(
        events=(
            Action(30.0, "console_incline", pct=12.0),
            Action(180.0, "console_incline", pct=3.0),
        )
    )
    async with (
        engine_rig(plan, profile="beginner", scenario=scenario) as rig,
        asyncio.TaskGroup() as tg,
    ):
        run = tg.create_task(rig.engine.run())
        await until(lambda: HoldCause.INCLINE_ABOVE_CAP in holds(rig), timeout_s=400)
        await asyncio.sleep(30)
        assert rig.trace.belt_kmh_at(rig.engine.elapsed()) <= STILL
        await quit_run(rig, run)
    forward = [s.incline_pct for s in rig.trace.samples() if 60 < s.t < 120]
    assert forward
    assert max(forward) <= 5.0 + 0.3  # beginner's forward cap, lowered from 12 %
    hold = next(e for e in rig.events(Hold) if e.cause == HoldCause.INCLINE_ABOVE_CAP)
    assert hold.t > 180.0  # backward the incline is not lowered under the person: HOLD


async def test_a_machine_too_fast_for_the_cap_is_refused_even_with_clamp():
    """Break 7: a machine whose lowest speed is above the backward cap never walks anyone back."""
    plan = make_plan([(FW, 20, 3.0, 0), (BW, 60, 2.0, 0)])
    fast = {"speed_range": SpeedRange(3.5, 20.0, 0.1)}
    for clamp in (False, True):
        options = EngineOptions(auto_confirm=True, clamp=clamp)
        async with engine_rig(plan, profile="beginner", tweaks=fast, options=options) as rig:
            with pytest.raises(CapabilityError, match="above the beginner limit"):
                await rig.engine.run()
            assert rig.model.control_point_log == []


async def test_a_machine_reading_targets_as_mph_is_held_not_run_fast():
    """Break 7: targets read as mph (x1.61): HOLD with advice; the belt is never long over cap."""
    plan = make_plan([(FW, 60, 3.0, 0), (BW, 300, 2.5, 0)])
    async with (
        engine_rig(plan, machine="reads-mph", profile="standard") as rig,
        asyncio.TaskGroup() as tg,
    ):
        run = tg.create_task(rig.engine.run())
        await until(lambda: HoldCause.SPEED_UNITS in holds(rig), timeout_s=120)
        hold = rig.events(Hold)[-1]
        assert 'speed_targets = "mph"' in hold.advice
        await asyncio.sleep(60)
        assert rig.trace.belt_kmh_at(rig.engine.elapsed()) <= STILL
        await quit_run(rig, run)
    assert max(s.belt_kmh for s in rig.trace.samples()) < 3.0 * 1.7


async def test_a_hold_for_mph_targets_is_not_resumed_into_the_same_overspeed():
    """Resuming a machine that reads mph would run it 1.6x again: refused, the belt stays still."""
    plan = make_plan([(FW, 300, 3.0, 0)])
    async with (
        engine_rig(plan, machine="reads-mph", profile="standard") as rig,
        asyncio.TaskGroup() as tg,
    ):
        run = tg.create_task(rig.engine.run())
        await until(lambda: HoldCause.SPEED_UNITS in holds(rig), timeout_s=120)
        await asyncio.sleep(20)
        held_at = rig.engine.elapsed()
        result = await rig.send(CommandKind.RESUME)
        assert not result.accepted
        assert "mph" in result.reason
        await asyncio.sleep(30)
        assert rig.engine.state == EngineState.HOLD
        await quit_run(rig, run)
    assert not [s for s in rig.trace.samples() if s.t > held_at and s.belt_kmh > STILL]


async def test_a_mph_machine_over_the_cap_is_never_written_a_faster_target():
    """Audit: the cap written back to a machine reading mph ran it faster (8.85 km/h, cap 6)."""
    plan = make_plan([(FW, 120, 4.0, 0)])  # read as 4 mph: 6.4 km/h, above beginner's 6.0
    async with (
        engine_rig(plan, machine="reads-mph", profile="beginner") as rig,
        asyncio.TaskGroup() as tg,
    ):
        run = tg.create_task(rig.engine.run())
        await until(lambda: HoldCause.SPEED_UNITS in holds(rig), timeout_s=120)
        await asyncio.sleep(20)
        assert rig.trace.belt_kmh_at(rig.engine.elapsed()) <= STILL
        await quit_run(rig, run)
    samples = rig.trace.samples()
    assert max(s.belt_kmh for s in samples) <= 4.0 * 1.609344 + STILL
    over = [s.t for s in samples if s.belt_kmh > 6.0 + STILL]
    assert over
    assert over[-1] - over[0] < 3.5  # stopped within seconds, not left above the cap
    speeds = [w.data for w in rig.trace.writes() if w.data[0] == 0x02]
    assert max(int.from_bytes(d[1:3], "little") for d in speeds) <= 400  # never above 4.0


async def test_a_machine_reading_targets_as_mph_runs_right_with_its_setting():
    """Issue 12: with speed_targets = "mph" the same machine walks at the planned km/h."""
    plan = make_plan([(FW, 60, 3.0, 0), (BW, 120, 2.5, 0)])
    units = SpeedUnits(targets="mph")
    async with engine_rig(plan, machine="reads-mph", profile="standard", speed_units=units) as rig:
        outcome = await rig.engine.run()
    assert isinstance(outcome, Finished)
    assert holds(rig) == []
    steady = [s.belt_kmh for s in rig.trace.samples() if 30 < s.t < 40]
    assert steady == pytest.approx([3.0] * len(steady), abs=0.1)  # real km/h, not 4.8
    assert max(s.belt_kmh for s in rig.trace.samples()) <= 3.0 + STILL


async def test_after_a_rest_the_belt_waits_for_the_persons_go():
    """Break 8: a rest ends with the belt still until the person confirms."""
    plan = make_plan([(FW, 30, 2.0, 0), (REST, 30, None, 0), (FW, 30, 2.0, 0)])
    async with (
        engine_rig(plan, profile="supervised", options=MANUAL) as rig,
        asyncio.TaskGroup() as tg,
    ):
        run = tg.create_task(rig.engine.run())
        await go(rig)
        await until(lambda: rig.engine.state == EngineState.WAITING_CONFIRM, timeout_s=200)
        assert rig.writes().count("start") == 1
        await asyncio.sleep(120)
        assert rig.writes().count("start") == 1
        assert (await rig.send(CommandKind.CONFIRM)).accepted
        outcome = await run
    assert isinstance(outcome, Finished)
    assert rig.writes().count("start") == 2
    [(_, stopped), (restarted, _)] = rig.trace.moving_intervals()
    # still through the 30 s rest and the 120 s the person took: the belt moved only on the go
    assert restarted - stopped >= 30 + 120 - 1


async def test_a_coach_mode_distance_step_that_never_moves_holds():
    """Break 9: on a machine without a control point, a distance step nobody walks holds."""
    plan = make_plan([(FW, 400, 4.0, 0)], distance_steps=frozenset({0}))
    async with engine_rig(plan, machine="data-only") as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: HoldCause.STEP_OVERDUE in holds(rig), timeout_s=3600)
        assert rig.engine.elapsed() < 3600
        await quit_run(rig, run)


async def test_the_end_is_announced_and_the_belt_seen_at_rest():
    """Break 10: "workout ends in 5 s", then Stop, then BeltAtRest (end) once telemetry shows it."""
    plan = make_plan([(FW, 30, 3.0, 0)], countdown_s=3.0)
    async with engine_rig(plan) as rig:
        outcome = await rig.engine.run()
    assert [e.seconds for e in rig.events(EndAhead)] == [5, 4, 3, 2, 1]
    at_rest = [e for e in rig.events(BeltAtRest) if e.why == RestReason.END]
    assert len(at_rest) == 1
    assert rig.trace.belt_kmh_at(at_rest[0].t) <= STILL
    assert outcome.belt_stopped


async def test_every_turn_window_opens_on_a_belt_at_rest():
    """Break 10: the window (and "turn around now") comes only once the real belt stands."""
    plan = make_plan([(FW, 20, 4.0, 0), (BW, 30, 2.0, 0), (FW, 20, 4.0, 0), (BW, 30, 2.0, 0)])
    async with engine_rig(plan, tweaks={"decel_kmh_per_s": 0.2}) as rig:
        outcome = await rig.engine.run()
    assert isinstance(outcome, Finished)
    assert len(windows(rig)) == 3
    assert_no_window_on_a_moving_belt(rig)
    assert len([e for e in rig.events(BeltAtRest) if e.why == RestReason.TURN]) == 3


async def test_a_machine_that_never_reports_a_speed_runs_in_coach_mode_with_a_warning():
    """Issue 12: no usable speed ever: coach mode, said plainly, and each turn warns instead."""
    plan = make_plan(TURN)
    scenario = Scenario(events=(Action(0.0, "stale_telemetry", for_s=3600.0),))
    async with engine_rig(plan, scenario=scenario) as rig:
        outcome = await rig.engine.run()
    assert rig.events(CoachMode)
    assert any("reports no speed" in m for m in spoken(rig))
    assert any("does not report its speed" in m for m in spoken(rig))  # at each turn
    assert holds(rig) == []
    assert outcome.steps_completed == len(plan.steps)


async def test_telemetry_that_stops_while_the_belt_runs_warns_then_holds_and_stops_it():
    """No speed reported for 5 s on a running belt: spoken warning; for 15 s: HOLD, belt stopped."""
    plan = make_plan([(FW, 300, 3.0, 0)])
    scenario = Scenario(events=(Action(60.0, "stale_telemetry", for_s=40.0),))
    async with engine_rig(plan, scenario=scenario) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: HoldCause.TELEMETRY_LOST in holds(rig), timeout_s=120)
        await asyncio.sleep(60)  # the machine reports again; the workout stays on hold
        assert rig.engine.state == EngineState.HOLD
        await quit_run(rig, run)
    [warned] = [n for n in rig.events(Notice) if "stopped reporting its speed" in n.message]
    assert warned.safety
    # measured from the last record, which came up to a second before the machine went quiet
    assert 60.0 + 4.0 <= warned.t < 60.0 + 6.5
    [hold] = [h for h in rig.events(Hold) if h.cause == HoldCause.TELEMETRY_LOST]
    assert 60.0 + 14.0 <= hold.t < 60.0 + 16.5
    # ground truth: the belt ran until the hold, then was stopped, and never restarted by itself
    assert rig.trace.belt_kmh_at(hold.t - 1.0) > 2.5
    [(_, stopped)] = rig.trace.moving_intervals()
    assert stopped < hold.t + 10.0
