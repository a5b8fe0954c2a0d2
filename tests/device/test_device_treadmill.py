"""FtmsTreadmill against the simulator through a real BleakClient, in virtual time."""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

import pytest
from bleak import BleakClient
from device_events import collect, is_telemetry, moving_at, not_telemetry

from retrowalk.device.api import LinkLost, LinkRestored, Telemetry, Treadmill
from retrowalk.device.link import ReconnectPolicy
from retrowalk.device.treadmill import FtmsTreadmill
from retrowalk.errors import ConfigError, ControlRejected, DeviceError, Disconnected
from retrowalk.ftms.models import TRAINING_STATUS_UUID, TrainingStatusCode, TreadmillData
from retrowalk.ftms.training_status import decode_training_status
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld
from retrowalk_sim.profiles import PROFILES

if TYPE_CHECKING:
    from sim_target import OpenSim


NEEDS_A_DROP = pytest.mark.simulator_only(
    "needs the link dropped on demand, which only the simulator can do; on a real treadmill, "
    "check reconnects by hand (docs/hardware-tests.md)"
)


def link_up(treadmill: FtmsTreadmill) -> bool:
    """Return whether the link is up (a call, so type narrowing does not stick across awaits)."""
    return treadmill.is_connected


@pytest.mark.parametrize("profile", ["home", "walking-pad", "kingsmith", "split", "data-only"])
async def test_capabilities_are_read_from_the_machine(sim_treadmill: OpenSim, profile: str) -> None:
    """Feature, speed and incline ranges and the control point come from the GATT reads."""
    expected = PROFILES[profile]
    async with sim_treadmill(profile) as (peripheral, treadmill):
        caps = as_protocol(treadmill).capabilities
        assert treadmill.is_connected
        assert caps.address == peripheral.address
        assert caps.speed_range == expected.speed_range
        assert caps.incline_range == expected.incline_range
        assert caps.features == expected.features
        assert caps.has_control_point is expected.has_control_point
        assert caps.can_set_incline is (expected.incline_range is not None and caps.can_set_speed)


async def test_start_and_speed_move_the_belt_and_show_in_telemetry(sim_treadmill: OpenSim) -> None:
    """Request control, start, set 3 km/h: the belt reaches it and records report it."""
    async with sim_treadmill("home") as (peripheral, treadmill):
        events = treadmill.events()
        await treadmill.request_control()
        await treadmill.start()
        assert await treadmill.set_speed(3.0) == 3.0
        await collect(events, moving_at(3.0))
        assert peripheral.model.speed_kmh == pytest.approx(3.0)
        assert peripheral.model.control_point_log == [b"\x00", b"\x07", b"\x02\x2c\x01"]


async def test_command_without_control_requests_it_and_retries_once(sim_treadmill: OpenSim) -> None:
    """On 0x05 the device requests control once and repeats the command: 07, 00, 07."""
    async with sim_treadmill("home") as (peripheral, treadmill):
        await treadmill.start()
        assert peripheral.model.control_point_log == [b"\x07", b"\x00", b"\x07"]
        assert peripheral.model.control_granted


async def test_indication_inside_the_write_completes_at_once(
    sim_treadmill: OpenSim,
) -> None:
    """The simulator answers inside the write: the procedure completes at once, no timeout."""
    async with sim_treadmill("home") as (_peripheral, treadmill):
        loop = asyncio.get_running_loop()
        began = loop.time()
        await treadmill.request_control()
        await treadmill.set_incline(2.0)
        assert loop.time() - began < 0.5


async def test_refusal_raises_control_rejected_with_op_and_result(sim_treadmill: OpenSim) -> None:
    """A 0x04 answer raises ControlRejected naming the op and the result code."""
    async with sim_treadmill("home") as (peripheral, treadmill):
        await treadmill.request_control()
        peripheral.model.reject_next(1, 0x04)
        with pytest.raises(ControlRejected) as caught:
            await treadmill.stop()
        assert caught.value.op == "Stop"
        assert caught.value.result_code == 0x04
        assert caught.value.result == "operation failed (0x04)"


