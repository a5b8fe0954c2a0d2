"""A room of simulated peripherals: SimWorld, SimPeripheral and the link a central holds.

Public API (re-exported by `retrowalk_sim.bleak_backend`, whose docstring describes the whole
simulated-bleak contract):
- `SimWorld()`: `world.add(profile="home", name=None, address=None, mtu=23, tweaks=None,
  record_traffic=False, scenario=None, trace=False, origin="connect")
  -> SimPeripheral[TreadmillModel]` (a `Scenario` and its `Trace`: see `add`);
  `world.add_hr_strap(linked_to=..., name=..., address=None, seed=1)
  -> SimPeripheral[HeartRateStrap]` (a scenario's hr actions go to the strap linked to it);
  `world.add_replay(script, name=None) -> SimPeripheral[ReplayDevice]`; `world.get(address)`;
  `world.peripherals`; `async with world:` starts every device's timers on the running loop and
  on exit powers every device off (links drop, disconnected callbacks run). Single use.
- `SimPeripheral`: `.model`, `.address`, `.name`, `.mtu`, `.rssi`, `.connected`, `.device` (a bleak
  `BLEDevice` whose `details` is the peripheral), `.advertisement()`, `.power_off()`; for a
  treadmill also `.trace` (`Trace | None`), `.script` (`ScriptPlayer | None`), `.hr_strap`.
- `running_worlds()`, `find_peripheral(address)`: what scanners and address lookups search;
  `Link`: one connection (the `Port` a device talks to), used by `SimulatedClient`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, Self, TypeVar

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection

from retrowalk_sim.gatt import CCCD_UUID, AttError, CharSpec, ServiceSpec, SimDevice
from retrowalk_sim.heart_rate import HeartRateStrap
from retrowalk_sim.model import TreadmillModel
from retrowalk_sim.player import ScriptPlayer
from retrowalk_sim.profiles import MachineProfile, get_profile
from retrowalk_sim.replay import ReplayDevice, ReplayScript
from retrowalk_sim.trace import Trace

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import TracebackType

    from bleak.backends.client import NotifyCallback

    from retrowalk_sim.scenario import Scenario

__all__ = ["Link", "SimPeripheral", "SimWorld", "find_peripheral", "running_worlds"]

D = TypeVar("D", bound=SimDevice)
_RUNNING: list[SimWorld] = []  # worlds inside `async with`, searched by address and scanners
_addresses = itertools.count(1)


class Central(Protocol):
    """The client side of a link, told when the peripheral drops it."""

    def on_link_lost(self) -> None:
        """The link went down without the central asking."""
        ...


def running_worlds() -> tuple[SimWorld, ...]:
    """Return the worlds currently entered, oldest first."""
    return tuple(_RUNNING)


class SimWorld:
    """A room of simulated peripherals, running on the current event loop while entered."""

    def __init__(self) -> None:
        self.peripherals: list[SimPeripheral[Any]] = []
        self._state = "new"

    def add(  # noqa: PLR0913 - keyword-only knobs of one peripheral
        self,
        profile: str | MachineProfile = "home",
        *,
        name: str | None = None,
        address: str | None = None,
        mtu: int = 23,
        tweaks: Mapping[str, object] | None = None,
        record_traffic: bool = False,
        scenario: Scenario | None = None,
        trace: bool = False,
        origin: Literal["connect", "anchor"] = "connect",
    ) -> SimPeripheral[TreadmillModel]:
        """Add a treadmill; `tweaks` replaces profile fields by name (e.g. notify_hz=5).

        A `scenario` adds its own tweaks (`tweaks` wins on a clash) and plays its actions on the
        session clock, which the first connection starts (`origin="connect"`) or the caller, with
        `peripheral.trace.anchor(loop_time)` (`origin="anchor"`).
        """
        machine = get_profile(profile) if isinstance(profile, str) else profile
        merged = {**(scenario.tweaks if scenario is not None else {}), **(tweaks or {})}
        if merged:
            machine = machine.with_tweaks(**merged)
        model = TreadmillModel(machine, record_traffic=record_traffic)
        if trace or scenario is not None:
            model.trace = Trace()
        peripheral = self._add(model, name or machine.local_name, address, mtu)
        peripheral.anchor_on_connect = origin == "connect"
        if scenario is not None and model.trace is not None:
            peripheral.script = ScriptPlayer(
                scenario, model, model.trace, lambda: peripheral.hr_strap
            )
        return peripheral

    def add_hr_strap(
        self,
        *,
        linked_to: SimPeripheral[TreadmillModel] | None = None,
        name: str = "RW HR Strap",
        address: str | None = None,
        seed: int = 1,
    ) -> SimPeripheral[HeartRateStrap]:
        """Add a heart-rate strap following the workload of `linked_to`'s treadmill."""
        strap = HeartRateStrap(linked_to.model if linked_to else None, seed=seed)
        if linked_to is not None:
            linked_to.hr_strap = strap
        return self._add(strap, name, address, 23)

    def add_replay(
        self, script: ReplayScript, *, name: str | None = None, address: str | None = None
    ) -> SimPeripheral[ReplayDevice]:
        """Add a peripheral that replays captured bytes (see `retrowalk_sim.replay`)."""
        return self._add(ReplayDevice(script), name or script.name, address, 23)

    def get(self, address: str) -> SimPeripheral[Any] | None:
        """Return the peripheral with this address (case-insensitive), if any."""
        wanted = address.upper()
        return next((p for p in self.peripherals if p.address.upper() == wanted), None)

    @property
    def running(self) -> bool:
        """Return whether the world is entered."""
        return self._state == "running"

    async def __aenter__(self) -> Self:
        if self._state != "new":
            raise RuntimeError("a SimWorld is single use: create a new one")
        self._state = "running"
        _RUNNING.append(self)
        for peripheral in self.peripherals:
            peripheral.model.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._state = "closed"
        if self in _RUNNING:
            _RUNNING.remove(self)
        for peripheral in self.peripherals:
            peripheral.power_off()

    def _add(self, device: D, name: str, address: str | None, mtu: int) -> SimPeripheral[D]:
        if self._state == "closed":
            raise RuntimeError("this SimWorld is closed")
        if address is None:
            n = next(_addresses)
            address = f"5A:11:00:00:{n >> 8 & 0xFF:02X}:{n & 0xFF:02X}"
        if self.get(address) is not None or find_peripheral(address) is not None:
            raise ValueError(f"a simulated peripheral already has address {address}")
        peripheral = SimPeripheral(self, device, name=name, address=address, mtu=mtu)
        self.peripherals.append(peripheral)
        if self.running:
            device.start()
        return peripheral


