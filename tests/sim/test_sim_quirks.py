"""Each real-machine quirk of docs/reference/ftms.md, observed through a plain BleakClient."""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakClient
from bleak.exc import BleakGATTProtocolError, BleakGATTProtocolErrorCode
from sim_traffic import Traffic, now, running

from retrowalk.ftms import control_point as cp
from retrowalk.ftms.models import (
    CONTROL_POINT_UUID,
    FTMS_SERVICE_UUID,
    TRAINING_STATUS_UUID,
    TREADMILL_DATA_UUID,
    ResultCode,
    StopKind,
    TrainingStatusCode,
)
from retrowalk.ftms.status import decode_status
from retrowalk.ftms.training_status import decode_training_status
from retrowalk.ftms.treadmill_data import decode_treadmill_data
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld


async def test_enforced_control_answers_0x05_until_requested(world: SimWorld) -> None:
    """The home profile enforces Request Control: commands answer 0x05 until it succeeds."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        answer = await t.command(cp.start_or_resume())
        assert answer.result is ResultCode.CONTROL_NOT_PERMITTED
        assert not p.model.belt_running
        await t.command(cp.request_control())
        assert (await t.command(cp.start_or_resume())).result is ResultCode.SUCCESS


async def test_ignored_control_accepts_commands_without_request(world: SimWorld) -> None:
    """fr30z ignores Request Control: a Set Target Speed works without it."""
    p = world.add("fr30z")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        assert (await t.command(cp.set_target_speed(2.0))).result is ResultCode.SUCCESS


async def test_kingsmith_takes_commands_without_control_and_refuses_early_speed(
    world: SimWorld,
) -> None:
    """Kingsmith: Request Control answers 0x04, yet Start works; speed 0x05 for ~2.5 s after it."""
    p = world.add("kingsmith")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        assert (await t.command(cp.request_control())).result is ResultCode.OPERATION_FAILED
        started = now()
        assert (await t.command(cp.start_or_resume())).result is ResultCode.SUCCESS
        answer = await t.command(cp.set_target_speed(2.0))
        assert answer.result is ResultCode.CONTROL_NOT_PERMITTED
        await asyncio.sleep(started + 2.5 - now())
        assert (await t.command(cp.set_target_speed(2.0))).result is ResultCode.SUCCESS
        await asyncio.sleep(8.0)
        assert p.model.speed_kmh == pytest.approx(2.0)
        assert (await t.command(cp.pause())).result is ResultCode.SUCCESS
        await asyncio.sleep(8.0)
        assert (await t.command(cp.start_or_resume())).result is ResultCode.SUCCESS  # no revoke


async def test_fr30z_start_waits_for_console_and_stop_sometimes_fails(world: SimWorld) -> None:
    """fr30z: Start acked with success but no motion until console start; Stop 0x04, then ok."""
    p = world.add("fr30z")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        assert (await t.command(cp.start_or_resume())).result is ResultCode.SUCCESS
        await asyncio.sleep(20.0)
        assert {r.speed_kmh for _, r in t.records} == {0.0}
        p.model.console_start()
        await asyncio.sleep(5.0)
        assert t.records[-1][1].speed_kmh == 0.5
        assert (await t.command(cp.stop())).result is ResultCode.OPERATION_FAILED
        assert p.model.belt_running
        assert (await t.command(cp.stop())).result is ResultCode.SUCCESS
        raw = bytes(await client.read_gatt_char(TRAINING_STATUS_UUID))
        assert raw == b"\x00\x00"  # always "other", as captured


async def test_walking_pad_bytes_look_like_the_capture(world: SimWorld) -> None:
    """walking-pad: flags 0x2484 with a bit-13 step count, N/A energy rates, padded status."""
    p = world.add("walking-pad")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 3.0, wait=70.0)
        data = t.of(TREADMILL_DATA_UUID)[-1]
        assert data[:2] == bytes.fromhex("8424")
        assert data[9:12] == bytes.fromhex("ffffff")  # energy per hour / minute not available
        record = decode_treadmill_data(data)
        assert record.speed_kmh == 3.0
        assert record.steps is not None
        assert record.steps > 60
        assert record.energy_per_hour_kcal is None
        assert all(len(s) == 3 for s in t.statuses())
        assert t.statuses()[0] == bytes.fromhex("052c01")  # target 3.0 km/h, as captured
        training = decode_training_status(bytes(await client.read_gatt_char(TRAINING_STATUS_UUID)))
        assert training.string_flag
        assert training.text is None
        assert training.status == TrainingStatusCode.MANUAL_MODE


async def test_truncating_records_are_cut_at_20_bytes(world: SimWorld) -> None:
    """truncating: every record is 20 bytes although its flags promise more; speed survives."""
    p = world.add("truncating", mtu=185)
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 5.0)
        parts = t.of(TREADMILL_DATA_UUID)
        assert {len(part) for part in parts} == {20}
        record = decode_treadmill_data(parts[-1])
        assert record.truncated
        assert record.speed_kmh == 5.0
        assert record.elapsed_time_s is None


async def test_split_records_arrive_as_more_data_parts(world: SimWorld) -> None:
    """Split: a record comes as several parts, all but the last with bit 0 set; merged, whole."""
    p = world.add("split")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 4.0)
        parts = t.of(TREADMILL_DATA_UUID)[-12:]
        more = [part[0] & 1 for part in parts]
        assert 1 in more
        assert more[-1] == 0
        assert all(len(part) <= 12 for part in parts)
        record = t.records[-1][1]
        assert record.speed_kmh == 4.0
        assert record.ramp_angle_deg is None  # sent as 0x7FFF, "not available"
        assert any(b"\xff\x7f" in part for part in parts)
        assert record.elapsed_time_s is not None
        assert record.total_distance_m is not None
        assert not record.truncated


async def test_home_splits_only_when_the_mtu_is_small(world: SimWorld) -> None:
    """At MTU 23 a home treadmill splits its 22-byte record in two; at MTU 185 it sends one."""
    small, large = world.add("home"), world.add("home", mtu=185)
    counts = []
    for p in (small, large):
        async with BleakClient(p.device, backend=SimulatedClient) as client:
            t = Traffic(client)
            await t.subscribe_all()
            await asyncio.sleep(2.0)
            counts.append(len(t.of(TREADMILL_DATA_UUID)) / len(t.records))
            assert client.mtu_size == p.mtu
    assert counts == [2.0, 1.0]


async def test_speed_locked_acks_but_never_follows(world: SimWorld) -> None:
    """speed-locked: Set Target Speed answers success, the reported speed never follows."""
    p = world.add("speed-locked")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 6.0, wait=20.0)
        assert {r.speed_kmh for t_, r in t.records if t_ > 5} == {0.5}


async def test_status_echo_comes_before_the_indication(world: SimWorld) -> None:
    """The home profile echoes the client's own change as a status before the indication."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await t.command(cp.request_control())
        await t.command(cp.set_target_speed(2.35))
        kinds = [u[4:8] for _, u, _ in t.raw if u[4:8] in {"2ada", "2ad9"}]
        assert kinds[-2:] == ["2ada", "2ad9"]
        status = decode_status(t.statuses()[-1])
        assert status.target_speed_kmh == 2.4  # rounded to the 0.1 increment


