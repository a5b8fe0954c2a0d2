"""Simulator cost: simulated seconds per wall second at 4 notifications a second.

Each treadmill runs the "home" profile at 4 Hz with a BleakClient (SimulatedClient) subscribed
to every characteristic, walking at a speed that changes every 30 s (so records change and are
re-encoded), on the virtual-time loop. Target on one core: 10,000 simulated s per wall second.

    .venv/bin/python bench/bench_sim.py [--seconds 20000] [--treadmills 1 10]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bleak import BleakClient

from retrowalk.engine.clock import VirtualTimeEventLoop
from retrowalk.ftms import control_point as cp
from retrowalk.ftms.models import (
    CONTROL_POINT_UUID,
    STATUS_UUID,
    TRAINING_STATUS_UUID,
    TREADMILL_DATA_UUID,
)
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld

TARGET = 10_000.0


async def _drive(client: BleakClient, seconds: float, counter: list[int]) -> None:
    def on_data(_char: object, _data: bytearray) -> None:
        counter[0] += 1

    for uuid in (TREADMILL_DATA_UUID, STATUS_UUID, TRAINING_STATUS_UUID, CONTROL_POINT_UUID):
        await client.start_notify(uuid, on_data)
    for request in (cp.request_control(), cp.start_or_resume()):
        await client.write_gatt_char(CONTROL_POINT_UUID, cp.encode_request(request), response=True)
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    speed = 3.0
    while loop.time() < end:
        speed = 3.0 if speed > 4.0 else speed + 0.5
        data = cp.encode_request(cp.set_target_speed(speed))
        await client.write_gatt_char(CONTROL_POINT_UUID, data, response=True)
        await asyncio.sleep(min(30.0, end - loop.time()))


async def _session(treadmills: int, seconds: float, profile: str) -> int:
    counter = [0]
    async with SimWorld() as world:
        peripherals = [world.add(profile, tweaks={"notify_hz": 4.0}) for _ in range(treadmills)]
        clients = [BleakClient(p.device, backend=SimulatedClient) for p in peripherals]
        for client in clients:
            await client.connect()
        try:
            async with asyncio.TaskGroup() as group:
                for client in clients:
                    group.create_task(_drive(client, seconds, counter))
        finally:
            for client in clients:
                await client.disconnect()
    return counter[0]


def measure(treadmills: int, seconds: float, profile: str = "home") -> tuple[float, float, int]:
    """Return simulated treadmill-seconds per CPU second and per wall second, and notifications.

    CPU time (this process) is the figure to compare with the target: on the shared cores here
    other processes inflate wall time.
    """
    loop = VirtualTimeEventLoop()
    try:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        delivered = loop.run_until_complete(_session(treadmills, seconds, profile))
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    finally:
        loop.close()
    simulated = treadmills * seconds
    return simulated / cpu, simulated / wall, delivered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20_000.0)
    parser.add_argument("--treadmills", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--profile", default="home")
    args = parser.parse_args()
    for count in args.treadmills:
        rate, wall_rate, delivered = measure(count, args.seconds / count, args.profile)
        verdict = "ok" if rate >= TARGET else "BELOW TARGET"
        print(
            f"simulator ({args.profile}, {count} treadmill{'s' if count > 1 else ''}, 4 Hz): "
            f"{rate:,.0f} simulated treadmill-seconds per CPU second "
            f"({wall_rate:,.0f} per wall second; {delivered:,} notifications; "
            f"target {TARGET:,.0f}: {verdict})"
        )


if __name__ == "__main__":
    main()
