"""What the machine's status means, through a simulated treadmill: the person, the key, echoes.

A status the machine sends for retrowalk's own write (its echo) never reaches the consumer; the
console, the safety key and a withdrawn control do, as domain events.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import pytest
from device_events import collect, moving_at, not_telemetry

from retrowalk.device.api import (
    KMH_PER_MPH,
    ConsoleStopped,
    ConsoleTarget,
    ControlLost,
    SafetyKeyPulled,
    SpeedUnits,
    Telemetry,
)
from retrowalk.errors import ControlTimeout
from retrowalk.ftms.models import STATUS_UUID, StatusOp
from retrowalk.ftms.status import decode_status

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sim_target import OpenSim, SimTarget

    from retrowalk.device.api import DeviceEvent
    from retrowalk.device.treadmill import FtmsTreadmill

    Peripheral = SimTarget

SETTLE_S = 5.0  # start countdown and ramp, or a coast to rest, of the simulated machines


def approx(kmh: float) -> object:
    """Return a match for a speed as a machine reports it (0.01 km/h)."""
    return pytest.approx(kmh, abs=0.01)


@contextlib.asynccontextmanager
async def everything(events: AsyncIterator[DeviceEvent]) -> AsyncIterator[list[DeviceEvent]]:
    """Yield a list that fills with every event while the block runs."""
    seen: list[DeviceEvent] = []

    async def keep() -> None:
        async for event in events:
            seen.append(event)  # noqa: PERF401 - the list fills while the block runs

    reader = asyncio.create_task(keep())
    try:
        yield seen
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


def status_sent(peripheral: Peripheral) -> list[StatusOp | int]:
    """Return the ops of every Fitness Machine Status the simulated machine notified."""
    return [decode_status(d).op for _t, uuid, d in peripheral.model.sent if uuid == STATUS_UUID]


async def walking(treadmill: FtmsTreadmill, events: AsyncIterator[DeviceEvent]) -> None:
    """Take control, start and walk at 3 km/h (seen in telemetry)."""
    await treadmill.request_control()
    await treadmill.start()
    await treadmill.set_speed(3.0)
    await collect(events, moving_at(3.0))


@pytest.mark.parametrize(
    ("halt", "paused"), [("console_stop", False), ("console_pause", True)], ids=["stop", "pause"]
)
async def test_console_stop_or_pause_then_the_safety_key_arrive_as_domain_events(
    sim_treadmill: OpenSim, halt: str, paused: bool
) -> None:
    """A console stop or pause is ConsoleStopped(paused=...); a pulled key is SafetyKeyPulled."""
    async with sim_treadmill("home") as (peripheral, treadmill):
        events = treadmill.events()
        await walking(treadmill, events)
        getattr(peripheral.model, halt)()
        seen = await collect(events, not_telemetry)
        assert seen[-1] == ConsoleStopped(paused=paused)
        await collect(events, moving_at(0.0))
        await treadmill.start()
        await treadmill.set_speed(2.0)
        await collect(events, moving_at(2.0))
        peripheral.model.pull_safety_key()
        seen = await collect(events, not_telemetry)
        assert seen[-1] == SafetyKeyPulled()
        await collect(events, moving_at(0.0))


MPH_TARGETS = {"speed_units": SpeedUnits(targets="mph")}


@pytest.mark.parametrize(
    ("profile", "tweaks", "options"),
    [
        ("home", {}, {}),
        ("home", {"indication_delay_s": 0.3}, {}),  # the write returns before the indication
        ("walking-pad", {}, {}),  # status padded to 3 bytes, control lost silently on pause
        ("us-treadmill", {}, {}),  # a 0.16 km/h grid
        ("reads-mph", {}, {}),
        ("reads-mph", {}, MPH_TARGETS),  # targets sent (and echoed) as mph numbers
    ],
    ids=["home", "late-indication", "walking-pad", "us-treadmill", "reads-mph", "mph-targets"],
)
async def test_status_for_our_own_writes_never_reaches_the_consumer(
    sim_treadmill: OpenSim, profile: str, tweaks: dict[str, object], options: dict[str, object]
) -> None:
    """The machine echoes our Start, targets, Pause, Stop and Reset; the consumer sees none."""
    opened = sim_treadmill(profile, tweaks=tweaks, record_traffic=True, **options)
    async with opened as (peripheral, treadmill):
        async with everything(treadmill.events()) as seen:
            await treadmill.request_control()
            await treadmill.start()
            await asyncio.sleep(SETTLE_S)
            await treadmill.set_speed(3.0)
            await asyncio.sleep(SETTLE_S)
            if treadmill.capabilities.can_set_incline:
                await treadmill.set_incline(2.0)
                await asyncio.sleep(SETTLE_S)
            await treadmill.pause()
            await asyncio.sleep(SETTLE_S)
            await treadmill.start()
            await asyncio.sleep(SETTLE_S)
            await treadmill.stop()
            await asyncio.sleep(SETTLE_S)
            await treadmill.reset()
            await asyncio.sleep(SETTLE_S)
        echoed = set(status_sent(peripheral))
        assert {
            StatusOp.STARTED_OR_RESUMED_BY_USER,
            StatusOp.TARGET_SPEED_CHANGED,
            StatusOp.STOPPED_OR_PAUSED_BY_USER,
            StatusOp.RESET,
        } <= echoed
        assert [e for e in seen if not_telemetry(e)] == []
        assert any(isinstance(e, Telemetry) and (e.speed_kmh or 0) > 0 for e in seen)


async def test_console_targets_arrive_as_console_target(sim_treadmill: OpenSim) -> None:
    """Speed and incline keyed in at the console arrive as ConsoleTarget with the new value."""
    async with sim_treadmill("home") as (peripheral, treadmill):
        events = treadmill.events()
        await walking(treadmill, events)
        peripheral.model.console_set_speed(4.5)
        seen = await collect(events, not_telemetry)
        assert seen[-1] == ConsoleTarget(speed_kmh=4.5)
        peripheral.model.console_set_incline(3.0)
        seen = await collect(events, not_telemetry)
        assert seen[-1] == ConsoleTarget(incline_pct=3.0)


async def test_console_speed_on_a_machine_driven_in_mph_arrives_in_real_km_h(
    sim_treadmill: OpenSim,
) -> None:
    """3.0 keyed in on a console that reads mph arrives as ConsoleTarget(4.83 km/h)."""
    async with sim_treadmill("reads-mph", **MPH_TARGETS) as (peripheral, treadmill):
        events = treadmill.events()
        await treadmill.request_control()
        await treadmill.start()
        sent = await treadmill.set_speed(3.0)  # 1.9 mph: 3.06 km/h as the machine reports it
        await collect(events, lambda e: isinstance(e, Telemetry) and e.speed_kmh == approx(sent))
        peripheral.model.console_set_speed(3.0 * KMH_PER_MPH)
        seen = await collect(events, not_telemetry)
        assert seen[-1] == ConsoleTarget(speed_kmh=4.83)


async def test_console_change_just_after_our_own_write_still_arrives(
    sim_treadmill: OpenSim,
) -> None:
    """Our 3.5 km/h echo is consumed; a 4.5 and a stop keyed in right after it both arrive."""
    async with sim_treadmill("home") as (peripheral, treadmill):
        events = treadmill.events()
        await walking(treadmill, events)
        await treadmill.set_speed(3.5)
        peripheral.model.console_set_speed(4.5)
        peripheral.model.console_stop()
        seen = await collect(events, moving_at(0.0))
        assert [e for e in seen if not_telemetry(e)] == [
            ConsoleTarget(speed_kmh=4.5),
            ConsoleStopped(paused=False),
        ]


async def test_revoked_control_arrives_as_control_lost(sim_treadmill: OpenSim) -> None:
    """Status 0xFF arrives as ControlLost; the next command requests control again and works."""
    async with sim_treadmill("home") as (peripheral, treadmill):
        events = treadmill.events()
        await treadmill.request_control()
        peripheral.model.revoke_control()
        seen = await collect(events, not_telemetry)
        assert isinstance(seen[-1], ControlLost)
        await treadmill.start()
        assert peripheral.model.control_point_log[-3:] == [b"\x07", b"\x00", b"\x07"]
        assert peripheral.model.control_granted


async def test_our_stop_queued_behind_an_unanswered_write_is_still_an_echo(
    sim_treadmill: OpenSim,
) -> None:
    """A Stop that waited for a Set Target Speed to time out is echoed; no ConsoleStopped comes."""
    async with sim_treadmill("home", record_traffic=True) as (peripheral, treadmill):
        events = treadmill.events()
        await walking(treadmill, events)
        peripheral.model.mute_control_point(for_s=treadmill.control_timeout_s - 1.0)
        async with everything(events) as seen:
            unanswered = asyncio.create_task(treadmill.set_speed(4.0))
            await asyncio.sleep(0.1)
            await treadmill.stop()  # goes out when the Set Target Speed timed out
            with pytest.raises(ControlTimeout):
                await unanswered
            await asyncio.sleep(SETTLE_S)
        assert StatusOp.STOPPED_OR_PAUSED_BY_USER in status_sent(peripheral)
        assert not peripheral.model.belt_running
        assert [e for e in seen if not_telemetry(e)] == []
