"""FtmsTreadmill on the test target: the simulator by default, a real treadmill with --ble-address.

Every test here is safe on a real machine (docs/hardware-tests.md): speeds of at most 2 km/h,
incline one step above its lowest, and a Stop at the end of every test whatever happens (the
target sends it). Assertions about the simulator's insides run only on the simulator.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import pytest

from retrowalk.device.api import Telemetry
from retrowalk.errors import ControlRejected

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from conftest import TreadmillTarget
    from retrowalk.device.api import DeviceEvent
    from retrowalk.device.treadmill import FtmsTreadmill

pytestmark = [pytest.mark.hardware, pytest.mark.timeout(180)]

MAX_TEST_KMH = 2.0  # nobody is on the belt; it only has to be seen moving
FOLLOW_TIMEOUT_S = 45.0  # start countdown, ramp, a console Start on machines that want one
# A real machine may report a reached speed a little off (mph conversion, its own rounding); the
# simulator reports it exactly, and a looser match there would accept a record mid-ramp.
REAL_TOLERANCE = 0.1
SIM_TOLERANCE = 1e-6


async def wait_for(
    events: AsyncIterator[DeviceEvent], until: Callable[[DeviceEvent], bool]
) -> DeviceEvent:
    """Return the first event matching `until`, failing after FOLLOW_TIMEOUT_S."""
    try:
        async with asyncio.timeout(FOLLOW_TIMEOUT_S):
            async for event in events:
                if until(event):
                    return event
    except TimeoutError:
        pytest.fail(f"no matching event within {FOLLOW_TIMEOUT_S:g} s")
    pytest.fail("the event stream ended")


def tolerance(target: TreadmillTarget) -> float:
    """Return how close a reported value must be to count as reached."""
    return REAL_TOLERANCE if target.is_real else SIM_TOLERANCE


def speed_is(kmh: float, target: TreadmillTarget) -> Callable[[DeviceEvent], bool]:
    """Return a predicate: telemetry trusting a speed of `kmh` (within the target's tolerance)."""
    tol = tolerance(target)
    return lambda e: (
        isinstance(e, Telemetry) and e.speed_kmh is not None and abs(e.speed_kmh - kmh) <= tol
    )


def incline_is(pct: float, target: TreadmillTarget) -> Callable[[DeviceEvent], bool]:
    """Return a predicate: telemetry trusting `pct` incline (within the target's tolerance)."""
    tol = tolerance(target)
    return lambda e: (
        isinstance(e, Telemetry) and e.incline_pct is not None and abs(e.incline_pct - pct) <= tol
    )


def moving(event: DeviceEvent) -> bool:
    """Return whether the event is telemetry of a moving belt (a trusted speed above 0)."""
    return isinstance(event, Telemetry) and (event.speed_kmh or 0.0) > 0


def needs_control_point(treadmill: FtmsTreadmill) -> None:
    """Skip the test on a machine without a control point (coach mode only)."""
    if not treadmill.capabilities.has_control_point:
        pytest.skip("the machine has no control point: retrowalk can only coach on it")


def slow_speeds(treadmill: FtmsTreadmill) -> tuple[float, float]:
    """Return two different speeds this machine accepts, both at most MAX_TEST_KMH."""
    first = treadmill.quantize_speed(1.5)
    second = treadmill.quantize_speed(1.0)
    if second == first:
        second = treadmill.quantize_speed(MAX_TEST_KMH)
    if max(first, second) > MAX_TEST_KMH or first == second:
        pytest.skip(f"the machine has no two speeds at or below {MAX_TEST_KMH:g} km/h")
    return first, second


async def start_slowly(
    target: TreadmillTarget,
    treadmill: FtmsTreadmill,
    events: AsyncIterator[DeviceEvent],
    kmh: float,
) -> None:
    """Start the belt at `kmh`, setting the target before Start where the machine allows it."""
    with contextlib.suppress(ControlRejected):  # some machines refuse a target while stopped
        await treadmill.set_speed(kmh)
    await treadmill.start()
    await wait_for(events, moving)
    await treadmill.set_speed(kmh)
    await wait_for(events, speed_is(kmh, target))


async def test_connect_reads_the_capabilities(treadmill_target: TreadmillTarget) -> None:
    """Connecting reads the machine's speed range, incline range and features."""
    async with treadmill_target.open() as treadmill:
        caps = treadmill.capabilities
        assert treadmill.is_connected
        assert caps.speed_range is not None, "the machine publishes no Supported Speed Range"
        assert 0 <= caps.speed_range.minimum_kmh < caps.speed_range.maximum_kmh
        assert caps.speed_range.increment_kmh > 0
        if caps.incline_range is not None:
            assert caps.incline_range.minimum_pct <= caps.incline_range.maximum_pct
        if treadmill_target.model is not None:
            profile = treadmill_target.model.profile
            assert caps.speed_range == profile.speed_range
            assert caps.incline_range == profile.incline_range
            assert caps.features == profile.features
            assert caps.has_control_point


async def test_request_control_is_granted(treadmill_target: TreadmillTarget) -> None:
    """Request Control succeeds (no other app holds the machine)."""
    async with treadmill_target.open() as treadmill:
        needs_control_point(treadmill)
        await treadmill.request_control()
        if treadmill_target.model is not None:
            assert treadmill_target.model.control_granted


async def test_start_and_slow_speeds_show_in_telemetry(treadmill_target: TreadmillTarget) -> None:
    """Start, then two speeds of at most 2 km/h: the belt follows and the records report it."""
    async with treadmill_target.open() as treadmill:
        needs_control_point(treadmill)
        first, second = slow_speeds(treadmill)
        events = treadmill.events()
        await treadmill.request_control()
        await start_slowly(treadmill_target, treadmill, events, first)
        assert await treadmill.set_speed(second) == second
        await wait_for(events, speed_is(second, treadmill_target))
        if treadmill_target.model is not None:
            assert treadmill_target.model.speed_kmh == pytest.approx(second)


async def test_stop_brings_the_belt_to_rest(treadmill_target: TreadmillTarget) -> None:
    """Stop while walking slowly: the records go to 0 km/h."""
    async with treadmill_target.open() as treadmill:
        needs_control_point(treadmill)
        first, _ = slow_speeds(treadmill)
        events = treadmill.events()
        await treadmill.request_control()
        await start_slowly(treadmill_target, treadmill, events, first)
        await treadmill.stop()
        await wait_for(events, speed_is(0.0, treadmill_target))
        if treadmill_target.model is not None:
            assert not treadmill_target.model.belt_running


async def test_incline_follows_when_supported(treadmill_target: TreadmillTarget) -> None:
    """One incline step up while walking slowly: the records report it; then back down."""
    async with treadmill_target.open() as treadmill:
        needs_control_point(treadmill)
        if not treadmill.capabilities.can_set_incline:
            pytest.skip("the machine has no settable incline")
        low = treadmill.quantize_incline(0.0)
        incline_range = treadmill.capabilities.incline_range
        step = incline_range.increment_pct if incline_range is not None else 1.0
        up = treadmill.quantize_incline(low + max(step, 1.0))
        if up == low:
            pytest.skip("the machine's incline range has a single value")
        first, _ = slow_speeds(treadmill)
        events = treadmill.events()
        await treadmill.request_control()
        await start_slowly(treadmill_target, treadmill, events, first)
        try:
            assert await treadmill.set_incline(up) == up
            telemetry = await wait_for(events, lambda e: isinstance(e, Telemetry))
            assert isinstance(telemetry, Telemetry)
            assert telemetry.record is not None
            if telemetry.record.incline_pct is not None:  # some machines never report incline
                await wait_for(events, incline_is(up, treadmill_target))
        finally:
            await treadmill.set_incline(low)
        if treadmill_target.model is not None:
            assert treadmill_target.model.target_incline_pct == low
