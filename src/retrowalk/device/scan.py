"""Finding FTMS machines: scan, find one treadmill, and connect to it (real or simulated).

A target is a Bluetooth address (or a macOS UUID), a name, or None for the first machine whose
FTMS advertisement has the treadmill bit. The simulator (retrowalk_sim) is imported lazily,
only when the person asks for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError

from retrowalk.device.control import DEFAULT_CONTROL_TIMEOUT_S
from retrowalk.device.treadmill import FtmsTreadmill
from retrowalk.errors import ConfigError, DeviceError, DeviceNotFound, ProtocolError
from retrowalk.ftms.advertisement import decode_advertisement
from retrowalk.ftms.models import FTMS_SERVICE_UUID, MachineType

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping

    from bleak.backends.client import BaseBleakClient
    from bleak.backends.device import BLEDevice
    from bleak.backends.scanner import AdvertisementData, BaseBleakScanner

    from retrowalk.device.api import SpeedUnits
    from retrowalk.device.bumble_adapter import BumbleAdapter
    from retrowalk.device.heart_rate import HeartRateMonitor
    from retrowalk.device.link import ReconnectPolicy
    from retrowalk_sim.bleak_backend import SimWorld

log = logging.getLogger(__name__)

DEFAULT_SCAN_TIMEOUT_S = 10.0
HEART_RATE_SERVICE_UUID = "0000180d-0000-1000-8000-00805f9b34fb"
_ADDRESS = re.compile(
    r"^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$|^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$", re.IGNORECASE
)
NOT_FOUND_ADVICE = (
    "Is the treadmill switched on and awake (some sleep after a few minutes)? "
    "Is another app (the vendor app, Zwift, a watch) connected to it? A treadmill accepts one "
    "connection at a time. Run `retrowalk scan` to see what is nearby"
)

_TYPE_LABELS = {
    MachineType.TREADMILL: "treadmill",
    MachineType.CROSS_TRAINER: "cross trainer",
    MachineType.STEP_CLIMBER: "step climber",
    MachineType.STAIR_CLIMBER: "stair climber",
    MachineType.ROWER: "rower",
    MachineType.INDOOR_BIKE: "indoor bike",
}


@dataclass(frozen=True)
class ScanResult:
    """One FTMS machine seen while scanning; `machine_type` None when it did not say."""

    name: str | None
    address: str
    machine_type: MachineType | None
    rssi: int | None
    device: BLEDevice | None = field(default=None, compare=False, repr=False)

    @property
    def is_treadmill(self) -> bool:
        """Return whether the advertisement has the treadmill bit."""
        return self.machine_type is not None and MachineType.TREADMILL in self.machine_type

    @property
    def machine_type_label(self) -> str:
        """Return the machine types in words ("treadmill", "unknown")."""
        if self.machine_type is None:
            return "unknown"
        labels = [label for bit, label in _TYPE_LABELS.items() if bit in self.machine_type]
        return ", ".join(labels) or f"type 0x{int(self.machine_type):04x}"


def is_address(target: str) -> bool:
    """Return whether `target` looks like a Bluetooth address or a macOS device UUID."""
    return bool(_ADDRESS.match(target.strip()))


def ftms_result(device: BLEDevice, adv: AdvertisementData) -> ScanResult | None:
    """Return a ScanResult if the advertisement is an FTMS machine's, else None."""
    name = adv.local_name or device.name
    service_data = adv.service_data.get(FTMS_SERVICE_UUID)
    if service_data is not None:
        try:
            machine_type: MachineType | None = decode_advertisement(service_data).machine_types
        except ProtocolError as exc:
            log.debug("%s: unreadable FTMS service data: %s", device.address, exc)
            machine_type = None
        return ScanResult(name, device.address, machine_type, adv.rssi, device)
    if FTMS_SERVICE_UUID in adv.service_uuids:
        return ScanResult(name, device.address, None, adv.rssi, device)
    return None


async def advertisements(
    *, timeout_s: float, simulated: bool = False, via: type[BaseBleakScanner] | None = None
) -> AsyncGenerator[tuple[BLEDevice, AdvertisementData]]:
    """Yield every advertisement seen until `timeout_s` (loop time); `via`: a scanner backend."""
    if not timeout_s > 0:
        raise ConfigError(f"scan timeout must be positive, got {timeout_s:g} s")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    try:
        scanner = BleakScanner(backend=via or _scanner_backend(simulated))
        await scanner.start()
    except (BleakError, OSError) as exc:
        raise DeviceError(
            f"cannot scan for Bluetooth devices: {exc}. Is Bluetooth switched on and is there "
            "an adapter? (To try retrowalk without one, use --sim)"
        ) from exc
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(scanner.stop)
        stream = await stack.enter_async_context(contextlib.aclosing(scanner.advertisement_data()))
        while True:
            # The timeout covers only the wait, never the consumer's work between items.
            try:
                async with asyncio.timeout_at(deadline):
                    item = await anext(stream)
            except TimeoutError:
                return
            yield item


