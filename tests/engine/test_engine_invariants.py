"""Random small workouts under random faults and commands keep the engine's safety invariants.

Invariants (docs/architecture.md): speeds and inclines never beyond the safety profile and the
machine; no restart of the belt after a stop at the console without the person's resume;
the belt stopped at the end; every step recorded (StepStarted and StepFinished in pairs).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine_rig import BW, FW, REST, engine_rig, make_plan, until
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from retrowalk.engine.commands import CommandKind, Origin
from retrowalk.engine.events import (
    CommandHandled,
    EngineState,
    Finished,
    Hold,
    StepFinished,
    StepStarted,
    TurnPhase,
    TurnPhaseChanged,
    TurnStarted,
)
from retrowalk.engine.runner import EngineOptions
from retrowalk.workout.safety import get_profile
from retrowalk_sim.model import BeltState

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

PROFILE = get_profile("standard")

forward = st.tuples(
    st.just(FW),
    st.integers(10, 40),
    st.sampled_from([2.0, 3.0, 4.0, 5.5]),
    st.sampled_from([0, 1, 3]),
)
backward = st.tuples(
    st.just(BW), st.integers(10, 40), st.sampled_from([1.5, 2.5, 4.0]), st.sampled_from([0, 2])
)
rest = st.tuples(st.just(REST), st.integers(5, 15), st.none(), st.just(0))
workouts = st.lists(st.one_of(forward, backward, rest), min_size=1, max_size=4)

FAULTS = [
    "console_stop",
    "console_pause",
    "safety_key",
    "revoke_control",
    "drop_link",
    "ignore_speed",
    "console_speed_up",
    "reject_next",
    "stall",
    "heart_rate",
]
COMMANDS = [
    CommandKind.PAUSE,
    CommandKind.SKIP,
    CommandKind.BACK,
    CommandKind.NUDGE_SPEED,
    CommandKind.NUDGE_INCLINE,
    CommandKind.EMERGENCY_STOP,
]
schedule = st.lists(
    st.tuples(st.integers(3, 120), st.sampled_from(FAULTS + COMMANDS), st.sampled_from([-1, 1])),
    max_size=10,
)


@dataclass
class Script:
    """What the test did to the machine, and when (loop time); the strap's reading."""

    console_stops: list[float] = field(default_factory=list)
    bpm: int = 110

    async def readings(self) -> AsyncIterator[int | None]:
        """Yield the strap's reading every second."""
        while True:
            yield self.bpm
            await asyncio.sleep(1.0)


def _inject(rig, fault: str, sign: int, script: Script, loop: asyncio.AbstractEventLoop) -> None:
    model = rig.model
    if fault in {"console_stop", "console_pause", "safety_key"}:
        if fault == "safety_key" or model.state not in {BeltState.IDLE, BeltState.PAUSED}:
            script.console_stops.append(loop.time())
        {
            "console_stop": model.console_stop,
            "console_pause": model.console_pause,
            "safety_key": model.pull_safety_key,
        }[fault]()
    elif fault == "revoke_control":
        model.revoke_control()
    elif fault == "drop_link":
        model.drop_link(refuse_s=3.0)
    elif fault == "ignore_speed":
        model.ignore_speed(True)
    elif fault == "console_speed_up":
        model.console_speed_up() if sign > 0 else model.console_speed_down()
    elif fault == "reject_next":
        model.reject_next(1)
    elif fault == "stall":
        model.stall_notifications(4.0)
    elif fault == "heart_rate":
        script.bpm = 185


async def _person(rig, script: Script) -> None:
    """Resume whatever holds or pauses, once the machine is usable again."""
    await asyncio.sleep(0.5)  # never at the same instant as a scripted fault (whole seconds)
    while True:
        await asyncio.sleep(4.0)
        if (
            rig.engine.state in {EngineState.HOLD, EngineState.PAUSED}
            and rig.treadmill.is_connected
        ):
            rig.model.insert_safety_key()
            rig.model.ignore_speed(False)
            script.bpm = 110
            await rig.send(CommandKind.RESUME)