async def test_walking_pad_targets_are_quantised_and_clamped(sim_treadmill: OpenSim) -> None:
    """On a 1-6 km/h pad with 0.5 steps, 2.7 is sent as 2.5 and 9 as 6.0."""
    async with sim_treadmill("walking-pad") as (peripheral, treadmill):
        await treadmill.request_control()
        await treadmill.start()
        assert await treadmill.set_speed(2.7) == 2.5
        assert peripheral.model.control_point_log[-1] == b"\x02" + (250).to_bytes(2, "little")
        assert await treadmill.set_speed(9.0) == 6.0
        assert await treadmill.set_speed(0.2) == 1.0
        assert peripheral.model.control_point_log[-2:] == [
            b"\x02" + (600).to_bytes(2, "little"),
            b"\x02" + (100).to_bytes(2, "little"),
        ]


async def test_quantisation_uses_the_home_ranges(sim_treadmill: OpenSim) -> None:
    """On a home treadmill speed rounds to 0.1 km/h (1.15 -> 1.2) and incline to 1 %."""
    async with sim_treadmill("home") as (_peripheral, treadmill):
        assert treadmill.quantize_speed(1.15) == pytest.approx(1.2)
        assert treadmill.quantize_speed(25) == pytest.approx(20.0)
        assert treadmill.quantize_speed(0) == 0.0
        assert treadmill.quantize_incline(2.4) == pytest.approx(2.0)
        assert treadmill.quantize_incline(-5) == pytest.approx(0.0)
        with pytest.raises(ConfigError):
            treadmill.quantize_speed(float("nan"))


async def test_split_records_are_merged_into_whole_ones(sim_treadmill: OpenSim) -> None:
    """A machine splitting every record still yields records with speed and the other fields."""
    async with sim_treadmill("split") as (_peripheral, treadmill):
        events = treadmill.events()
        await treadmill.request_control()
        await treadmill.start()
        await treadmill.set_speed(2.0)
        seen = await collect(events, moving_at(2.0))
        telemetry = seen[-1]
        assert isinstance(telemetry, Telemetry)
        record = telemetry.record
        assert record is not None
        assert record.speed_kmh == pytest.approx(2.0)
        assert record.total_distance_m is not None
        assert record.elapsed_time_s is not None
        assert record.power_output_w is not None
        assert treadmill.decode_errors == 0


async def test_truncated_records_are_decoded_and_marked(sim_treadmill: OpenSim) -> None:
    """Records cut to 20 bytes still carry speed, are marked truncated, and do not crash."""
    async with sim_treadmill("truncating") as (_peripheral, treadmill):
        events = treadmill.events()
        await treadmill.request_control()
        await treadmill.start()
        await treadmill.set_speed(2.5)
        seen = await collect(events, moving_at(2.5))
        records = [e.record for e in seen if isinstance(e, Telemetry)]
        assert records
        assert all(r is not None and r.truncated for r in records)
        assert treadmill.decode_errors == 0


async def test_a_lone_part_is_delivered_after_the_max_age(sim_treadmill: OpenSim) -> None:
    """A More-Data part whose rest never comes is flushed after max age, not held forever."""
    async with sim_treadmill("home", assembler_max_age_s=1.0) as (peripheral, treadmill):
        events = treadmill.events()
        peripheral.model.stall_notifications(30)
        loop = asyncio.get_running_loop()
        began = loop.time()
        # Flags 0x0005: More Data (no speed) + Total Distance 16 m.
        peripheral.model.send_garbage(bytes([0x05, 0x00, 0x10, 0x00, 0x00]))
        seen = await collect(events, is_telemetry)
        telemetry = seen[-1]
        assert telemetry == Telemetry(speed_kmh=None, incline_pct=None, heart_rate_bpm=None)
        assert isinstance(telemetry, Telemetry)
        assert telemetry.record == TreadmillData(total_distance_m=16)
        assert loop.time() - began == pytest.approx(1.0)


