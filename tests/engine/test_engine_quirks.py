"""Quirky machines from real captures: the engine gets through without holds or coach mode."""

from __future__ import annotations

import asyncio

import pytest
from engine_rig import BW, FW, engine_rig, make_plan, speeds, until

from retrowalk.engine.commands import CommandKind
from retrowalk.engine.events import CoachMode, Finished, Hold, StepFinished


async def test_kingsmith_refusing_speed_after_start_and_revoking_control_after_pause():
    """Kingsmith: speed refused ~2.5 s after Start, control revoked on pause; retried, finished."""
    plan = make_plan([(FW, 30, 3.0, 0), (BW, 30, 2.0, 0), (FW, 30, 3.0, 0)])
    async with engine_rig(plan, machine="kingsmith") as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.started(1))
        await asyncio.sleep(8)
        assert (await rig.send(CommandKind.PAUSE)).accepted
        await asyncio.sleep(5)
        assert (await rig.send(CommandKind.RESUME)).accepted
        result = await run
    assert isinstance(result, Finished)
    assert not rig.events(Hold)
    assert not rig.events(CoachMode)
    assert max(speeds(rig.writes())) == 3.0
    # After every start the first speed written is the low one.
    writes = rig.writes()
    for i, write in enumerate(writes):
        if write == "start":
            following = [w for w in writes[i + 1 :] if w.startswith("speed")]
            assert following[0] == "speed 1.0"


@pytest.mark.parametrize("machine", ["split", "truncating"])
async def test_split_and_truncated_records_still_drive_the_workout(machine: str):
    """Records split over notifications or cut short: telemetry still follows, no false holds."""
    plan = make_plan([(FW, 40, 4.0, 2), (BW, 40, 2.5, 0)])
    async with engine_rig(plan, machine=machine) as rig:
        result = await rig.engine.run()
    assert isinstance(result, Finished)
    assert not rig.events(Hold)
    assert not rig.events(CoachMode)
    assert len(rig.events(StepFinished)) == 2
    assert any(s.actual_speed_kmh for s in rig.snapshots())  # telemetry followed
