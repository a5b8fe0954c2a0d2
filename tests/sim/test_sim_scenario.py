"""Every scenario action changes the simulated treadmill's ground truth as the format says."""

from __future__ import annotations

import asyncio
import struct

import pytest
from bleak import BleakClient
from sim_traffic import Traffic, now, running

from retrowalk.ftms import control_point as cp
from retrowalk.ftms.models import TREADMILL_DATA_UUID, ResultCode, StatusOp
from retrowalk_sim.bleak_backend import SimPeripheral, SimulatedClient, SimWorld
from retrowalk_sim.heart_rate import HEART_RATE_MEASUREMENT_UUID
from retrowalk_sim.model import BeltState, TreadmillModel
from retrowalk_sim.scenario import ACTIONS, Action, Scenario

AT = 20.0  # every action below takes effect 20 s after the treadmill connected


async def _walking(
    world: SimWorld, *actions: Action, speed: float = 3.0, **tweaks: object
) -> tuple[SimPeripheral[TreadmillModel], Traffic, BleakClient]:
    """Connect to a "home" treadmill playing `actions`, walk at `speed`; return at t = AT - 1."""
    tm = world.add("home", scenario=Scenario(actions, tweaks=tweaks))
    client = BleakClient(tm.device, backend=SimulatedClient)
    await client.connect()
    traffic = Traffic(client)
    await traffic.subscribe_all()
    await running(traffic, speed)
    assert tm.trace is not None
    await asyncio.sleep(AT - 1 - _session_now(tm))
    return tm, traffic, client


def _session_now(tm: SimPeripheral[TreadmillModel]) -> float:
    assert tm.trace is not None
    assert tm.trace.origin is not None
    return now() - tm.trace.origin


async def _until(tm: SimPeripheral[TreadmillModel], t: float) -> None:
    await asyncio.sleep(max(0.0, t - _session_now(tm)))


def test_every_action_of_the_format_is_known() -> None:
    """The action names are exactly the issue's list, so scenarios can be shared."""
    assert set(ACTIONS) == {
        "console_stop",
        "console_speed",
        "console_incline",
        "drop_link",
        "ignore_stop",
        "stale_telemetry",
        "revoke_control",
        "pull_safety_key",
        "insert_safety_key",
        "console_pause",
        "console_start",
        "ignore_speed",
        "mute_control_point",
        "garbage",
        "refuse_control",
        "hr_bpm",
        "hr_lost",
    }


@pytest.mark.parametrize("do", ["console_stop", "console_pause", "pull_safety_key"])
async def test_a_console_stop_pause_or_safety_key_brings_the_belt_to_rest(
    world: SimWorld, do: str
) -> None:
    """console_stop, console_pause and pull_safety_key stop the belt; the trace shows when."""
    tm, _, client = await _walking(world, Action(AT, do))  # type: ignore[arg-type]
    await _until(tm, AT + 10)
    trace = tm.trace
    assert trace is not None
    assert trace.belt_kmh_at(AT - 0.01) == pytest.approx(3.0)
    assert trace.belt_kmh_at(AT + 10) == 0.0
    (_, end), *_ = trace.moving_intervals()
    assert AT <= end <= AT + 3.1  # 3 km/h coasting at 1 km/h/s; the key stops it at once
    if do == "pull_safety_key":
        assert end == pytest.approx(AT)
        assert not tm.model.safety_key_in
    if do == "console_pause":
        assert tm.model.state is BeltState.PAUSED
    assert [f.fault for f in trace.faults()] == [do]
    await client.disconnect()


async def test_console_start_after_a_stop_moves_the_belt_again(world: SimWorld) -> None:
    """console_start restarts a stopped belt: a second motion start at its time."""
    actions = (Action(AT, "console_stop"), Action(AT + 10, "console_start"))
    tm, _, client = await _walking(world, *actions)
    await _until(tm, AT + 20)
    assert tm.trace is not None
    starts = tm.trace.motion_starts()
    assert len(starts) == 2
    assert AT + 10 <= starts[1] <= AT + 10 + tm.model.profile.start_delay_s + 0.2
    await client.disconnect()


async def test_console_speed_and_incline_set_the_belt_and_deck(world: SimWorld) -> None:
    """console_speed (kmh) and console_incline (pct) move the belt and the deck there."""
    tm, traffic, client = await _walking(
        world, Action(AT, "console_speed", kmh=5.04), Action(AT, "console_incline", pct=3.4)
    )
    await _until(tm, AT + 10)
    assert tm.trace is not None
    assert tm.trace.belt_kmh_at(AT + 10) == pytest.approx(5.0)  # the 0.1 km/h grid
    assert tm.trace.incline_pct_at(AT + 10) == pytest.approx(3.0)  # the 1 % grid
    ops = [s.op for s in traffic.decoded_statuses()]
    assert StatusOp.TARGET_SPEED_CHANGED in ops
    assert StatusOp.TARGET_INCLINE_CHANGED in ops
    await client.disconnect()