class SimPeripheral(Generic[D]):
    """One simulated peripheral: a device, its GATT table, advertisement and (single) link."""

    def __init__(self, world: SimWorld, model: D, *, name: str, address: str, mtu: int) -> None:
        self.world = world
        self.model = model
        self.name = name
        self.address = address
        self.mtu = mtu
        self.rssi = -55 - sum(address.encode()) % 20
        self.device = BLEDevice(address, name, self)
        self.script: ScriptPlayer | None = None
        self.hr_strap: HeartRateStrap | None = None
        self.anchor_on_connect = True
        self._link: Link | None = None
        self._refuse_until = -math.inf

    def __repr__(self) -> str:
        return f"<SimPeripheral {self.name!r} {self.address}>"

    @property
    def trace(self) -> Trace | None:
        """Return the device's ground-truth trace, if it records one."""
        trace = getattr(self.model, "trace", None)
        return trace if isinstance(trace, Trace) else None

    @property
    def connected(self) -> bool:
        """Return whether a central is connected."""
        return self._link is not None

    def accepting(self, now: float) -> bool:
        """Return whether the peripheral advertises and accepts a connection now."""
        return self.world.running and self._link is None and now >= self._refuse_until

    def advertisement(self) -> AdvertisementData:
        """Return the advertisement a scanner receives (name, service UUIDs, service data)."""
        return AdvertisementData(
            local_name=self.name,
            manufacturer_data={},
            service_data=self.model.service_data(),
            service_uuids=self.model.advertised_services(),
            tx_power=None,
            rssi=self.rssi,
            platform_data=(self,),
        )

    def power_off(self) -> None:
        """Switch the device off: the link drops, every timer stops, the trace ends."""
        self.drop(0.0)
        self.model.close()
        if self.script is not None:
            self.script.close()
        if (trace := self.trace) is not None:
            trace.close(asyncio.get_running_loop().time())

    def accept(self, client: Central, central_mtu: int, wanted: set[str] | None) -> Link:
        """Take a central: a new link with MTU min(ours, theirs), showing `wanted` services."""
        link = Link(self, client, min(self.mtu, central_mtu), wanted)
        self._link = link
        trace = self.trace
        if trace is not None and self.anchor_on_connect and not trace.anchored:
            trace.anchor(asyncio.get_running_loop().time())  # the session clock starts
        self.model.attach(link)
        return link

    def release(self, link: Link) -> None:
        """End `link` (either side asked); the device learns its central is gone."""
        if self._link is link:
            self._link = None
            link.close()
            self.model.detach()

    def drop(self, refuse_s: float) -> None:
        """Drop the link from this side (the central is told); refuse centrals for `refuse_s`."""
        link = self._link
        if refuse_s > 0:
            self._refuse_until = asyncio.get_running_loop().time() + refuse_s
        if link is not None:
            self.release(link)
            link.client.on_link_lost()