@pytest.mark.parametrize(("mode", "expected"), [("round", 2.4), ("truncate", 2.3)])
async def test_round_or_truncate_targets(world: SimWorld, mode: str, expected: float) -> None:
    """A 2.39 km/h target becomes 2.4 on a rounding machine and 2.3 on a truncating one."""
    p = world.add("home", tweaks={"target_mode": mode})
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 2.39)
        assert p.model.target_speed_kmh == expected
        assert t.records[-1][1].speed_kmh == expected


async def test_console_stop_silence(world: SimWorld) -> None:
    """A machine tweaked to go silent for 8 s after a console stop sends no data for 8 s."""
    p = world.add("home", tweaks={"console_stop_silence_s": 8.0})
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 3.0)
        stopped = now()
        p.model.console_stop()
        await asyncio.sleep(12.0)
        times = [time for time, u, _ in t.raw if u == TREADMILL_DATA_UUID and time > stopped]
        assert times[0] - stopped >= 8.0
        assert decode_status(t.statuses()[-1]).stop_kind is StopKind.STOP


async def test_write_without_response_only_control_point(world: SimWorld) -> None:
    """A write-without-response-only control point: 0x03 to a request, acts on a command."""
    p = world.add("home", tweaks={"control_point_without_response": True})
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        request = cp.encode_request(cp.request_control())
        with pytest.raises(BleakGATTProtocolError) as caught:
            await client.write_gatt_char(CONTROL_POINT_UUID, request, response=True)
        assert caught.value.code is BleakGATTProtocolErrorCode.WRITE_NOT_PERMITTED
        await client.write_gatt_char(CONTROL_POINT_UUID, request, response=False)
        assert t.of(CONTROL_POINT_UUID) == []  # a command returns before the machine acts
        await asyncio.sleep(0.1)
        assert t.of(CONTROL_POINT_UUID) == [b"\x80\x00\x01"]