async def test_garbage_is_counted_and_the_stream_goes_on(sim_treadmill: OpenSim) -> None:
    """Undecodable notifications are skipped and counted; records keep coming."""
    async with sim_treadmill("home") as (peripheral, treadmill):
        events = treadmill.events()
        peripheral.model.send_garbage()
        peripheral.model.send_garbage(b"")
        await collect(events, is_telemetry)
        assert treadmill.decode_errors == 2


async def test_training_status_is_decoded_without_breaking_the_stream(
    sim_treadmill: OpenSim,
) -> None:
    """Training Status (pre-workout, manual mode) decodes cleanly and publishes nothing."""
    async with sim_treadmill("home", record_traffic=True) as (peripheral, treadmill):
        events = treadmill.events()
        await treadmill.start()
        await treadmill.set_speed(2.0)
        seen = await collect(events, moving_at(2.0))
        sent = [data for _t, uuid, data in peripheral.model.sent if uuid == TRAINING_STATUS_UUID]
        codes = [decode_training_status(data).status for data in sent]
        assert codes == [TrainingStatusCode.PRE_WORKOUT, TrainingStatusCode.MANUAL_MODE]
        assert treadmill.decode_errors == 0
        assert [e for e in seen if not_telemetry(e)] == []  # neither published nor an echo


def as_protocol(treadmill: FtmsTreadmill) -> Treadmill:
    """Return the treadmill as the engine sees it (mypy checks the Protocol is implemented)."""
    return treadmill


@NEEDS_A_DROP
async def test_reconnect_after_a_drop_never_restores_motion(sim_treadmill: OpenSim) -> None:
    """After a dropped link: LinkLost, LinkRestored, ranges re-read, and no control write."""
    rng = random.Random(1)  # noqa: S311 - reconnect jitter in a test
    tweaks: dict[str, object] = {"stop_on_disconnect": True}
    async with sim_treadmill("home", tweaks=tweaks, rng=rng) as (peripheral, treadmill):
        events = treadmill.events()
        await treadmill.start()
        await treadmill.set_speed(3.0)
        await collect(events, moving_at(3.0))
        writes_before = list(peripheral.model.control_point_log)
        loop = asyncio.get_running_loop()
        dropped_at = loop.time()
        peripheral.model.drop_link(refuse_s=3.0)
        lost = await collect(events, lambda e: isinstance(e, LinkLost))
        assert isinstance(lost[-1], LinkLost)
        assert not link_up(treadmill)
        with pytest.raises(Disconnected):
            await treadmill.start()
        restored = await collect(events, lambda e: isinstance(e, LinkRestored))
        assert isinstance(restored[-1], LinkRestored)
        assert loop.time() - dropped_at >= 3.0 - 1e-9  # not before the machine accepted again
        assert treadmill.is_connected
        assert treadmill.capabilities.speed_range == PROFILES["home"].speed_range
        await collect(events, moving_at(0.0))
        await asyncio.sleep(10)
        # The machine stopped when the link dropped; nothing started it again.
        assert peripheral.model.control_point_log == writes_before
        assert not peripheral.model.belt_running
        assert treadmill.reconnects == 1


@NEEDS_A_DROP
async def test_commands_work_again_after_reconnect(sim_treadmill: OpenSim) -> None:
    """After LinkRestored, the next command re-requests control (0x05) and succeeds."""
    rng = random.Random(2)  # noqa: S311 - reconnect jitter in a test
    async with sim_treadmill("home", rng=rng) as (peripheral, treadmill):
        events = treadmill.events()
        await treadmill.request_control()
        peripheral.model.drop_link()
        await collect(events, lambda e: isinstance(e, LinkRestored))
        await treadmill.start()
        assert peripheral.model.control_point_log[-3:] == [b"\x07", b"\x00", b"\x07"]


