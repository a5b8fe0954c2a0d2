"""Engine test rig: plans built from the plan dataclasses, an engine on a simulated treadmill."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bleak import BleakClient

from plans import plan_of
from retrowalk.device.heart_rate import HeartRateMonitor
from retrowalk.device.treadmill import FtmsTreadmill
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandKind, Origin
from retrowalk.engine.events import Snapshot, StepStarted, TurnPhase, TurnPhaseChanged
from retrowalk.engine.runner import Engine, EngineOptions
from retrowalk.ftms.control_point import decode_request
from retrowalk.ftms.models import ControlOp, StopKind
from retrowalk.workout.plan import Direction, Plan, TurnMode
from retrowalk.workout.safety import get_profile
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from retrowalk.device.api import SpeedUnits
    from retrowalk.engine.bus import Channel, Item
    from retrowalk_sim.bleak_backend import SimPeripheral
    from retrowalk_sim.model import TreadmillModel
    from retrowalk_sim.scenario import Scenario
    from retrowalk_sim.trace import Trace

FW, BW, REST = Direction.FORWARD, Direction.BACKWARD, Direction.REST


def make_plan(
    steps: Sequence[tuple[Direction, float, float | None, float]],
    *,
    confirm: bool = False,
    window_s: float = 12.0,
    countdown_s: float = 5.0,
    mode: TurnMode = TurnMode.STOP,
    distance_steps: frozenset[int] = frozenset(),
) -> Plan:
    """Return the planner's plan: (direction, seconds or metres, km/h or None, incline %)."""
    return plan_of(
        steps,
        confirm=confirm,
        window_s=window_s,
        countdown_s=countdown_s,
        mode=mode,
        distance_steps=distance_steps,
    )


def describe(data: bytes) -> str:
    """Return a control point write as a short readable token: 'speed 1.0', 'stop', ..."""
    request = decode_request(data)
    if request.op == ControlOp.SET_TARGET_SPEED:
        return f"speed {request.speed_kmh:.1f}"
    if request.op == ControlOp.SET_TARGET_INCLINATION:
        return f"incline {request.incline_pct:.1f}"
    if request.op == ControlOp.STOP_OR_PAUSE:
        return "pause" if request.stop_kind == StopKind.PAUSE else "stop"
    names = {ControlOp.REQUEST_CONTROL: "control", ControlOp.START_OR_RESUME: "start"}
    return names.get(ControlOp(request.op), f"op {request.op}")


@dataclass
class Rig:
    """One engine on one simulated treadmill, and everything it published."""

    peripheral: SimPeripheral[TreadmillModel]
    treadmill: FtmsTreadmill
    engine: Engine
    bus: Bus
    channel: Channel
    collected: list[Item] = field(default_factory=list)

    @property
    def items(self) -> list[Item]:
        """Return everything published so far (drained from the lossless test channel)."""
        while (item := self.channel.get_nowait()) is not None:
            self.collected.append(item)
        return self.collected

    def snapshots(self) -> list[Snapshot]:
        """Return the snapshots published so far, oldest first."""
        return [i for i in self.items if isinstance(i, Snapshot)]

    def step_elapsed(self) -> float:
        """Return the current step's clock as the latest snapshot shows it (0 before any)."""
        latest = self.bus.latest
        return 0.0 if latest is None else latest.step_elapsed_s

    @property
    def trace(self) -> Trace:
        """Return the simulated treadmill's ground truth."""
        assert self.peripheral.trace is not None
        return self.peripheral.trace

    @property
    def model(self) -> TreadmillModel:
        """Return the simulated machine."""
        return self.peripheral.model

    def writes(self) -> list[str]:
        """Return every control point write so far, readable."""
        return [describe(data) for data in self.model.control_point_log]

    def timed_writes(self) -> list[tuple[float, str]]:
        """Return every control point write with its loop time."""
        return [(t, describe(data)) for t, data in self.model.control_point_writes]

    def started(self, index: int, *, times: int = 1) -> bool:
        """Return whether step `index` has started (its StepStarted published `times` times)."""
        return sum(e.index == index for e in self.events(StepStarted)) >= times

    def phase(self) -> TurnPhase | None:
        """Return the phase of the turn-around last published, if any."""
        phases = self.events(TurnPhaseChanged)
        return phases[-1].phase if phases else None

    def events(self, kind: type | None = None) -> list[Any]:
        """Return published events (of one type), snapshots excluded."""
        from retrowalk.engine.events import Event  # noqa: PLC0415 - test helper

        found = [i for i in self.items if isinstance(i, Event)]
        return [e for e in found if kind is None or isinstance(e, kind)]

    def names(self) -> list[str]:
        """Return the type names of published events in order."""
        return [type(e).__name__ for e in self.events()]

    async def send(
        self, kind: CommandKind, origin: Origin = Origin.KEYBOARD, value: float | None = None
    ):
        """Submit a command."""
        return await self.engine.submit(Command(kind, origin, value))


@contextlib.asynccontextmanager
async def engine_rig(
    plan: Plan,
    *,
    machine: str = "home",
    tweaks: dict[str, object] | None = None,
    profile: str = "advanced",
    options: EngineOptions | None = None,
    heart_rate: Any = None,
    scenario: Scenario | None = None,
    speed_units: SpeedUnits | None = None,
    strap: bool = False,
) -> AsyncIterator[Rig]:
    """Yield a Rig whose engine is ready to `run()`; the collector runs alongside.

    The simulated treadmill keeps its ground-truth trace (`rig.trace`), on the engine's clock
    when `run()` starts right away; a `scenario` plays on that clock. With `strap`, a simulated
    heart-rate strap worn on this treadmill (a scenario's hr actions reach it) is read through
    retrowalk's own monitor, as `--hr` does.
    """
    world = SimWorld()
    peripheral = world.add(
        profile=machine, tweaks=tweaks, scenario=scenario, trace=True, origin="anchor"
    )
    hr = world.add_hr_strap(linked_to=peripheral) if strap else None
    async with world, contextlib.AsyncExitStack() as stack:
        if hr is not None:
            hr_client = BleakClient(hr.device, backend=SimulatedClient)
            monitor = await stack.enter_async_context(HeartRateMonitor(hr_client))
            heart_rate = monitor.readings()
        client = BleakClient(peripheral.device, backend=SimulatedClient)
        async with FtmsTreadmill(client, speed_units=speed_units) as treadmill:
            bus = Bus()
            channel = bus.subscribe("test", snapshots="all")
            engine = Engine(
                plan,
                treadmill,
                bus=bus,
                profile=get_profile(profile),
                options=options or EngineOptions(auto_confirm=True),
                heart_rate=heart_rate,
            )
            rig = Rig(peripheral, treadmill, engine, bus, channel)
            assert peripheral.trace is not None
            peripheral.trace.anchor(asyncio.get_running_loop().time())
            try:
                yield rig
            finally:
                bus.close()


async def until(predicate: Any, *, timeout_s: float = 900.0, step_s: float = 0.05) -> None:
    """Wait (virtual time) until `predicate()` is true; fail after `timeout_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        await asyncio.sleep(step_s)


def speeds(tokens: Sequence[str]) -> list[float]:
    """Return the speeds of the 'speed x' tokens."""
    return [float(t.split()[1]) for t in tokens if t.startswith("speed ")]
