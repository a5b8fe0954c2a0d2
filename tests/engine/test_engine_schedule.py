"""The schedule runs on absolute deadlines: per-step work never pushes later steps back."""

from __future__ import annotations

import asyncio

from engine_rig import FW, engine_rig, make_plan, until

from retrowalk.engine.commands import CommandKind
from retrowalk.engine.events import EngineState, Finished, StepFinished, StepStarted

STEP_S = 10.0  # the shortest walking interval the format allows
_TOLERANCE_S = 0.002  # constant: it must not grow with the step number


def _short_steps(count: int, seconds: float):
    """Return forward steps alternating speed and incline, so each start writes both."""
    return make_plan(
        [(FW, seconds, 3.0 + 0.5 * (i % 2), float(i % 2)) for i in range(count)],
        countdown_s=2.0,
    )


async def test_step_n_starts_at_its_planned_offset_without_drift():
    """Step 40 starts exactly 39 planned steps after step 1, though each start writes an incline."""
    plan = _short_steps(40, STEP_S)
    async with engine_rig(plan) as rig:
        result = await rig.engine.run()
    assert isinstance(result, Finished)
    starts = {e.index: e.t for e in rig.events(StepStarted)}
    assert len(starts) == len(plan.steps)
    first = plan.steps[1]  # step 0 also waits for the belt to start (not planned)
    for step in plan.steps[1:]:
        late = starts[step.index] - starts[first.index] - (step.start_s - first.start_s)
        assert abs(late) <= _TOLERANCE_S, (step.index, late)
    # The incline round trip at each start happened inside the step's time, not after it.
    assert sum(w.startswith("incline") for w in rig.writes()) >= len(plan.steps) - 1
    for finished in rig.events(StepFinished):
        assert abs(finished.elapsed_s - STEP_S) <= 1e-6


async def test_a_pause_shifts_the_schedule_by_its_length_only():
    """After a pause, later steps keep their planned spacing from the resumed step on."""
    plan = _short_steps(30, STEP_S)
    async with engine_rig(plan) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: any(e.index == 10 for e in rig.events(StepStarted)))
        await asyncio.sleep(2.0)
        await rig.send(CommandKind.PAUSE)
        await until(lambda: rig.engine.state == EngineState.PAUSED)
        await asyncio.sleep(20.0)
        await rig.send(CommandKind.RESUME)
        result = await run
    assert isinstance(result, Finished)
    starts = {e.index: e.t for e in rig.events(StepStarted)}
    for anchor, steps in ((1, plan.steps[1:11]), (11, plan.steps[11:])):
        base = plan.steps[anchor]
        for step in steps:
            late = starts[step.index] - starts[anchor] - (step.start_s - base.start_s)
            assert abs(late) <= _TOLERANCE_S, (step.index, late)
    # The paused step ran its full length: the pause and the restart did not count.
    paused = next(e for e in rig.events(StepFinished) if e.index == 10)
    assert abs(paused.elapsed_s - STEP_S) <= 1e-6
    gap = starts[11] - starts[10]
    assert gap > STEP_S + 20.0