async def test_drop_link_refuses_reconnects_for_its_duration(world: SimWorld) -> None:
    """drop_link for 20 s: the central loses the link; connecting fails until 20 s passed."""
    tm, _, client = await _walking(world, Action(AT, "drop_link", for_s=20.0))
    await _until(tm, AT + 1)
    assert not client.is_connected
    late = BleakClient(tm.device, backend=SimulatedClient, timeout=5.0)
    with pytest.raises(TimeoutError):
        await late.connect()
    await _until(tm, AT + 20)
    await late.connect()
    assert late.is_connected
    await late.disconnect()


async def test_ignore_stop_acknowledges_stop_and_keeps_the_belt_running(world: SimWorld) -> None:
    """ignore_stop for 30 s: Stop answers success, the belt keeps going; afterwards it stops."""
    tm, traffic, client = await _walking(world, Action(AT, "ignore_stop", for_s=30.0))
    await _until(tm, AT + 1)
    stop = cp.stop()
    assert (await traffic.command(stop)).result is ResultCode.SUCCESS
    await _until(tm, AT + 20)
    assert tm.trace is not None
    assert tm.trace.belt_kmh_at(AT + 20) == pytest.approx(3.0)
    await _until(tm, AT + 31)
    assert (await traffic.command(stop)).result is ResultCode.SUCCESS
    await _until(tm, AT + 40)
    assert tm.trace.belt_kmh_at(AT + 40) == 0.0
    await client.disconnect()


async def test_stale_telemetry_stops_data_while_control_still_answers(world: SimWorld) -> None:
    """stale_telemetry for 10 s: no Treadmill Data in the window; the control point answers."""
    tm, traffic, client = await _walking(world, Action(AT, "stale_telemetry", for_s=10.0))
    await _until(tm, AT + 2)
    assert (await traffic.command(cp.set_target_speed(4.0))).result is ResultCode.SUCCESS
    await _until(tm, AT + 15)
    assert tm.trace is not None
    origin = tm.trace.origin
    assert origin is not None
    data_times = [t - origin for t, uuid, _ in traffic.raw if uuid == TREADMILL_DATA_UUID]
    assert not [t for t in data_times if AT + 0.01 < t < AT + 10]
    assert [t for t in data_times if t > AT + 10]
    assert tm.trace.belt_kmh_at(AT + 15) == pytest.approx(4.0)  # the belt obeyed meanwhile
    await client.disconnect()


async def test_ignore_speed_acknowledges_and_ignores_set_speed(world: SimWorld) -> None:
    """ignore_speed for 10 s: Set Target Speed answers success and the belt keeps its speed."""
    tm, traffic, client = await _walking(world, Action(AT, "ignore_speed", for_s=10.0))
    await _until(tm, AT + 1)
    assert (await traffic.command(cp.set_target_speed(5.0))).result is ResultCode.SUCCESS
    await _until(tm, AT + 9)
    assert tm.trace is not None
    assert tm.trace.belt_kmh_at(AT + 9) == pytest.approx(3.0)
    await _until(tm, AT + 11)
    assert (await traffic.command(cp.set_target_speed(5.0))).result is ResultCode.SUCCESS
    await _until(tm, AT + 16)
    assert tm.trace.belt_kmh_at(AT + 16) == pytest.approx(5.0)
    await client.disconnect()


async def test_mute_control_point_takes_writes_without_answer(world: SimWorld) -> None:
    """mute_control_point for 10 s: a write reaches the machine, gets no answer, does nothing."""
    tm, _, client = await _walking(world, Action(AT, "mute_control_point", for_s=10.0))
    await _until(tm, AT + 1)
    data = cp.encode_request(cp.set_target_speed(5.0))
    await client.write_gatt_char("00002ad9-0000-1000-8000-00805f9b34fb", data, response=True)
    await _until(tm, AT + 9)
    assert tm.trace is not None
    last = tm.trace.writes()[-1]
    assert last.data == data
    assert last.answer is None
    assert tm.trace.belt_kmh_at(AT + 9) == pytest.approx(3.0)
    await client.disconnect()


