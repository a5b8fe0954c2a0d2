"""MQTT sink cost: CPU per published message, snapshot latency, an emergency stop in a flood.

Run: .venv/bin/python bench/bench_mqtt.py [--events N] [--snapshots N] [--rate HZ] [--floods N]
Starts mosquitto on a free loopback port (needs /usr/sbin/mosquitto), then:
1. CPU: the sink publishes N events (QoS 1, each acknowledged) while `mosquitto_sub` (another
   process) counts them; prints this process's CPU time per message and the message rate.
2. Latency: snapshots published on the Bus at HZ (state throttle off), received by an aiomqtt
   subscriber in this process; prints p50/p99/max from Bus.publish to the subscriber's receipt.
   In normal use the state is throttled to once a second (and sent at once on a state change),
   which adds up to 1 s to a snapshot that is not a state change, by design.
3. Flood: another process (paho) publishes 4,000 junk commands (QoS 0) with one emergency stop
   (QoS 1) in the middle to the sink's command topic, N times; prints p50/p99/max from the stop's
   publish call to the moment the engine's submit gets it (CLOCK_MONOTONIC in both processes),
   and how many of the N stops arrived.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import aiomqtt

from retrowalk.engine import events as ev
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandKind, CommandResult
from retrowalk.engine.events import EngineState, Finished, Snapshot
from retrowalk.sinks.mqtt.settings import MqttSettings
from retrowalk.sinks.mqtt.sink import run_mqtt
from retrowalk.workout.plan import Direction, Plan, PlanTotals

if TYPE_CHECKING:
    from collections.abc import Iterator


MOSQUITTO = "/usr/sbin/mosquitto"


# A subscriber in another process (so its CPU is not counted): exits after N events.
COUNTER = """
import asyncio, sys, aiomqtt
async def main():
    async with aiomqtt.Client("127.0.0.1", int(sys.argv[1])) as c:
        await c.subscribe("retrowalk/bench/event", qos=1)
        print("subscribed", flush=True)
        n = 0
        async for _ in c.messages:
            n += 1
            if n >= int(sys.argv[2]):
                return
asyncio.run(main())
"""


# A controller flooding the command topic from another process: prints when it sent the stop.
FLOODER = """
import sys, time
import paho.mqtt.client as mqtt
port, count = int(sys.argv[1]), int(sys.argv[2])
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
c.max_queued_messages_set(0)
c.max_inflight_messages_set(0)
c.connect("127.0.0.1", port)
c.loop(1.0)
sent = 0.0
for n in range(count):
    if n == count // 2:
        sent = time.monotonic()
        c.publish("retrowalk/flood/cmd", b'{"command": "emergency_stop", "id": "stop"}', qos=1)
    else:
        junk = b'{"command": "pause", "id": "j%d"}' % n if n % 2 else b"{junk"
        c.publish("retrowalk/flood/cmd", junk, qos=0)
for _ in range(40):
    c.loop(0.05)