async def test_speed_refused_while_idle(world: SimWorld) -> None:
    """A machine that refuses Set Target Speed while idle answers 0x04 until it runs."""
    p = world.add("home", tweaks={"speed_while_idle": "reject"})
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await t.command(cp.request_control())
        answer = await t.command(cp.set_target_speed(3.0))
        assert answer.result is ResultCode.OPERATION_FAILED
        await t.command(cp.start_or_resume())
        await asyncio.sleep(3.0)
        assert (await t.command(cp.set_target_speed(3.0))).result is ResultCode.SUCCESS


async def test_targets_outside_the_range_are_invalid(world: SimWorld) -> None:
    """Out-of-range targets answer 0x03; incline on a machine without incline answers 0x02."""
    home, pad = world.add("home"), world.add("walking-pad")
    async with BleakClient(home.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await t.command(cp.request_control())
        assert (await t.command(cp.set_target_speed(25.0))).raw_result == 0x03
        assert (await t.command(cp.set_target_incline(-2.0))).raw_result == 0x03
        assert (await t.command(cp.set_target_speed(0.2))).raw_result == 0x03
    async with BleakClient(pad.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await t.command(cp.request_control())
        assert (await t.command(cp.set_target_incline(1.0))).raw_result == 0x02


async def test_negative_incline_machine(world: SimWorld) -> None:
    """The split profile goes down to -3 %: the data shows a negative incline and descent."""
    p = world.add("split")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 5.0)
        assert (await t.command(cp.set_target_incline(-3.0))).result is ResultCode.SUCCESS
        await asyncio.sleep(60.0)
        record = t.records[-1][1]
        assert record.incline_pct == -3.0
        assert (record.negative_elevation_gain_m or 0) > 1.0


async def test_swapped_advertisement(world: SimWorld) -> None:
    """A machine that swaps its machine-type bytes advertises `01 00 01`."""
    p = world.add("home", tweaks={"advertisement_byte_swapped": True})
    assert p.advertisement().service_data[FTMS_SERVICE_UUID] == b"\x01\x00\x01"


async def test_walking_pad_coasts_down_like_the_capture(world: SimWorld) -> None:
    """After Stop a walking pad coasts down at 0.3-0.45 km/h per s, then sends all zeros."""
    p = world.add("walking-pad")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 4.0, wait=15.0)
        stopped = now()
        await t.command(cp.stop())
        await asyncio.sleep(15.0)
        coast = [(time, s) for time, s in t.speeds(stopped) if s and 0.5 < s < 3.5]
        (t0, v0), (t1, v1) = coast[0], coast[-1]
        assert 0.3 <= (v0 - v1) / (t1 - t0) <= 0.45
        last = t.records[-1][1]
        assert (last.speed_kmh, last.total_distance_m, last.elapsed_time_s, last.steps) == (
            0,
            0,
            0,
            0,
        )
        assert t.of(TREADMILL_DATA_UUID)[-1] == bytes.fromhex("842400000000000000ffffff0000000000")


async def test_machine_that_reads_speed_as_mph(world: SimWorld) -> None:
    """An mph machine reports the number it was sent, while its belt really runs 1.609x faster."""
    p = world.add("home", tweaks={"speed_in_mph": True})
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 3.0)
        assert t.records[-1][1].speed_kmh == 3.0
        assert p.model.speed_kmh == pytest.approx(4.828, abs=0.001)
        before = p.model.distance_m
        await asyncio.sleep(60.0)
        assert p.model.distance_m - before == pytest.approx(4828.032 / 60, rel=0.01)
