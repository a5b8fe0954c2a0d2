"""The simulator through bumble's real ATT stack next to the in-process fake backend, in one run.

Three ways to reach the same "home" treadmill through bleak's public API, on a real-time loop:
- fake: `SimulatedClient` (no ATT; it models 30 ms of radio time per request, so its round
  trip shows that model, its CPU figures the code's own cost);
- bumble: the treadmill served by bumble, the central a `BumbleAdapter` on the same LocalLink;
- bumble-tcp: the same behind `retrowalk sim`'s HCI-over-TCP hub on 127.0.0.1 (both ends in this
  process, so the CPU figure counts both hosts and both controllers).
Figures: connect (with discovery) median, control point write -> indication median and p99, CPU
per Treadmill Data notification received at 100 notifications/s.

    .venv/bin/python bench/bench_bumble.py [--rounds 30] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from typing import TYPE_CHECKING

from bleak import BleakClient

from retrowalk.device.bumble_adapter import BumbleAdapter
from retrowalk.device.scan import find_treadmill
from retrowalk.ftms import control_point as cp
from retrowalk.ftms.models import CONTROL_POINT_UUID, TREADMILL_DATA_UUID
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld
from retrowalk_sim.bumble_room import bumble_room, serve_on

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from bleak.backends.device import BLEDevice

NOTIFY_HZ = 100.0


@contextlib.asynccontextmanager
async def _fake() -> AsyncIterator[tuple[BLEDevice, type]]:
    async with SimWorld() as world:
        yield world.add("home", tweaks={"notify_hz": NOTIFY_HZ}).device, SimulatedClient


@contextlib.asynccontextmanager
async def _bumble() -> AsyncIterator[tuple[BLEDevice, type]]:
    async with (
        bumble_room("home", tweaks={"notify_hz": NOTIFY_HZ}) as room,
        BumbleAdapter(device=room.central()) as adapter,
    ):
        device = await find_treadmill(None, via=adapter.scanner_backend)
        yield device, adapter.client_backend


@contextlib.asynccontextmanager
async def _bumble_tcp() -> AsyncIterator[tuple[BLEDevice, type]]:
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    async with asyncio.TaskGroup() as group:
        serving = serve_on(
            "tcp-server:127.0.0.1:0", ready=ready.set_result, tweaks={"notify_hz": NOTIFY_HZ}
        )
        task = group.create_task(serving)
        spec = (await ready).replace("tcp-server:", "tcp-client:")
        try:
            async with BumbleAdapter(spec) as adapter:
                device = await find_treadmill(None, via=adapter.scanner_backend)
                yield device, adapter.client_backend
        finally:
            task.cancel()


async def _measure(name: str, opener: Callable[[], object], rounds: int, seconds: float) -> None:
    connects: list[float] = []
    trips: list[float] = []
    async with opener() as (device, backend):  # type: ignore[attr-defined]
        for _ in range(5):
            client = BleakClient(device, backend=backend)
            start = time.perf_counter()
            await client.connect()
            connects.append(time.perf_counter() - start)
            await client.disconnect()
            await asyncio.sleep(0.1)  # the peripheral advertises again
        async with BleakClient(device, backend=backend) as client:
            answered: asyncio.Queue[bytes] = asyncio.Queue()
            await client.start_notify(CONTROL_POINT_UUID, lambda _c, d: answered.put_nowait(d))
            for _ in range(rounds):
                start = time.perf_counter()
                data = cp.encode_request(cp.request_control())
                await client.write_gatt_char(CONTROL_POINT_UUID, data, response=True)
                await answered.get()
                trips.append(time.perf_counter() - start)
            count = [0]

            def on_data(_char: object, _data: bytearray) -> None:
                count[0] += 1

            await client.start_notify(TREADMILL_DATA_UUID, on_data)
            cpu = time.process_time()
            await asyncio.sleep(seconds)
            cpu = time.process_time() - cpu
    trips.sort()
    p99 = trips[min(len(trips) - 1, int(len(trips) * 0.99))]
    print(
        f"{name:<11} connect {statistics.median(connects) * 1000:7.2f} ms   "
        f"write->indication {statistics.median(trips) * 1000:6.2f} / {p99 * 1000:6.2f} ms   "
        f"CPU per notification {cpu / max(count[0], 1) * 1e6:6.0f} us ({count[0]} received)"
    )


async def _main(rounds: int, seconds: float) -> None:
    for name, opener in (("fake", _fake), ("bumble", _bumble), ("bumble-tcp", _bumble_tcp)):
        await _measure(name, opener, rounds, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    asyncio.run(_main(args.rounds, args.seconds))


if __name__ == "__main__":
    main()