c.disconnect()
print(sent, flush=True)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _mosquitto(directory: Path) -> Iterator[int]:
    port = _free_port()
    config = directory / "mosquitto.conf"
    # set_tcp_nodelay: the broker-to-subscriber leg would otherwise add Nagle delays too.
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous true", "set_tcp_nodelay true"]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    process = subprocess.Popen(  # noqa: S603 - fixed argv: the broker and our own config
        [MOSQUITTO, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 5
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("mosquitto did not start")
            time.sleep(0.01)
        yield port
    finally:
        process.terminate()
        process.wait()


def _plan() -> Plan:
    totals = PlanTotals(
        duration_s=60.0,
        duration_with_turns_s=60.0,
        backward_s=0.0,
        turns=0,
        distance_m=0.0,
        energy_kcal=0.0,
        body_mass_kg=70.0,
        body_mass_is_default=True,
    )
    return Plan("bench", "bench.yaml", "standard", 0.0, (), (), totals)


def _snapshot(t: float) -> Snapshot:
    return Snapshot(
        t=t, state=EngineState.RUNNING, step_index=3, step_count=12,
        direction=Direction.BACKWARD, label="easy back", target_speed_kmh=2.0,
        target_incline_pct=0.0, actual_speed_kmh=1.98, actual_incline_pct=0.0,
        step_elapsed_s=42.5, step_remaining_s=77.5, step_remaining_m=None,
        workout_elapsed_s=t, workout_remaining_s=1487.5, distance_m=402.1, energy_kcal=21.3,
        heart_rate_bpm=104, hold_cause=None, hold_advice=None, turn_phase=None,
        turn_remaining_s=None, coach_mode=False, next_direction=Direction.FORWARD,
        next_speed_kmh=4.5, next_incline_pct=1.0, next_label=None,
    )  # fmt: skip


async def _refuse(command: Command) -> CommandResult:
    raise RuntimeError(command)


async def bench_cpu(port: int, events: int) -> None:
    """Publish `events` events through the sink; report CPU per message and the rate."""
    settings = MqttSettings.from_url(
        f"mqtt://127.0.0.1:{port}", treadmill_id="bench", event_buffer=events + 10
    )
    counter = await asyncio.create_subprocess_exec(
        sys.executable, "-c", COUNTER, str(port), str(events), stdout=asyncio.subprocess.PIPE
    )
    assert counter.stdout is not None
    await counter.stdout.readline()  # "subscribed"
    bus = Bus()
    channel = bus.subscribe("mqtt", snapshots="all")
    cpu0, wall0 = time.process_time(), time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        tg.create_task(run_mqtt(settings, channel, _refuse, plan=_plan()))
        for n in range(events - 1):
            bus.publish(ev.Notice(t=float(n), message="bench event with a typical length"))
        bus.publish(Finished(t=1.0, elapsed_s=1, distance_m=1, energy_kcal=1,
                             steps_completed=1, steps_skipped=0, belt_stopped=True))  # fmt: skip
        bus.close()
        await counter.wait()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(
        f"events (QoS 1): {events} in {wall:.2f} s = {events / wall:,.0f}/s; "
        f"CPU {cpu / events * 1e6:.0f} us per message ({cpu:.2f} s total, sink process only)"
    )


async def bench_latency(port: int, snapshots: int, rate_hz: float) -> None:
    """Publish snapshots at `rate_hz`; report Bus.publish -> subscriber latency percentiles."""
    settings = MqttSettings.from_url(
        f"mqtt://127.0.0.1:{port}", treadmill_id="lat", state_interval_s=1e-6
    )
    sent: dict[float, float] = {}
    latencies: list[float] = []
    bus = Bus()
    channel = bus.subscribe("mqtt")
    async with aiomqtt.Client("127.0.0.1", port) as sub:
        await sub.subscribe("retrowalk/lat/state")

        async def receive() -> None:
            import json  # noqa: PLC0415 - bench-local

            async for message in sub.messages:
                got = time.perf_counter()
                t = json.loads(bytes(message.payload))["t"]
                if t in sent:
                    latencies.append(got - sent.pop(t))
                    if len(latencies) >= snapshots:
                        return

        async with asyncio.TaskGroup() as tg:
            tg.create_task(run_mqtt(settings, channel, _refuse, plan=_plan()))
            receiver = tg.create_task(receive())
            await asyncio.sleep(0.5)  # connected and subscribed
            loop = asyncio.get_running_loop()
            deadline = loop.time()
            n = 0
            while not receiver.done():
                n += 1
                t = float(n)
                sent[t] = time.perf_counter()
                bus.publish(dataclasses.replace(_snapshot(t)))
                deadline += 1 / rate_hz
                await asyncio.sleep(max(0.0, deadline - loop.time()))
                if n > snapshots * 3:
                    receiver.cancel()
            bus.close()
    ms = sorted(x * 1000 for x in latencies)
    if not ms:
        print("latency: no snapshot received")
        return
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(
        f"snapshot -> subscriber ({len(ms)} at {rate_hz:g} Hz, QoS 0 retained): "
        f"p50 {statistics.median(ms):.2f} ms, p99 {p99:.2f} ms, max {ms[-1]:.2f} ms"
    )


class _StopClock:
    """An engine stand-in that notes when the first emergency stop reaches it."""

    def __init__(self) -> None:
        self.at: float | None = None
        self.arrived = asyncio.Event()

    async def submit(self, command: Command) -> CommandResult:
        if command.kind is CommandKind.EMERGENCY_STOP and self.at is None:
            self.at = time.monotonic()
            self.arrived.set()
        return CommandResult(command, accepted=False, reason="bench")


async def bench_flood(port: int, floods: int, count: int = 4000) -> None:
    """An emergency stop amid `count` junk commands, `floods` times: publish to engine latency."""
    latencies: list[float] = []
    for _ in range(floods):
        engine = _StopClock()
        settings = MqttSettings.from_url(
            f"mqtt://127.0.0.1:{port}", treadmill_id="flood", final_flush_s=0.2
        )
        bus = Bus()
        channel = bus.subscribe("mqtt")
        async with asyncio.TaskGroup() as tg:
            tg.create_task(run_mqtt(settings, channel, engine.submit, plan=_plan()))
            await asyncio.sleep(0.5)  # connected and subscribed
            flooder = await asyncio.create_subprocess_exec(
                sys.executable, "-c", FLOODER, str(port), str(count), stdout=asyncio.subprocess.PIPE
            )
            out, _ = await flooder.communicate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(engine.arrived.wait(), 10)
            if engine.at is not None:
                latencies.append(engine.at - float(out))
            bus.close()
    ms = sorted(x * 1000 for x in latencies)
    if not ms:
        print(f"emergency stop in a flood: none of {floods} arrived")
        return
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(
        f"emergency stop amid {count:,} junk commands ({len(ms)} of {floods} arrived): "
        f"p50 {statistics.median(ms):.0f} ms, p99 {p99:.0f} ms, max {ms[-1]:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--snapshots", type=int, default=400)
    parser.add_argument("--rate", type=float, default=50.0, help="snapshots per second")
    parser.add_argument("--floods", type=int, default=20, help="emergency stops in a flood")
    args = parser.parse_args()
    if not Path(MOSQUITTO).exists():
        raise SystemExit("bench_mqtt needs mosquitto (apt install mosquitto)")
    with tempfile.TemporaryDirectory() as tmp, _mosquitto(Path(tmp)) as port:
        asyncio.run(bench_cpu(port, args.events))
        asyncio.run(bench_latency(port, args.snapshots, args.rate))
        asyncio.run(bench_flood(port, args.floods))


if __name__ == "__main__":
    main()