class Link:
    """One connection: the GATT collection the central saw, and its subscriptions."""

    def __init__(
        self,
        peripheral: SimPeripheral[Any],
        client: Central,
        mtu: int,
        wanted: set[str] | None,
    ) -> None:
        self.peripheral = peripheral
        self.client = client
        self.mtu = mtu
        self.open = True
        self.callbacks: dict[str, NotifyCallback] = {}
        self.pending: set[asyncio.TimerHandle] = set()
        self.collection = build_collection(peripheral.model.services(), wanted, lambda: mtu - 3)

    @property
    def max_payload(self) -> int:
        """Return the largest notification payload (ATT MTU - 3)."""
        return self.mtu - 3

    def subscribed(self, uuid: str) -> bool:
        """Return whether the central enabled notifications or indications on `uuid`."""
        return uuid in self.callbacks

    def send(self, uuid: str, data: bytes) -> None:
        """Deliver a notification or indication to the central's callback, on the loop."""
        callback = self.callbacks.get(uuid)
        if callback is not None and self.open:
            callback(bytearray(data))

    def drop(self, refuse_s: float) -> None:
        """Drop this link from the peripheral's side."""
        self.peripheral.drop(refuse_s)

    def command(self, spec: CharSpec, payload: bytes) -> None:
        """Handle an ATT Write Command that reached the peripheral (no response, no error)."""
        self.pending = {h for h in self.pending if not h.cancelled() and h.when() > _now()}
        if not self.open or spec.write is None:
            return
        if spec.needs_cccd_for_write and not self.subscribed(spec.uuid):
            return
        with contextlib.suppress(AttError):
            spec.write(payload)

    def close(self) -> None:
        """Mark the link down and forget Write Commands still in flight."""
        self.open = False
        for handle in self.pending:
            handle.cancel()
        self.pending.clear()


def build_collection(
    services: list[ServiceSpec], wanted: set[str] | None, max_write: Callable[[], int]
) -> BleakGATTServiceCollection:
    """Lay the services out on ATT handles: service, then per characteristic decl/value/CCCD."""
    collection = BleakGATTServiceCollection()
    handle = 0x000B
    for spec in services:
        handle += 1
        service = BleakGATTService(spec, handle, spec.uuid)
        if wanted is not None and spec.uuid not in wanted:
            handle += 3 * len(spec.characteristics)
            continue
        collection.add_service(service)
        for char_spec in spec.characteristics:
            handle += 2  # declaration, then value
            char = BleakGATTCharacteristic(
                char_spec, handle, char_spec.uuid, list(char_spec.properties), max_write, service
            )
            collection.add_characteristic(char)
            if char_spec.has("notify") or char_spec.has("indicate"):
                handle += 1
                collection.add_descriptor(BleakGATTDescriptor(char_spec, handle, CCCD_UUID, char))
    return collection


def _now() -> float:
    return asyncio.get_running_loop().time()


def find_peripheral(address: str) -> SimPeripheral[Any] | None:
    """Return the peripheral with `address` in any running world."""
    for world in _RUNNING:
        found = world.get(address)
        if found is not None:
            return found
    return None