async def test_data_only_machine_advises_coach_mode(
    sim_treadmill: OpenSim,
) -> None:
    """Without a control point, telemetry flows and control says to use coach mode."""
    async with sim_treadmill("data-only") as (_peripheral, treadmill):
        events = treadmill.events()
        await collect(events, is_telemetry)
        with pytest.raises(DeviceError, match="coach mode"):
            await treadmill.set_speed(3.0)
        with pytest.raises(DeviceError, match="coach mode"):
            await treadmill.start()


async def test_treadmill_is_single_use(sim_treadmill: OpenSim) -> None:
    """A second `async with` on the same treadmill fails clearly; events end on close."""
    async with sim_treadmill("home") as (_peripheral, treadmill):
        events = treadmill.events()
    async with asyncio.timeout(1):  # the iterator ends instead of waiting forever
        leftovers = [e async for e in events]
    assert all(not isinstance(e, LinkLost) for e in leftovers)
    with pytest.raises(RuntimeError, match="single-use"):
        async with treadmill:
            pass


def test_control_timeout_beyond_thirty_seconds_is_refused() -> None:
    """The control timeout is configurable up to the FTMS limit of 30 s, no further."""
    client = BleakClient("00:00:00:00:00:00", backend=SimulatedClient)
    with pytest.raises(ConfigError, match="30"):
        FtmsTreadmill(client, control_timeout_s=31)
    assert FtmsTreadmill(client, control_timeout_s=30).control_timeout_s == 30


@NEEDS_A_DROP
async def test_reconnect_gives_up_after_max_attempts(sim_treadmill: OpenSim) -> None:
    """With max_attempts, a machine that never comes back ends the stream with Disconnected."""
    policy = ReconnectPolicy(
        initial_delay_s=0.5, max_delay_s=2.0, connect_timeout_s=1.0, max_attempts=3
    )
    async with sim_treadmill("home", reconnect=policy) as (peripheral, treadmill):
        events = treadmill.events()
        peripheral.model.drop_link(refuse_s=1000.0)
        with pytest.raises(Disconnected, match="gave up reconnecting after 3 attempts"):
            await collect(events, lambda _e: False, timeout_s=60)
        assert not treadmill.is_connected


def test_reconnect_policy_backoff_grows_and_is_capped() -> None:
    """Delays double from the initial delay up to the cap, scaled down by at most the jitter."""
    policy = ReconnectPolicy(initial_delay_s=0.5, max_delay_s=8.0, jitter=0.25)
    rng = random.Random(3)  # noqa: S311 - jitter in a test
    delays = [policy.delay_s(n, rng) for n in range(1, 9)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(8.0, 0.5 * 2 ** (n - 1))
        assert 0.75 * ceiling <= delay <= ceiling
    with pytest.raises(ConfigError):
        ReconnectPolicy(initial_delay_s=0)


@NEEDS_A_DROP
async def test_a_link_dropping_at_any_moment_of_the_connection_is_one_clear_error() -> None:
    """Dropped while connecting or while reading what the machine is: Disconnected, never raw.

    The moment sweeps the connect (250 ms) and the setup after it (subscriptions, ranges,
    Device Information); every outcome is a working treadmill or Disconnected, and a failed
    attempt leaves nothing written to the machine.
    """
    setup_failures = 0
    for tenth_ms in range(0, 6000, 125):
        world = SimWorld()
        peripheral = world.add("home")
        async with world:
            loop = asyncio.get_running_loop()
            loop.call_later(tenth_ms / 10_000, peripheral.model.drop_link)
            client = BleakClient(peripheral.device, backend=SimulatedClient)
            try:
                async with FtmsTreadmill(client) as treadmill:
                    assert treadmill.capabilities.speed_range is not None
            except Disconnected as exc:
                setup_failures += "while reading what the treadmill is" in str(exc)
            assert peripheral.model.control_point_log == []
    assert setup_failures >= 3  # the sweep did land inside the setup, not only in the connect