async def scan(
    *,
    timeout_s: float = DEFAULT_SCAN_TIMEOUT_S,
    simulated: bool = False,
    via: type[BaseBleakScanner] | None = None,
) -> AsyncGenerator[ScanResult]:
    """Yield each FTMS machine once, as soon as it is seen, until `timeout_s` has passed."""
    seen: set[str] = set()
    async with contextlib.aclosing(
        advertisements(timeout_s=timeout_s, simulated=simulated, via=via)
    ) as stream:
        async for device, adv in stream:
            result = ftms_result(device, adv)
            if result is not None and result.address not in seen:
                seen.add(result.address)
                yield result


async def find_treadmill(
    target: str | None,
    *,
    simulated_world: SimWorld | None = None,
    timeout_s: float = DEFAULT_SCAN_TIMEOUT_S,
    via: type[BaseBleakScanner] | None = None,
) -> BLEDevice:
    """Return the device named by address or name, or the first FTMS treadmill (target None).

    With `simulated_world`, the simulator's scanner looks through the running simulated worlds;
    `via` is another scanner backend (a `BumbleAdapter`'s). Raises DeviceNotFound, saying what
    was searched and what to try.
    """
    target = (target or "").strip() or None
    match = _matcher(target)
    fallback: BLEDevice | None = None
    async with contextlib.aclosing(
        advertisements(timeout_s=timeout_s, simulated=simulated_world is not None, via=via)
    ) as stream:
        async for device, adv in stream:
            result = ftms_result(device, adv)
            if target is not None and match(device, adv):
                return device
            if target is None and result is not None:
                if result.is_treadmill:
                    return device
                if result.machine_type is None and fallback is None:
                    fallback = device  # FTMS without service data: maybe a treadmill
    if fallback is not None:
        log.warning("no advertisement had the treadmill bit; trying %s", fallback)
        return fallback
    what = "an FTMS treadmill" if target is None else repr(target)
    raise DeviceNotFound(f"found no {what} within {timeout_s:g} s. {NOT_FOUND_ADVICE}")


async def find_heart_rate_monitor(
    target: str | None, *, simulated: bool = False, timeout_s: float = DEFAULT_SCAN_TIMEOUT_S
) -> BLEDevice:
    """Return the strap named by address or name, or the first one advertising 0x180D."""
    target = (target or "").strip() or None
    match = _matcher(target)
    async with contextlib.aclosing(
        advertisements(timeout_s=timeout_s, simulated=simulated)
    ) as stream:
        async for device, adv in stream:
            if target is not None and match(device, adv):
                return device
            if target is None and HEART_RATE_SERVICE_UUID in adv.service_uuids:
                return device
    what = "a heart-rate strap" if target is None else f"heart-rate strap {target!r}"
    raise DeviceNotFound(
        f"found no {what} within {timeout_s:g} s. Wear the strap (it sleeps without skin "
        "contact) and make sure no watch or phone app holds its connection"
    )


def simulator_profiles() -> list[str]:
    """Return the simulator's profile names, the default ("home") first (imports retrowalk_sim)."""
    from retrowalk_sim.profiles import PROFILES  # noqa: PLC0415 - only when asked for

    return sorted(PROFILES, key=lambda name: (name != "home", name))


@contextlib.asynccontextmanager
async def simulated_world(
    *profiles: str,
    name: str | None = None,
    hr_strap: bool = False,
    first_treadmill: Mapping[str, Any] | None = None,
) -> AsyncIterator[SimWorld]:
    """Run a simulated world with one treadmill per profile (default "home"); imports retrowalk_sim.

    Treadmills carry their profile's advertised name (`name` renames a single one); with
    `hr_strap`, a heart-rate strap worn by the person on the first treadmill is added too.
    `first_treadmill` holds more `SimWorld.add` keywords for the first one (a fault scenario).
    """
    from retrowalk_sim.bleak_backend import SimWorld  # noqa: PLC0415 - only when asked for
    from retrowalk_sim.profiles import check_profile  # noqa: PLC0415

    profiles = profiles or ("home",)
    for profile in profiles:
        check_profile(profile)
    world = SimWorld()
    peripherals = []
    for index, profile in enumerate(profiles):
        label = name if len(profiles) == 1 else None
        if label is None and profiles.count(profile) > 1:
            label = f"SIM {profile} {index + 1}"
        extra = (first_treadmill or {}) if index == 0 else {}
        peripherals.append(world.add(profile=profile, name=label, **extra))
    if hr_strap:
        world.add_hr_strap(linked_to=peripherals[0])
    async with world:
        yield world


