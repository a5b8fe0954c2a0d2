"""Fault injection and console actions, each observed through a plain BleakClient."""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakClient
from sim_traffic import Traffic, now, running

from retrowalk.errors import ProtocolError
from retrowalk.ftms import control_point as cp
from retrowalk.ftms.models import (
    CONTROL_POINT_UUID,
    TREADMILL_DATA_UUID,
    ResultCode,
    StatusOp,
    StopKind,
)
from retrowalk.ftms.treadmill_data import decode_treadmill_data
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld


async def test_drop_link_calls_back_and_allows_reconnect(world: SimWorld) -> None:
    """drop_link: the disconnected callback fires, the belt keeps going, a reconnect works."""
    p = world.add("home")
    dropped: list[float] = []
    client = BleakClient(p.device, lambda _c: dropped.append(now()), backend=SimulatedClient)
    async with client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 3.0)
        p.model.drop_link()
        await asyncio.sleep(0)
        assert dropped
        assert not client.is_connected
        assert p.model.belt_running
        assert not p.model.control_granted  # permission ends with the connection
        await client.connect()
        assert client.is_connected


async def test_drop_link_refusing_reconnects_times_out(world: SimWorld) -> None:
    """drop_link(refuse_s): connecting fails with a timeout while the machine refuses."""
    p = world.add("home")
    client = BleakClient(p.device, backend=SimulatedClient, timeout=5.0)
    await client.connect()
    p.model.drop_link(refuse_s=30.0)
    with pytest.raises(TimeoutError):
        await client.connect()
    await asyncio.sleep(30.0)
    await client.connect()
    assert client.is_connected
    await client.disconnect()


async def test_reject_next_answers_the_given_code(world: SimWorld) -> None:
    """reject_next(2, 0x04): the next two procedures answer 0x04 and do nothing; then normal."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await t.command(cp.request_control())
        p.model.reject_next(2, ResultCode.OPERATION_FAILED)
        assert (await t.command(cp.start_or_resume())).result is ResultCode.OPERATION_FAILED
        assert (await t.command(cp.start_or_resume())).raw_result == 0x04
        await asyncio.sleep(5.0)
        assert not p.model.belt_running
        assert (await t.command(cp.start_or_resume())).result is ResultCode.SUCCESS


async def test_reject_with_reserved_code_is_sent_raw(world: SimWorld) -> None:
    """reject_next with a reserved result code sends it as is (a client must call it unknown)."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        p.model.reject_next(1, 0x09)
        answer = await t.command(cp.request_control())
        assert answer.result is ResultCode.UNKNOWN
        assert answer.raw_result == 0x09


async def test_ignore_speed_acks_and_keeps_the_belt(world: SimWorld) -> None:
    """ignore_speed: Set Target Speed answers success and the reported speed stays put."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 3.0)
        p.model.ignore_speed()
        acked = now()
        assert (await t.command(cp.set_target_speed(5.0))).result is ResultCode.SUCCESS
        await asyncio.sleep(10.0)
        assert {s for _, s in t.speeds(acked)} == {3.0}
        p.model.ignore_speed(on=False)
        await t.command(cp.set_target_speed(5.0))
        await asyncio.sleep(5.0)
        assert t.records[-1][1].speed_kmh == 5.0


async def test_mute_control_point_logs_writes_and_never_answers(world: SimWorld) -> None:
    """mute_control_point: writes are logged, nothing happens, no indication; unmuted it answers."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await t.command(cp.request_control())
        p.model.mute_control_point()
        start = cp.encode_request(cp.start_or_resume())
        await client.write_gatt_char(CONTROL_POINT_UUID, start, response=True)
        await asyncio.sleep(30.0)
        assert t.of(CONTROL_POINT_UUID) == [b"\x80\x00\x01"]  # only the earlier answer
        assert p.model.control_point_log[-1] == start
        assert not p.model.belt_running
        p.model.mute_control_point(on=False)
        assert (await t.command(cp.start_or_resume())).result is ResultCode.SUCCESS


async def test_stall_notifications_goes_silent_then_resumes(world: SimWorld) -> None:
    """stall_notifications(6): no Treadmill Data for 6 s, the link stays up, then data resumes."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await asyncio.sleep(1.0)
        stalled = now()
        p.model.stall_notifications(6.0)
        await asyncio.sleep(8.0)
        times = [time for time, u, _ in t.raw if u == TREADMILL_DATA_UUID and time > stalled]
        assert times[0] - stalled >= 6.0
        assert client.is_connected


async def test_send_garbage_is_not_ftms(world: SimWorld) -> None:
    """send_garbage: one notification that the Treadmill Data decoder rejects with its error."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await client.start_notify(TREADMILL_DATA_UUID, t.on_notify_raw)
        p.model.send_garbage()
        garbage = t.of(TREADMILL_DATA_UUID)[-1]
        with pytest.raises(ProtocolError):
            decode_treadmill_data(garbage)


