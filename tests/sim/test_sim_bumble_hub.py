"""The simulator behind HCI over TCP: each client its own controller, a killed one never sticks.

Real sockets on 127.0.0.1, so these run on a real-time loop (the stack's own waits: about 20 ms
advertising intervals, no sleeps of the tests' own).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import pytest
from bleak import BleakClient
from bumble.device import Device
from bumble.hci import Address
from bumble.transport import open_transport

from retrowalk.device.bumble_adapter import BumbleAdapter
from retrowalk.device.scan import find_treadmill
from retrowalk.errors import DeviceNotFound
from retrowalk_sim.bumble_room import SIM_ADDRESS, serve_on

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from retrowalk_sim.bumble_server import ServerEvent

pytestmark = pytest.mark.realtime
WAIT_S = 10.0


@contextlib.asynccontextmanager
async def _served(events: _Heard) -> AsyncIterator[str]:
    """Serve the treadmill on a free port; yield the spec a client dials."""
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve_on("tcp-server:127.0.0.1:0", on_event=events, ready=ready.set_result),
        name="retrowalk-sim-serve",
    )
    try:
        spec = await asyncio.wait_for(ready, WAIT_S)
        yield spec.replace("tcp-server:", "tcp-client:")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class _Heard:
    """What the served treadmill reported, and a way to wait for the next of a kind."""

    def __init__(self) -> None:
        self.seen: list[ServerEvent] = []
        self.queue: asyncio.Queue[ServerEvent] = asyncio.Queue()

    def __call__(self, event: ServerEvent) -> None:
        self.seen.append(event)
        self.queue.put_nowait(event)

    async def next(self, kind: str) -> ServerEvent:
        async with asyncio.timeout(WAIT_S):
            while (event := await self.queue.get()).kind != kind:
                pass
        return event


async def test_a_killed_client_frees_the_treadmill_for_the_next() -> None:
    """A host whose socket dies mid-link is dropped (0x08) and the treadmill advertises again."""
    events = _Heard()
    async with _served(events) as spec:
        transport = await open_transport(spec)
        try:
            doomed = Device.with_hci(
                "doomed", Address("C0:00:00:00:00:42"), transport.source, transport.sink
            )
            await doomed.power_on()
            await doomed.connect(Address(SIM_ADDRESS), timeout=WAIT_S)
            await events.next("connected")
        finally:
            await transport.close()  # what a killed process leaves: the socket closes
        lost = await events.next("disconnected")
        async with BumbleAdapter(spec) as adapter:
            device = await find_treadmill(None, via=adapter.scanner_backend, timeout_s=WAIT_S)
            async with BleakClient(device, backend=adapter.client_backend) as client:
                assert client.is_connected
    assert lost.reason == 0x08  # a supervision timeout, as a real radio reports it
    assert [e.kind for e in events.seen].count("connected") == 2


async def test_a_second_client_is_its_own_host_and_sees_the_treadmill_busy() -> None:
    """While one host holds the link, another scanning finds no advertisement to connect to."""
    async with _served(_Heard()) as spec, BumbleAdapter(spec) as first:
        device = await find_treadmill(None, via=first.scanner_backend, timeout_s=WAIT_S)
        async with (
            BleakClient(device, backend=first.client_backend),
            BumbleAdapter(spec) as second,
        ):
            with pytest.raises(DeviceNotFound):
                await find_treadmill(None, via=second.scanner_backend, timeout_s=0.5)