async def test_revoke_control_and_refuse_control(world: SimWorld) -> None:
    """revoke_control sends 0xFF and drops control; refuse_control answers the next 2 with 0x05."""
    tm, traffic, client = await _walking(
        world, Action(AT, "revoke_control"), Action(AT, "refuse_control", count=2)
    )
    await _until(tm, AT + 1)
    assert StatusOp.CONTROL_PERMISSION_LOST in [s.op for s in traffic.decoded_statuses()]
    assert not tm.model.control_granted
    answers = [(await traffic.command(cp.request_control())).result for _ in range(3)]
    assert answers == [
        ResultCode.CONTROL_NOT_PERMITTED,
        ResultCode.CONTROL_NOT_PERMITTED,
        ResultCode.SUCCESS,
    ]
    assert tm.trace is not None
    assert [w.answer.hex() if w.answer else None for w in tm.trace.writes()[-3:]] == [
        "800005",
        "800005",
        "800001",
    ]
    await client.disconnect()


async def test_insert_safety_key_lets_the_belt_start_again(world: SimWorld) -> None:
    """After pull_safety_key Start fails; after insert_safety_key it works."""
    tm, traffic, client = await _walking(
        world, Action(AT, "pull_safety_key"), Action(AT + 10, "insert_safety_key")
    )
    await _until(tm, AT + 5)
    assert (await traffic.command(cp.start_or_resume())).result is ResultCode.OPERATION_FAILED
    await _until(tm, AT + 11)
    assert (await traffic.command(cp.start_or_resume())).result is ResultCode.SUCCESS
    await _until(tm, AT + 20)
    assert tm.model.belt_running
    await client.disconnect()


async def test_garbage_sends_that_many_unreadable_notifications(world: SimWorld) -> None:
    """Garbage count 3: three 1-byte Treadmill Data notifications arrive."""
    tm = world.add("home", scenario=Scenario([Action(AT, "garbage", count=3)]))
    async with BleakClient(tm.device, backend=SimulatedClient) as client:
        traffic = Traffic(client)
        await client.start_notify(TREADMILL_DATA_UUID, traffic.on_notify_raw)
        await _until(tm, AT + 1)
    assert traffic.of(TREADMILL_DATA_UUID).count(b"\x5a") == 3


async def test_heart_rate_actions_reach_the_linked_strap(world: SimWorld) -> None:
    """hr_bpm 150: the strap reports 150; hr_lost for 20 s: it sends nothing meanwhile."""
    scenario = Scenario([Action(AT, "hr_bpm", bpm=150), Action(AT + 30, "hr_lost", for_s=20.0)])
    tm = world.add("home", scenario=scenario)
    strap = world.add_hr_strap(linked_to=tm)
    beats: list[tuple[float, int]] = []
    async with BleakClient(strap.device, backend=SimulatedClient) as client:
        await client.start_notify(
            HEART_RATE_MEASUREMENT_UUID,
            lambda _c, data: beats.append((now(), struct.unpack_from("<B", data, 1)[0])),
        )
        async with BleakClient(tm.device, backend=SimulatedClient):
            await _until(tm, AT + 60)
    assert tm.trace is not None
    origin = tm.trace.origin
    assert origin is not None
    held = [bpm for t, bpm in beats if AT + 1 < t - origin < AT + 30]
    assert held
    assert set(held) == {150}
    assert not [t for t, _ in beats if AT + 31 < t - origin < AT + 50]


async def test_tweaks_change_the_profile_for_the_run(world: SimWorld) -> None:
    """tweaks: {coast_kmh_per_s: 0.2}: after a stop the belt coasts five times slower."""
    tm, _, client = await _walking(world, Action(AT, "console_stop"), coast_kmh_per_s=0.2)
    await _until(tm, AT + 5)
    assert tm.model.profile.coast_kmh_per_s == 0.2
    assert tm.trace is not None
    assert tm.trace.belt_kmh_at(AT + 5) == pytest.approx(2.0)
    await client.disconnect()


async def test_actions_wait_for_the_anchor_when_asked(world: SimWorld) -> None:
    """origin="anchor": nothing plays on connection; `at` counts from `trace.anchor()`."""
    tm = world.add("home", scenario=Scenario([Action(5, "revoke_control")]), origin="anchor")
    assert tm.script is not None
    async with BleakClient(tm.device, backend=SimulatedClient):
        await asyncio.sleep(30)
        assert tm.script.played == ()
        assert tm.trace is not None
        tm.trace.anchor(now())
        await asyncio.sleep(4.9)
        assert tm.script.played == ()
        await asyncio.sleep(0.2)
        assert [a.do for a in tm.script.played] == ["revoke_control"]
        assert tm.trace.faults()[0].t == pytest.approx(5.0)
        with pytest.raises(RuntimeError, match="already took effect"):
            tm.trace.anchor(now())