async def test_slow_belt_takes_longer(world: SimWorld) -> None:
    """slow_belt(0.25): the belt accelerates at a quarter of its rate."""
    p = world.add("home", tweaks={"notify_hz": 4.0})  # first motion seen within 0.25 s
    p.model.slow_belt(0.25)
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 3.0, wait=20.0)
        moving = t.first_time(lambda r: (r.speed_kmh or 0) > 0)
        reached = t.first_time(lambda r: r.speed_kmh == 3.0)
        assert moving is not None
        assert reached is not None
        assert 11.5 <= reached - moving <= 12.0  # 3 km/h at a quarter of 1 km/h per s


async def test_console_actions_announce_status(world: SimWorld) -> None:
    """Console start/speed/incline/pause/stop each notify the matching status, then act."""
    p = world.add("home")
    m = p.model
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        m.console_start()
        await asyncio.sleep(4.0)
        m.console_speed_up()
        m.console_incline_up()
        await asyncio.sleep(3.0)
        assert t.records[-1][1].speed_kmh == 0.6
        assert t.records[-1][1].incline_pct == 1.0
        m.console_speed_down()
        m.console_incline_down()
        m.console_pause()
        await asyncio.sleep(3.0)
        kept = m.distance_m
        assert kept > 0
        m.console_start()
        await asyncio.sleep(4.0)
        assert m.distance_m > kept  # pause kept the counters
        m.console_stop()
        await asyncio.sleep(4.0)
        assert m.distance_m == 0
        statuses = t.decoded_statuses()
        assert [s.op for s in statuses] == [
            StatusOp.STARTED_OR_RESUMED_BY_USER,
            StatusOp.TARGET_SPEED_CHANGED,
            StatusOp.TARGET_INCLINE_CHANGED,
            StatusOp.TARGET_SPEED_CHANGED,
            StatusOp.TARGET_INCLINE_CHANGED,
            StatusOp.STOPPED_OR_PAUSED_BY_USER,
            StatusOp.STARTED_OR_RESUMED_BY_USER,
            StatusOp.STOPPED_OR_PAUSED_BY_USER,
        ]
        assert [s.stop_kind for s in statuses if s.stop_kind] == [StopKind.PAUSE, StopKind.STOP]
        assert statuses[1].target_speed_kmh == 0.6


async def test_safety_key_stops_at_once_and_blocks_start(world: SimWorld) -> None:
    """Pulling the safety key: status 03, speed 0 at once, Start fails until it is back."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 4.0)
        pulled = now()
        p.model.pull_safety_key()
        assert t.decoded_statuses()[-1].op == StatusOp.STOPPED_BY_SAFETY_KEY
        await asyncio.sleep(0.3)
        assert t.speeds(pulled)[0][1] == 0.0
        assert (await t.command(cp.start_or_resume())).result is ResultCode.OPERATION_FAILED
        p.model.insert_safety_key()
        assert (await t.command(cp.start_or_resume())).result is ResultCode.SUCCESS


async def test_revoke_control_sends_0xff(world: SimWorld) -> None:
    """revoke_control: status 0xFF, and the next command answers 0x05."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await t.command(cp.request_control())
        p.model.revoke_control()
        assert t.statuses()[-1] == b"\xff"
        answer = await t.command(cp.start_or_resume())
        assert answer.result is ResultCode.CONTROL_NOT_PERMITTED


async def test_reset_revokes_control_and_stops(world: SimWorld) -> None:
    """Reset: status 01, the belt stops, and control has to be requested again."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 3.0)
        assert (await t.command(cp.reset())).result is ResultCode.SUCCESS
        assert t.decoded_statuses()[-1].op == StatusOp.RESET
        await asyncio.sleep(10.0)
        assert not p.model.belt_running
        answer = await t.command(cp.start_or_resume())
        assert answer.result is ResultCode.CONTROL_NOT_PERMITTED


async def test_console_takeover_revokes_control_with_0xff(world: SimWorld) -> None:
    """A machine whose console takes over: a key press sends its status, then 0xFF; 0x05 after."""
    p = world.add("home", tweaks={"console_revokes_control": True})
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 3.0)
        p.model.console_speed_up()
        ops = [s.op for s in t.decoded_statuses()][-2:]
        assert ops == [StatusOp.TARGET_SPEED_CHANGED, StatusOp.CONTROL_PERMISSION_LOST]
        answer = await t.command(cp.set_target_speed(4.0))
        assert answer.result is ResultCode.CONTROL_NOT_PERMITTED


async def test_stop_while_paused_ends_the_session(world: SimWorld) -> None:
    """Pause keeps the counters; a Stop while paused zeroes them and sends an all-zero record."""
    p = world.add("home")
    async with BleakClient(p.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 4.0, wait=20.0)
        await t.command(cp.pause())
        await asyncio.sleep(6.0)
        assert (t.records[-1][1].total_distance_m or 0) > 10
        await t.command(cp.stop())
        await asyncio.sleep(0.5)
        assert t.records[-1][1].total_distance_m == 0
        assert [s.stop_kind for s in t.decoded_statuses()[-2:]] == [StopKind.PAUSE, StopKind.STOP]
