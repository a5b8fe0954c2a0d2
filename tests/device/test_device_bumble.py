"""The device layer through a real ATT/GATT stack: bumble's host on both sides of a virtual link.

The treadmill is the simulator served by bumble (retrowalk_sim.bumble_room); the device layer is
unchanged and reaches it through `BumbleAdapter`'s bleak backends, in virtual time.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import pytest
from bleak.exc import BleakDeviceNotFoundError
from sim_target import BACKENDS, open_sim

from retrowalk.device.api import LinkLost, LinkRestored
from retrowalk.device.bumble_adapter import BumbleAdapter
from retrowalk.device.link import ReconnectPolicy
from retrowalk.device.scan import find_treadmill
from retrowalk.device.treadmill import FtmsTreadmill
from retrowalk.errors import ControlRejected, ControlTimeout, Disconnected
from retrowalk_sim.bumble_room import Room, bumble_room

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from retrowalk_sim.bumble_server import ServerEvent

ONE_TRY = ReconnectPolicy(initial_delay_s=0.5, max_attempts=1, connect_timeout_s=2.0)


@contextlib.asynccontextmanager
async def _over_bumble(
    events: list[ServerEvent] | None = None,
) -> AsyncIterator[tuple[Room, BumbleAdapter]]:
    async with (
        bumble_room("home", trace=True, on_event=None if events is None else events.append) as room,
        BumbleAdapter(device=room.central()) as adapter,
    ):
        yield room, adapter


async def _treadmill(adapter: BumbleAdapter, **options: object) -> FtmsTreadmill:
    device = await find_treadmill("RW Home Treadmill", via=adapter.scanner_backend)
    return FtmsTreadmill.from_device(device, backend=adapter.client_backend, **options)  # type: ignore[arg-type]


async def test_a_session_runs_through_bumble_and_the_belt_does_what_was_asked() -> None:
    """Request control, start, a speed change and stop over ATT move the simulated belt."""
    async with _over_bumble() as (room, adapter):
        async with await _treadmill(adapter) as treadmill:
            loop = asyncio.get_running_loop()
            assert treadmill.capabilities.name == "RW Home Treadmill"
            assert treadmill.capabilities.speed_range is not None
            await treadmill.request_control()
            await treadmill.start()
            await asyncio.sleep(5.0)
            sent = await treadmill.set_speed(3.0)
            await asyncio.sleep(5.0)
            running_at = loop.time()
            await treadmill.stop()
            await asyncio.sleep(6.0)
            stopped_at = loop.time()
        trace = room.model.trace
        assert trace is not None
        origin = trace.origin  # the session clock started at the connection
        assert origin is not None
        assert sent == 3.0
        assert trace.belt_kmh_at(running_at - origin) == pytest.approx(3.0)
        assert trace.belt_kmh_at(stopped_at - origin) == 0.0
        assert [w.data for w in trace.writes()] == [b"\x00", b"\x07", b"\x02\x2c\x01", b"\x08\x01"]
        assert all(w.answer is not None and w.answer[2] == 0x01 for w in trace.writes())


async def test_a_link_lost_mid_write_is_a_typed_disconnect() -> None:
    """The link times out while a speed write is in flight: Disconnected, not a hang or a leak."""
    events: list[ServerEvent] = []
    async with _over_bumble(events) as (room, adapter):
        treadmill = await _treadmill(adapter, reconnect=ONE_TRY)
        async with treadmill:
            await treadmill.request_control()
            await treadmill.start()
            await asyncio.sleep(3.0)

            def vanish_on_speed(event: ServerEvent) -> None:
                if event.kind == "write" and event.data[:1] == b"\x02":
                    room.controller.time_out_links()  # inside the write: before its ATT response

            room.served.on_event = vanish_on_speed
            with pytest.raises(Disconnected):
                await treadmill.set_speed(3.0)
            assert not treadmill.is_connected
    assert room.model.control_point_log[-1] == b"\x02\x2c\x01"  # the write reached the machine


async def test_a_connect_to_nobody_times_out_and_the_next_connect_works() -> None:
    """A connect that finds no peer ends in BleakDeviceNotFoundError; the host is not stuck."""
    from bleak import BleakClient  # noqa: PLC0415 - only here

    async with _over_bumble() as (_room, adapter):
        nobody = BleakClient("F0:00:00:00:00:99", backend=adapter.client_backend, timeout=1.0)
        with pytest.raises(BleakDeviceNotFoundError):
            await nobody.connect()
        async with await _treadmill(adapter) as treadmill:
            assert treadmill.is_connected


async def test_a_connect_cancelled_from_outside_leaves_the_host_able_to_connect() -> None:
    """A connect cut short by the caller (a reconnect's deadline, Ctrl-C) is withdrawn.

    Otherwise the controller keeps the attempt and refuses every later connect.
    """
    from bleak import BleakClient  # noqa: PLC0415 - only here

    async with _over_bumble() as (_room, adapter):
        nobody = BleakClient("F0:00:00:00:00:99", backend=adapter.client_backend, timeout=10.0)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):  # the caller gives up before bleak or bumble does
                await nobody.connect()
        async with await _treadmill(adapter) as treadmill:
            assert treadmill.is_connected


async def test_a_link_that_times_out_is_reported_and_restored() -> None:
    """A supervision timeout while idle: LinkLost, then the device layer reconnects over bumble."""
    async with _over_bumble() as (room, adapter):
        async with await _treadmill(adapter) as treadmill:
            seen: list[object] = []
            room.controller.time_out_links()
            async with asyncio.timeout(30.0):
                async for event in treadmill.events():
                    if isinstance(event, (LinkLost, LinkRestored)):
                        seen.append(event)
                    if isinstance(event, LinkRestored):
                        break
            assert [type(e) for e in seen] == [LinkLost, LinkRestored]
            assert treadmill.is_connected
            await treadmill.request_control()  # the new link works
        assert room.model.control_point_log[-1] == b"\x00"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_refused_procedure_is_control_rejected_on_both_backends(backend: str) -> None:
    """The machine answers 0x04: ControlRejected with that code, through either stack."""
    async with open_sim(backend) as (target, treadmill):
        model = target.model
        await treadmill.request_control()
        model.reject_next(1, 0x04)
        with pytest.raises(ControlRejected) as refused:
            await treadmill.start()
    assert refused.value.result_code == 0x04
    assert model.control_point_log[-1] == b"\x07"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_unanswered_procedure_is_control_timeout_on_both_backends(backend: str) -> None:
    """The machine takes the write and never indicates: ControlTimeout, through either stack."""
    async with open_sim(backend) as (target, treadmill):
        model = target.model
        await treadmill.request_control()
        model.mute_control_point()
        with pytest.raises(ControlTimeout):
            await treadmill.set_speed(3.0)
        model.mute_control_point(on=False)
    assert model.control_point_log[-1] == b"\x02\x2c\x01"


async def test_cancelling_a_write_cancels_and_a_drop_during_a_read_is_a_bleak_error() -> None:
    """A caller's own cancellation propagates; a read cut off by the link is a BleakError."""
    from bleak import BleakClient  # noqa: PLC0415 - only here
    from bleak.exc import BleakError  # noqa: PLC0415

    from retrowalk.ftms.models import CONTROL_POINT_UUID, FEATURE_UUID  # noqa: PLC0415

    async with _over_bumble() as (room, adapter):
        device = await find_treadmill(None, via=adapter.scanner_backend)
        async with BleakClient(device, backend=adapter.client_backend) as client:
            await client.start_notify(CONTROL_POINT_UUID, lambda _c, _d: None)
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0):
                    await client.write_gatt_char(CONTROL_POINT_UUID, b"\x00", response=True)
            assert client.is_connected  # a cancelled call leaves the link as it was
            read = asyncio.ensure_future(client.read_gatt_char(FEATURE_UUID))
            await asyncio.sleep(0)  # the read request is on its way
            room.controller.time_out_links()
            with pytest.raises(BleakError, match="link dropped"):
                await read