@contextlib.asynccontextmanager
async def connect(  # noqa: PLR0913 - all but the target are keyword-only with defaults
    target: str | None,
    *,
    sim: str | None = None,
    world: SimWorld | None = None,
    timeout_s: float = DEFAULT_SCAN_TIMEOUT_S,
    control_timeout_s: float = DEFAULT_CONTROL_TIMEOUT_S,
    reconnect: ReconnectPolicy | None = None,
    speed_units: Mapping[str, SpeedUnits] | None = None,
    adapter: BumbleAdapter | None = None,
) -> AsyncIterator[FtmsTreadmill]:
    """Find the treadmill and yield it connected; disconnect on exit.

    `speed_units` maps a machine's name or address (as configured) to how it reads its speed
    numbers; the entry matching the treadmill found applies.

    With `sim` (a profile name) a simulated world with one treadmill of that profile runs for the
    duration; with `world` (already running) its treadmills are searched instead; with an open
    `adapter`, the bumble host on it. The system's Bluetooth adapter is used otherwise.
    """
    async with contextlib.AsyncExitStack() as stack:
        backend = None if adapter is None else adapter.client_backend
        if sim is not None or world is not None:
            if world is None:
                world = await stack.enter_async_context(simulated_world(sim or "home"))
            backend = _simulated_client()
        via = None if adapter is None else adapter.scanner_backend
        device = await find_treadmill(target, simulated_world=world, timeout_s=timeout_s, via=via)
        treadmill = FtmsTreadmill.from_device(
            device,
            backend=backend,
            control_timeout_s=control_timeout_s,
            reconnect=reconnect,
            speed_units=_units_for(device, speed_units or {}),
        )
        async with treadmill:
            yield treadmill


def _units_for(device: BLEDevice, table: Mapping[str, SpeedUnits]) -> SpeedUnits | None:
    """Return the configured speed units of `device` (by address, else by name), if any."""
    keys = {k.strip().lower(): v for k, v in table.items()}
    for key in (device.address, device.name or ""):
        if key.lower() in keys:
            return keys[key.lower()]
    return None


def _matcher(target: str | None) -> Callable[[BLEDevice, AdvertisementData], bool]:
    if target is None:
        return lambda _device, _adv: False
    wanted = target.strip().lower()
    if is_address(target):
        return lambda device, _adv: device.address.lower() == wanted
    return lambda device, adv: (
        wanted
        in {
            (adv.local_name or "").lower(),
            (device.name or "").lower(),
        }
    )


def _scanner_backend(simulated: bool) -> type[BaseBleakScanner] | None:  # noqa: FBT001 - private
    if not simulated:
        return None
    from retrowalk_sim.bleak_backend import SimulatedScanner  # noqa: PLC0415 - lazily

    return SimulatedScanner


def _simulated_client() -> type[BaseBleakClient]:
    from retrowalk_sim.bleak_backend import SimulatedClient  # noqa: PLC0415 - lazily

    return SimulatedClient


@contextlib.asynccontextmanager
async def connect_heart_rate(
    target: str | None,
    *,
    simulated: bool = False,
    timeout_s: float = DEFAULT_SCAN_TIMEOUT_S,
    dropout_s: float = 5.0,
) -> AsyncIterator[HeartRateMonitor]:
    """Find a heart-rate strap (address, name, or None for the first) and yield its monitor.

    With `simulated`, the strap is looked for in the running simulated worlds.
    """
    from retrowalk.device.heart_rate import HeartRateMonitor  # noqa: PLC0415 - imports pycycling

    device = await find_heart_rate_monitor(target, simulated=simulated, timeout_s=timeout_s)
    backend = _simulated_client() if simulated else None
    async with HeartRateMonitor(
        BleakClient(device, backend=backend), dropout_s=dropout_s
    ) as monitor:
        yield monitor
