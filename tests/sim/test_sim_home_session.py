"""A full BleakClient session against the spec-faithful home treadmill."""

from __future__ import annotations

import asyncio

from bleak import BleakClient
from sim_traffic import Traffic, now

from retrowalk.ftms import control_point as cp
from retrowalk.ftms.feature import decode_features
from retrowalk.ftms.models import (
    FEATURE_UUID,
    INCLINE_RANGE_UUID,
    SPEED_RANGE_UUID,
    TREADMILL_DATA_UUID,
    InclineRange,
    ResultCode,
    SpeedRange,
    StatusOp,
    TargetSettingFeature,
)
from retrowalk.ftms.ranges import decode_incline_range, decode_speed_range
from retrowalk.ftms.status import decode_status
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld


async def test_home_session_follows_targets_and_stops(world: SimWorld) -> None:
    """Home: features, ranges, control, start, speed+incline followed at its rates, stop zeroes."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        features = decode_features(bytes(await client.read_gatt_char(FEATURE_UUID)))
        assert TargetSettingFeature.SPEED in features.target_setting
        assert TargetSettingFeature.INCLINATION in features.target_setting
        speed_range = decode_speed_range(bytes(await client.read_gatt_char(SPEED_RANGE_UUID)))
        incline_range = decode_incline_range(bytes(await client.read_gatt_char(INCLINE_RANGE_UUID)))
        assert speed_range == SpeedRange(0.5, 20.0, 0.1)
        assert incline_range == InclineRange(0.0, 15.0, 1.0)
        t = Traffic(client)
        await t.subscribe_all()

        assert (await t.command(cp.request_control())).result is ResultCode.SUCCESS
        assert (await t.command(cp.start_or_resume())).result is ResultCode.SUCCESS
        await asyncio.sleep(6.0)
        assert p.model.speed_kmh == 0.5  # countdown, then the minimum speed
        acked = now()
        assert (await t.command(cp.set_target_speed(4.0))).result is ResultCode.SUCCESS
        assert (await t.command(cp.set_target_incline(3.0))).result is ResultCode.SUCCESS
        await asyncio.sleep(8.0)

        reached = t.first_time(lambda r: r.speed_kmh == 4.0, since=acked)
        assert reached is not None
        # 3.5 km/h at 1 km/h per s after a 0.6 s lag
        assert 4.0 <= reached - acked <= 4.2
        climbed = t.first_time(lambda r: r.incline_pct == 3.0, since=acked)
        assert climbed is not None
        assert climbed - acked >= 3.0 / 1.75  # the deck moves slower than 1.75 %/s
        speeds = [s or 0.0 for _, s in t.speeds(acked)]
        assert speeds == sorted(speeds)  # a steady ramp up, no jumps back
        since = acked + 5
        sent = [at for at, uuid, _ in t.raw if uuid == TREADMILL_DATA_UUID and at >= since]
        assert 2.0 <= len(sent) / (now() - since) <= 5.0  # notifications a second, as real ones

        stop_at = now()
        assert (await t.command(cp.stop())).result is ResultCode.SUCCESS
        await asyncio.sleep(15.0)
        last = t.records[-1][1]
        assert last.speed_kmh == 0
        assert last.total_distance_m == 0
        assert last.elapsed_time_s == 0
        coast = [s for time, s in t.speeds(stop_at) if s]
        assert coast == sorted(coast, reverse=True)
        ops = [decode_status(s).op for s in t.statuses()]
        assert ops[:2] == [StatusOp.STARTED_OR_RESUMED_BY_USER, StatusOp.TARGET_SPEED_CHANGED]
        assert StatusOp.STOPPED_OR_PAUSED_BY_USER in ops


async def test_records_go_out_twice_a_second_on_the_clock_grid(world: SimWorld) -> None:
    """A record every half second of loop time; a reached speed at once, off that grid."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await t.command(cp.request_control())
        await t.command(cp.start_or_resume())
        await asyncio.sleep(3.37)  # the countdown, the belt at its minimum; an odd phase
        await t.command(cp.set_target_speed(0.73))
        await asyncio.sleep(6.0)
        reached = t.first_time(lambda r: r.speed_kmh == 0.7)
        assert reached is not None
        assert abs(reached * 2 - round(reached * 2)) > 0.01  # shown when reached
        after = [at for at, _ in t.records if at > reached]
        assert len(after) >= 10
        assert all(abs(at * 2 - round(at * 2)) < 1e-9 for at in after), after


async def test_small_step_shows_within_the_real_delay(world: SimWorld) -> None:
    """A 0.1 km/h step first shows in the data 0.7-0.85 s after its acknowledgement."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await t.command(cp.request_control())
        await t.command(cp.set_target_speed(3.0))
        await t.command(cp.start_or_resume())
        await asyncio.sleep(8.0)
        for target in (3.1, 3.2, 3.1):
            acked = now()
            await t.command(cp.set_target_speed(target))
            await asyncio.sleep(2.13)  # land at a different phase of the cadence each time
            shown = t.first_time(lambda r, v=target: r.speed_kmh == v, since=acked)
            assert shown is not None
            assert 0.7 <= shown - acked <= 0.85
