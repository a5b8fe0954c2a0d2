"""Every library workout runs to the end on the simulator, or is refused or clamped as asked."""

from __future__ import annotations

import pytest

from conftest import engine_rig, speeds, until
from retrowalk.engine.events import Finished, StepFinished, StepStarted, TurnStarted
from retrowalk.engine.runner import EngineOptions
from retrowalk.errors import CapabilityError
from retrowalk.workout.library import find_workout, library_names
from retrowalk.workout.load import load_workout
from retrowalk.workout.plan import build_plan
from retrowalk.workout.safety import get_profile, profiles_allowing

pytestmark = pytest.mark.slow


def _plan(name: str):
    plan = build_plan(load_workout(find_workout(name)))
    return plan, profiles_allowing(plan)[0]


@pytest.mark.parametrize("name", library_names())
async def test_library_workout_completes_on_the_home_treadmill(name: str):
    """Finished, every step recorded once, every turn taken, speeds within the profile."""
    plan, profile = _plan(name)
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


@pytest.mark.parametrize("name", library_names())
async def test_library_workout_on_the_walking_pad_is_refused_or_clamped(name: str):
    """On the walking pad a workout fits, or is refused, and then completes with --clamp."""
    plan, profile = _plan(name)
    refusal: CapabilityError | None = None
    async with engine_rig(plan, machine="walking-pad", profile=profile) as rig:
        try:
            result = await rig.engine.run()
        except CapabilityError as exc:
            refusal = exc
    if refusal is None:
        assert isinstance(result, Finished)
        return
    assert "--clamp" in str(refusal)
    assert rig.model.control_point_log == []
    options = EngineOptions(auto_confirm=True, clamp=True)
    async with engine_rig(plan, machine="walking-pad", profile=profile, options=options) as rig:
        clamped = await rig.engine.run()
    assert isinstance(clamped, Finished)
    assert all(s * 2 == int(s * 2) for s in speeds(rig.writes()))
