"""Snapshots, rests, distance steps, inclines, cancellation: the engine's lifecycle end to end."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest
from engine_rig import BW, FW, REST, engine_rig, make_plan, until

from retrowalk.engine.events import (
    Aborted,
    EngineState,
    Finished,
    Snapshot,
    StepFinished,
    StepStarted,
    TurnPhase,
)

_ALWAYS = {
    "step_index",
    "direction",
    "label",
    "target_speed_kmh",
    "target_incline_pct",
    "actual_speed_kmh",
    "actual_incline_pct",
    "step_remaining_s",
    "next_direction",
    "next_speed_kmh",
    "next_incline_pct",
    "next_label",
}


async def test_snapshots_fill_every_field_at_a_steady_rate():
    """While walking, every snapshot field that applies is filled; holds and turns fill theirs."""
    plan = make_plan([(FW, 60, 3.6, 1), (BW, 60, 2.0, 0), (FW, 30, 3.0, 0)])
    async with engine_rig(plan) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.model.speed_kmh >= 3.55)
        await asyncio.sleep(10)
        shot = rig.bus.latest
        assert shot is not None
        for name in _ALWAYS:
            assert getattr(shot, name) is not None, name
        assert shot.state == EngineState.RUNNING
        assert shot.step_elapsed_s > 10
        assert shot.workout_elapsed_s > shot.step_elapsed_s
        assert shot.distance_m > 0
        assert shot.energy_kcal > 0
        assert shot.workout_remaining_s > 60 + 12 + 30
        await until(lambda: rig.phase() == TurnPhase.WINDOW)
        await asyncio.sleep(2)
        turning = rig.bus.latest
        assert turning.turn_phase == TurnPhase.WINDOW
        assert 9 < turning.turn_remaining_s < 11
        result = await run
    assert isinstance(result, Finished)
    snapshots = [i for i in rig.items if isinstance(i, Snapshot)]
    ten_seconds = [s for s in snapshots if 20 <= s.t < 30]
    assert 39 <= len(ten_seconds) <= 41
    states = [json.loads(json.dumps(s.to_dict()))["state"] for s in snapshots]  # JSON-ready
    assert {"running", "turning"} <= set(states) <= {e.value for e in EngineState}
    assert states[-1] == "finished"
    walked = 60 * 3.6 / 3.6 + 60 * 2.0 / 3.6 + 30 * 3.0 / 3.6
    assert 0.85 * walked < result.distance_m < 1.1 * walked
    assert result.energy_kcal > 0


async def test_hold_snapshot_names_the_cause_and_advice():
    """On hold the snapshot carries the cause and the advice."""
    plan = make_plan([(FW, 600, 3.0, 0)])
    async with engine_rig(plan) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.model.speed_kmh >= 2.95)
        rig.model.console_pause()
        await until(lambda: rig.engine.state == EngineState.HOLD)
        await asyncio.sleep(1)
        shot = rig.bus.latest
        assert shot.hold_cause is not None
        assert shot.hold_advice
        run.cancel()
    assert run.cancelled()


async def test_rest_step_pauses_the_belt_and_the_next_step_starts_low():
    """A rest step pauses the belt; the next step restarts it at the low speed and ramps."""
    plan = make_plan([(FW, 30, 3.0, 0), (REST, 20, None, 0), (FW, 30, 3.0, 0)])
    async with engine_rig(plan) as rig:
        result = await rig.engine.run()
    assert isinstance(result, Finished)
    timed = rig.timed_writes()
    tokens = [w for _, w in timed]
    pause_at = tokens.index("pause")
    start_at = tokens.index("start", pause_at)
    assert tokens[start_at : start_at + 3] == ["start", "speed 1.0", "speed 1.5"]
    rest_began = rig.engine.started_at + rig.events(StepStarted)[1].t
    assert timed[start_at][0] - rest_began >= 20 - 1e-6
    assert not [w for w in tokens[pause_at:start_at] if w.startswith("speed")]
    assert tokens[pause_at - 1] == "speed 1.0"  # ramped down first


async def test_distance_step_ends_at_its_distance():
    """A distance step ends when the belt has carried the person that far."""
    plan = make_plan([(FW, 100, 3.6, 0), (FW, 20, 3.0, 0)], distance_steps=frozenset({0}))
    async with engine_rig(plan) as rig:
        result = await rig.engine.run()
    assert isinstance(result, Finished)
    first = rig.events(StepFinished)[0]
    assert 100 <= first.distance_m <= 101
    assert 100 <= first.elapsed_s <= 115  # 1 m/s after a short ramp


async def test_backward_incline_changes_only_with_the_belt_stopped():
    """Two backward steps at different inclines: the belt stops for the incline change."""
    plan = make_plan([(BW, 30, 2.0, 0), (BW, 30, 2.0, 2), (FW, 10, 3.0, 0)])
    async with engine_rig(plan) as rig:
        result = await rig.engine.run()
    assert isinstance(result, Finished)
    running = False
    for write in rig.writes():
        if write == "start":
            running = True
        elif write in {"stop", "pause"}:
            running = False
        elif write == "incline 2.0":
            assert not running
    assert "incline 2.0" in rig.writes()


async def test_cancellation_stops_the_belt_and_records_aborted():
    """Cancelling run() (Ctrl-C) stops the belt, records Aborted, closes the bus, re-raises."""
    plan = make_plan([(FW, 600, 3.0, 0)])
    async with engine_rig(plan) as rig:
        async with asyncio.TaskGroup() as tg:
            run = tg.create_task(rig.engine.run())
            await until(lambda: rig.model.speed_kmh >= 2.95)
            at = len(rig.writes())
            run.cancel()
            with pytest.raises(asyncio.CancelledError):
                await run
        await until(lambda: not rig.model.belt_running, timeout_s=20)
    assert rig.writes()[at:] == ["stop"]
    final = rig.events()[-1]
    assert isinstance(final, Aborted)
    assert final.reason == "interrupted"
    assert final.belt_stopped
    assert len(rig.events(StepStarted)) == len(rig.events(StepFinished))
    async with asyncio.timeout(1):  # the bus is closed: a subscriber's iteration ends
        remaining = [item async for item in rig.channel]
    assert not any(isinstance(item, Aborted) for item in remaining)


async def test_an_engine_runs_once():
    """A second run() is a programming error with a clear message."""
    plan = make_plan([(FW, 10, 3.0, 0)])
    async with engine_rig(plan) as rig:
        await rig.engine.run()
        with pytest.raises(RuntimeError, match="one workout"):
            await rig.engine.run()


def test_snapshot_has_no_field_the_test_forgot():
    """The always-filled list names real Snapshot fields."""
    names = {f.name for f in dataclasses.fields(Snapshot)}
    assert names >= _ALWAYS