async def _drive(rig, events, script: Script) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    for at, what, sign in sorted(events, key=lambda e: e[0]):
        await asyncio.sleep(max(0.0, start + at - loop.time()))
        if isinstance(what, CommandKind):
            await rig.send(what, Origin.KEYBOARD, value=0.5 * sign)
        else:
            _inject(rig, what, sign, script, loop)


def _facing_at(rig) -> list[tuple[float, object]]:
    """Return (loop time, direction) from each turn window on: when the person faces anew."""
    t0 = rig.engine.started_at
    timeline: list[tuple[float, object]] = [(-1.0, FW)]
    pending = FW
    for item in rig.events():
        if isinstance(item, TurnStarted):
            pending = item.to_direction
        elif isinstance(item, TurnPhaseChanged) and item.phase == TurnPhase.WINDOW:
            timeline.append((t0 + item.t, pending))
    return timeline


def _check_limits(rig, script: Script) -> None:
    timeline = _facing_at(rig)
    machine = rig.treadmill.capabilities
    running = False
    console = [(t, "console stop") for t in script.console_stops]
    for t, write in sorted(rig.timed_writes() + console, key=lambda item: item[0]):
        facing = next(d for when, d in reversed(timeline) if when <= t)
        if write == "start":
            running = True
        elif write in {"stop", "pause", "console stop"}:
            running = False
        elif write.startswith("speed"):
            value = float(write.split()[1])
            cap = PROFILE.max_speed_kmh(facing) or machine.speed_range.maximum_kmh
            assert value <= cap + 1e-9, (t, write, facing)
            assert value <= machine.speed_range.maximum_kmh
        elif write.startswith("incline"):
            value = float(write.split()[1])
            cap = PROFILE.max_incline_pct(facing)
            assert cap is None or value <= cap + 1e-9
            if facing == BW:
                assert value >= 0
                assert not running, (t, write)  # never mid-backward


def _check_no_restart(rig, script: Script) -> None:
    t0 = rig.engine.started_at
    resumes = [
        t0 + e.t
        for e in rig.events(CommandHandled)
        if e.result.accepted and e.result.command.kind in {CommandKind.RESUME, CommandKind.CONFIRM}
    ]
    starts = [t for t, w in rig.timed_writes() if w == "start"]
    for stopped in script.console_stops:
        later = [t for t in starts if t > stopped]
        if later:
            assert any(stopped < r <= later[0] for r in resumes), (stopped, later[0], resumes)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=workouts, events=schedule)
async def test_invariants_hold_under_random_faults(steps, events):
    """Limits, no restart after a console stop without resume, belt stopped, steps recorded."""
    plan = make_plan(steps, window_s=10.0)
    script = Script()
    options = EngineOptions(auto_confirm=True, hr_max_bpm=170, hr_hold_s=5.0)
    strap = script.readings()
    async with engine_rig(plan, profile="standard", options=options, heart_rate=strap) as rig:
        async with asyncio.TaskGroup() as tg:
            run = tg.create_task(rig.engine.run())
            helpers = [
                tg.create_task(_person(rig, script)),
                tg.create_task(_drive(rig, events, script)),
            ]
            done, _ = await asyncio.wait({run}, timeout=1500)
            if not done:
                await until(lambda: rig.treadmill.is_connected, timeout_s=120)
                await rig.send(CommandKind.STOP)
            result = await run
            for helper in helpers:
                helper.cancel()
        await until(lambda: not rig.model.belt_running, timeout_s=30)
    event(f"outcome: {type(result).__name__}")
    event(f"holds: {min(len(rig.events(Hold)), 3)}")
    _check_limits(rig, script)
    _check_no_restart(rig, script)
    assert result.belt_stopped
    assert rig.writes()[-1] == "stop"
    started = rig.events(StepStarted)
    finished = rig.events(StepFinished)
    assert len(started) == len(finished)
    if isinstance(result, Finished):
        assert {e.index for e in finished} == set(range(len(steps)))