async def test_a_cancel_landing_with_bumbles_answer_still_cancels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A write whose answer and cancel land together ends cancelled (never a lost cancel).

    bumble awaits ATT answers with `asyncio.wait_for`, which on Python 3.11 returns an answer
    that lands in the same loop pass as a cancel and drops the cancel; the TaskGroup that
    cancelled the write (Ctrl-C mid-run) then waited forever.
    """
    from bleak import BleakClient  # noqa: PLC0415 - only here
    from bumble.device import Peer  # noqa: PLC0415

    from retrowalk.ftms.models import CONTROL_POINT_UUID  # noqa: PLC0415

    async def answered_with_the_cancel(_peer: Peer, *_args: object, **_kw: object) -> None:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[None] = loop.create_future()
        me = asyncio.current_task()
        assert me is not None

        def both() -> None:  # the answer and the cancel in one pass, as seen mid-run
            answer.set_result(None)
            me.cancel()

        loop.call_soon(both)
        return await asyncio.wait_for(answer, 10.0)

    async with _over_bumble() as (_room, adapter):
        device = await find_treadmill(None, via=adapter.scanner_backend)
        async with BleakClient(device, backend=adapter.client_backend) as client:
            monkeypatch.setattr(Peer, "write_value", answered_with_the_cancel)
            write = asyncio.ensure_future(
                client.write_gatt_char(CONTROL_POINT_UUID, b"\x00", response=True)
            )
            await asyncio.wait([write])
            assert write.cancelled()
