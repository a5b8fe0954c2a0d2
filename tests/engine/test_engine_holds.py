"""Every HOLD cause: the belt is not restarted until the person resumes, then it starts low."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from engine_rig import FW, engine_rig, make_plan, until

from retrowalk.engine.commands import CommandKind, CommandResult, Origin
from retrowalk.engine.events import (
    Aborted,
    EngineState,
    HeartRate,
    Hold,
    HoldCause,
    Reconnected,
    Resumed,
)
from retrowalk.engine.runner import EngineOptions

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from engine_rig import Rig


class _Strap:
    """A heart-rate strap whose reading the test sets."""

    def __init__(self) -> None:
        self.bpm: int | None = 110

    async def readings(self) -> AsyncIterator[int | None]:
        while True:
            yield self.bpm
            await asyncio.sleep(1.0)


def _console_stop(rig: Rig, strap: _Strap) -> None:
    rig.model.console_stop()


def _console_pause(rig: Rig, strap: _Strap) -> None:
    rig.model.console_pause()


def _safety_key(rig: Rig, strap: _Strap) -> None:
    rig.model.pull_safety_key()


def _control_lost(rig: Rig, strap: _Strap) -> None:
    rig.model.revoke_control()


def _link_drop(rig: Rig, strap: _Strap) -> None:
    rig.model.drop_link(refuse_s=5.0)


def _heart_rate(rig: Rig, strap: _Strap) -> None:
    strap.bpm = 185


def _speed_lock(rig: Rig, strap: _Strap) -> Awaitable[CommandResult]:
    rig.model.ignore_speed(True)
    # The person asks for more (the up key); the belt will not follow.
    return rig.send(CommandKind.NUDGE_SPEED, value=1.5)


CAUSES: dict[HoldCause, Callable[[Rig, _Strap], Awaitable[CommandResult] | None]] = {
    HoldCause.CONSOLE_STOP: _console_stop,
    HoldCause.CONSOLE_PAUSE: _console_pause,
    HoldCause.SAFETY_KEY: _safety_key,
    HoldCause.CONTROL_LOST: _control_lost,
    HoldCause.DISCONNECTED: _link_drop,
    HoldCause.HEART_RATE: _heart_rate,
    HoldCause.SPEED_NOT_FOLLOWING: _speed_lock,
}


@pytest.mark.parametrize("cause", list(CAUSES), ids=str)
async def test_hold_never_restarts_the_belt_until_resume(cause: HoldCause):
    """Each hold cause: no Start and no speed is written until RESUME; then a low start."""
    plan = make_plan([(FW, 600, 3.0, 0)])
    strap = _Strap()
    options = EngineOptions(auto_confirm=True, hr_max_bpm=170, hr_hold_s=10.0)
    async with engine_rig(plan, options=options, heart_rate=strap.readings()) as rig:
        async with asyncio.TaskGroup() as tg:
            run = tg.create_task(rig.engine.run())
            await until(lambda: rig.model.speed_kmh >= 2.95)
            await asyncio.sleep(5)
            if (pending := CAUSES[cause](rig, strap)) is not None:
                assert (await pending).accepted
            await until(lambda: rig.engine.state == EngineState.HOLD, timeout_s=60)
            held_at = len(rig.writes())
            holds = rig.events(Hold)
            assert holds[0].cause == cause
            assert holds[0].advice
            await asyncio.sleep(90)
            after = rig.writes()[held_at:]
            assert "start" not in after, after
            assert not [w for w in after if w.startswith("speed")], after
            assert rig.engine.state == EngineState.HOLD
            assert rig.model.speed_kmh == 0.0
            if cause == HoldCause.DISCONNECTED:
                assert rig.events(Reconnected)
            if cause == HoldCause.HEART_RATE:
                assert rig.events(HeartRate)[0].connected
                assert rig.bus.latest.heart_rate_bpm == 185
            if cause == HoldCause.SAFETY_KEY:
                rig.model.insert_safety_key()
            strap.bpm = 110
            rig.model.ignore_speed(False)
            resumed_at = len(rig.writes())
            assert (await rig.send(CommandKind.RESUME)).accepted
            await until(lambda: rig.model.speed_kmh >= 2.95, timeout_s=60)
            restart = [w for w in rig.writes()[resumed_at:] if w != "control"]
            assert restart[:3] == ["start", "speed 1.0", "speed 1.5"]
            assert rig.events(Resumed)
            assert (await rig.send(CommandKind.STOP)).accepted
            result = await run
        await until(lambda: not rig.model.belt_running, timeout_s=30)
    assert isinstance(result, Aborted)
    assert rig.writes()[-1] == "stop"


async def test_remote_resume_needs_remote_control():
    """A remote controller cannot restart the belt unless the person armed remote control."""
    plan = make_plan([(FW, 600, 3.0, 0)])
    async with engine_rig(plan) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.model.speed_kmh >= 2.95)
        rig.model.console_stop()
        await until(lambda: rig.engine.state == EngineState.HOLD)
        refused = await rig.send(CommandKind.RESUME, Origin.REMOTE)
        assert not refused.accepted
        assert "--remote-control" in refused.reason
        assert rig.engine.state == EngineState.HOLD
        assert (await rig.send(CommandKind.EMERGENCY_STOP, Origin.REMOTE)).accepted
        assert rig.engine.state == EngineState.HOLD
        assert (await rig.send(CommandKind.STOP, Origin.REMOTE)).accepted
        result = await run
    assert isinstance(result, Aborted)


async def test_refused_control_writes_become_a_device_hold():
    """A machine refusing every write ('operation failed'): after retries, a hold, not a crash."""
    plan = make_plan([(FW, 600, 3.0, 0)])
    async with engine_rig(plan) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.model.speed_kmh >= 2.95)
        rig.model.reject_next(20)
        assert (await rig.send(CommandKind.NUDGE_SPEED, value=1.0)).accepted
        await until(lambda: rig.engine.state == EngineState.HOLD, timeout_s=60)
        hold = rig.events(Hold)[-1]
        assert hold.cause == HoldCause.DEVICE_ERROR
        assert "operation failed" in hold.detail
        await asyncio.sleep(30)
        assert rig.engine.state == EngineState.HOLD
        assert (await rig.send(CommandKind.RESUME)).accepted
        await until(lambda: rig.model.speed_kmh >= 2.95, timeout_s=60)
        assert (await rig.send(CommandKind.STOP)).accepted
        result = await run
    assert isinstance(result, Aborted)


async def test_remote_resume_allowed_when_armed():
    """With remote control armed, a remote controller may resume the belt after a hold."""
    plan = make_plan([(FW, 60, 3.0, 0)])
    options = EngineOptions(auto_confirm=True, remote_control=True)
    async with engine_rig(plan, options=options) as rig, asyncio.TaskGroup() as tg:
        run = tg.create_task(rig.engine.run())
        await until(lambda: rig.model.speed_kmh >= 2.95)
        rig.model.console_pause()
        await until(lambda: rig.engine.state == EngineState.HOLD)
        resumed = await rig.send(CommandKind.CONFIRM, Origin.REMOTE)
        assert resumed.accepted
        await until(lambda: rig.engine.state == EngineState.RUNNING)
        assert rig.events(Resumed)[-1].origin == Origin.REMOTE
        result = await run
    assert result.belt_stopped
