"""A plain BleakClient session against every simulator profile, through the FTMS bytes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from bleak import BleakClient
from sim_traffic import Traffic, now

from retrowalk.ftms import control_point as cp
from retrowalk.ftms.feature import decode_features
from retrowalk.ftms.models import (
    CONTROL_POINT_UUID,
    FEATURE_UUID,
    INCLINE_RANGE_UUID,
    SPEED_RANGE_UUID,
    ControlRequest,
    ControlResponse,
    ResultCode,
    TargetSettingFeature,
)
from retrowalk.ftms.ranges import decode_incline_range, decode_speed_range
from retrowalk_sim.bleak_backend import SimPeripheral, SimulatedClient, SimWorld
from retrowalk_sim.model import MPH_IN_KMH
from retrowalk_sim.profiles import PROFILES

if TYPE_CHECKING:
    from retrowalk_sim.model import TreadmillModel

CONTROLLED = [name for name, p in PROFILES.items() if p.has_control_point]


async def command(
    t: Traffic, p: SimPeripheral[TreadmillModel], request: ControlRequest
) -> ControlResponse:
    """Run a procedure the way a robust client does: re-request control on 0x05, retry 0x04."""
    for _ in range(8):
        answer = await t.command(request)
        if answer.result is ResultCode.CONTROL_NOT_PERMITTED:
            assert (await t.command(cp.request_control())).result is ResultCode.SUCCESS
            await asyncio.sleep(1.0)  # a machine spinning up refuses for a while
        elif answer.result is ResultCode.OPERATION_FAILED:
            await asyncio.sleep(0.5)
        else:
            return answer
    pytest.fail(f"{p.model.profile.name}: {request} never succeeded")


@pytest.mark.parametrize("name", CONTROLLED)
async def test_session_against_each_profile(world: SimWorld, name: str) -> None:  # noqa: PLR0915 - one session, step by step
    """Connect, read features and ranges, control, start, set targets, data follows, stop."""
    p = world.add(name)
    profile = p.model.profile
    rng = profile.speed_range
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        features = decode_features(bytes(await client.read_gatt_char(FEATURE_UUID)))
        assert features == profile.features
        speed_range = decode_speed_range(bytes(await client.read_gatt_char(SPEED_RANGE_UUID)))
        assert speed_range == rng
        if profile.incline_range is not None:
            raw = bytes(await client.read_gatt_char(INCLINE_RANGE_UUID))
            assert decode_incline_range(raw) == profile.incline_range
        else:
            assert client.services.get_characteristic(INCLINE_RANGE_UUID) is None
        t = Traffic(client)
        await t.subscribe_all()
        granted = ResultCode.OPERATION_FAILED if profile.refuses_request_control else None
        assert (await t.command(cp.request_control())).result is (granted or ResultCode.SUCCESS)
        assert (await command(t, p, cp.start_or_resume())).result is ResultCode.SUCCESS
        if profile.start_needs_console:
            await asyncio.sleep(5.0)
            assert not p.model.belt_running  # acknowledged, yet the belt waits
            p.model.console_start()
        await asyncio.sleep(profile.start_delay_s + 3.0)
        real = MPH_IN_KMH if profile.speed_in_mph else 1.0  # machine number -> belt km/h
        shown = real if profile.reports_kmh else 1.0  # machine number -> reported number
        assert p.model.speed_kmh == pytest.approx(rng.minimum_kmh * real)

        wanted = round(min(rng.maximum_kmh, rng.minimum_kmh + 3.0), 1)
        grid = {"minimum": rng.minimum_kmh, "maximum": rng.maximum_kmh}
        target = cp.quantize(wanted, increment=rng.increment_kmh, **grid)
        acked = now()
        await command(t, p, cp.set_target_speed(wanted))
        incline_target = None
        if TargetSettingFeature.INCLINATION in features.target_setting:
            incline_target = 2.0
            await command(t, p, cp.set_target_incline(incline_target))
        await asyncio.sleep(3.0 / profile.accel_kmh_per_s + 5.0)

        low, high = rng.minimum_kmh * shown, target * shown
        ramp = [(time, s) for time, s in t.speeds(acked) if s and low + 0.01 < s < high - 0.01]
        if profile.ignores_speed:
            assert ramp == []  # the reported speed never follows the target
            assert t.records[-1][1].speed_kmh == pytest.approx(low)
        else:
            assert t.records[-1][1].speed_kmh == pytest.approx(high, abs=0.01)
            (t0, v0), (t1, v1) = ramp[0], ramp[-1]
            rate = profile.accel_kmh_per_s * shown
            assert (v1 - v0) / (t1 - t0) == pytest.approx(rate, rel=0.1)
        if incline_target is not None:
            assert t.records[-1][1].incline_pct == pytest.approx(incline_target)
        steady = t.speeds(now() - 4.0)
        assert len(steady) == pytest.approx(4.0 * profile.notify_hz, abs=1)
        assert (t.records[-1][1].total_distance_m or 0) > 0

        await command(t, p, cp.stop())
        await asyncio.sleep(target / profile.coast_kmh_per_s + 2.0)  # machine units
        last = t.records[-1][1]
        assert last.speed_kmh == 0
        assert last.total_distance_m == 0  # stop ends the session: counters zeroed


async def test_data_only_machine_has_no_control_point(world: SimWorld) -> None:
    """data-only: no control point at all, but its data follows the console (coach mode)."""
    p = world.add("data-only")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        assert client.services.get_characteristic(CONTROL_POINT_UUID) is None
        features = decode_features(bytes(await client.read_gatt_char(FEATURE_UUID)))
        assert TargetSettingFeature.SPEED not in features.target_setting
        t = Traffic(client)
        await t.subscribe_all()
        p.model.console_start()
        await asyncio.sleep(4.0)
        for _ in range(10):
            p.model.console_speed_up()
        await asyncio.sleep(4.0)
        assert t.records[-1][1].speed_kmh == pytest.approx(1.8)
