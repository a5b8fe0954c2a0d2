"""Every library workout runs to the end on the simulator, or is refused or clamped as asked."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING

import pytest
from engine_rig import engine_rig, speeds, until

from retrowalk.cli.sim_person import run_sim_person
from retrowalk.engine.events import Finished, StepFinished, StepStarted, TurnStarted
from retrowalk.engine.runner import EngineOptions
from retrowalk.errors import CapabilityError
from retrowalk.workout.library import find_workout, library_names
from retrowalk.workout.load import load_workout
from retrowalk.workout.planner import build_plan
from retrowalk.workout.safety import get_profile, profiles_allowing

if TYPE_CHECKING:
    from engine_rig import Rig

pytestmark = pytest.mark.slow


def _plan(name: str):
    plan = build_plan(load_workout(find_workout(name)))
    return plan, profiles_allowing(plan)[0]


def _shortened(plan):
    """Return `plan` with every timed step cut to a tenth (at least 20 s): same shape, less CPU."""
    steps = tuple(
        dataclasses.replace(
            s, duration_s=max(20.0, s.duration_s / 10), planned_s=max(20.0, s.duration_s / 10)
        )
        if s.duration_s is not None
        else s
        for s in plan.steps
    )
    return dataclasses.replace(plan, steps=steps)


@pytest.mark.parametrize("name", library_names())
async def test_library_workout_completes_on_the_home_treadmill(name: str):
    """Finished, every step recorded once, every turn taken, speeds within the profile.

    Shortened: each workout runs at full length through the command in
    tests/cli/test_cli_run_end_to_end.py.
    """
    plan, profile = _plan(name)
    plan = _shortened(plan)
    async with engine_rig(plan, profile=profile) as rig:
        result = await rig.engine.run()
        await until(lambda: not rig.model.belt_running, timeout_s=30)
    assert isinstance(result, Finished)
    assert result.belt_stopped
    assert [e.index for e in rig.events(StepStarted)] == list(range(len(plan.steps)))
    assert [e.index for e in rig.events(StepFinished)] == list(range(len(plan.steps)))
    assert len(rig.events(TurnStarted)) == len(plan.transitions)
    cap = max(s.speed.max_kmh for s in plan.steps if s.speed is not None)
    assert max(speeds(rig.writes())) <= cap
    limits = get_profile(profile)
    backward_cap = limits.backward_speed_max_kmh
    assert all(
        s.speed.max_kmh <= backward_cap for s in plan.steps if s.speed and s.direction == "backward"
    )


MACHINES = [
    "home",
    "walking-pad",
    "kingsmith",
    "fr30z",
    "truncating",
    "split",
    "data-only",
    "speed-locked",
]


async def _run_with_person(rig: Rig) -> object:
    """Run the engine with the simulated person who presses the console's start when asked."""
    person = rig.bus.subscribe("person", snapshots="none")
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(run_sim_person(person, [rig.model], rig.engine.submit))
            return await rig.engine.run()
    except* CapabilityError as group:
        raise group.exceptions[0] from None


@pytest.mark.parametrize("machine", MACHINES)
async def test_every_library_workout_on_every_machine(machine: str):
    """Each library workout (shortened) finishes where it fits; elsewhere refused, then clamped."""
    for name in library_names():
        plan, profile = _plan(name)
        plan = _shortened(plan)
        for clamp in (False, True):
            options = EngineOptions(auto_confirm=True, clamp=clamp)
            async with engine_rig(plan, machine=machine, profile=profile, options=options) as rig:
                try:
                    result = await _run_with_person(rig)
                except CapabilityError:
                    assert not clamp, name
                    assert rig.model.control_point_log == []
                    continue
            assert isinstance(result, Finished), (name, machine, result)
            assert len(rig.events(StepFinished)) == len(plan.steps)
            break
