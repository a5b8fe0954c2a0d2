"""The device layer's public types: what the engine sees of a treadmill.

CONTRACT shared by device/ and engine/. `FtmsTreadmill` (device/treadmill.py) implements
`Treadmill` over a bleak BleakClient; the engine depends only on this module. The device speaks
the engine's language: telemetry in domain units, and what the machine's status means (the
person stopped it at the console, pulled the safety key, ...). Status the machine sends for the
device's own writes (its echoes) never reaches the engine as something the person did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from retrowalk.ftms.device_info import DeviceInfo
from retrowalk.ftms.models import (
    Features,
    InclineRange,
    SpeedRange,
    TargetSettingFeature,
    TreadmillData,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable


@dataclass(frozen=True)
class Capabilities:
    """What was read from the machine after connecting."""

    name: str
    address: str
    features: Features | None
    speed_range: SpeedRange | None
    incline_range: InclineRange | None
    has_control_point: bool
    info: DeviceInfo = field(
        default_factory=DeviceInfo
    )  # Device Information: maker, model, the simulator's tag

    @property
    def can_set_speed(self) -> bool:
        """Return whether speed targets can be written (a control point exists).

        Feature bits are often wrong; a control point is what counts, and the engine still
        watches whether the belt follows.
        """
        return self.has_control_point

    @property
    def can_set_incline(self) -> bool:
        """Return whether incline targets are plausible (control point and an incline range)."""
        if not self.has_control_point:
            return False
        if self.incline_range is not None:
            return self.incline_range.maximum_pct > self.incline_range.minimum_pct
        return self.features is not None and bool(
            self.features.target_setting & TargetSettingFeature.INCLINATION
        )


KMH_PER_MPH = 1.609344
SpeedUnit = Literal["kmh", "mph"]


@dataclass(frozen=True)
class SpeedUnits:
    """How one machine reads its speed numbers (config.toml `[machines."NAME"]`).

    FTMS speeds are 0.01 km/h, but some consoles take Set Target Speed as mph (`targets`), and
    some also report their speeds and ranges so (`reports`). The device layer converts, so the
    engine only ever sees real km/h.
    """

    targets: SpeedUnit = "kmh"
    reports: SpeedUnit = "kmh"

    @property
    def target_factor(self) -> float:
        """Return real km/h per number in a target (1.609 for a console that reads mph)."""
        return KMH_PER_MPH if self.targets == "mph" else 1.0

    @property
    def report_factor(self) -> float:
        """Return real km/h per number in the machine's reports and ranges."""
        return KMH_PER_MPH if self.reports == "mph" else 1.0


@dataclass(frozen=True)
class Telemetry:
    """One merged Treadmill Data record, in domain units, as far as it can be trusted.

    A value is None where the machine sent nothing, or where the device set it aside: outside
    what the machine declares about itself, or a record whose bytes fit more than one layout.
    `suspect` says why anything was set aside; `record` is the whole decoded record, for logs and
    diagnostics (the engine acts only on the three values above).
    """

    speed_kmh: float | None
    incline_pct: float | None
    heart_rate_bpm: int | None
    suspect: tuple[str, ...] = ()
    record: TreadmillData | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ConsoleStopped:
    """The person stopped (or paused) the belt at the console; the belt is coming to rest."""

    paused: bool


@dataclass(frozen=True)
class ConsoleStarted:
    """The person pressed start (or resume) on the console."""


@dataclass(frozen=True)
class SafetyKeyPulled:
    """The safety key came out: the machine stopped the belt."""


@dataclass(frozen=True)
class ControlLost:
    """The machine withdrew control (status 0xFF, or a reset): control must be requested again."""

    reason: str


@dataclass(frozen=True)
class ConsoleTarget:
    """A target was changed at the console (not by retrowalk); None: that one did not change."""

    speed_kmh: float | None = None
    incline_pct: float | None = None


@dataclass(frozen=True)
class LinkLost:
    """The connection dropped (the device layer is reconnecting, motion is not restored)."""

    reason: str


@dataclass(frozen=True)
class LinkRestored:
    """The connection is back after `attempts` tries; control must be requested again."""

    attempts: int


DeviceEvent = (
    Telemetry
    | ConsoleStopped
    | ConsoleStarted
    | SafetyKeyPulled
    | ControlLost
    | ConsoleTarget
    | LinkLost
    | LinkRestored
)


class DeviceEvents(Protocol):
    """The events of a treadmill from now on, in order: by `async for`, or handed to a handler.

    Iteration ends when the treadmill closes and raises its closing error (DeviceError) if any;
    `dispatch` ends the same way.
    """

    def __aiter__(self) -> AsyncIterator[DeviceEvent]:
        """Return the iterator (itself)."""
        ...

    async def __anext__(self) -> DeviceEvent:
        """Return the next event."""
        ...

    async def dispatch(self, handler: Callable[[DeviceEvent], None]) -> None:
        """Call `handler` with each event as it is published, until the treadmill closes.

        For a consumer that only applies events: no task wakes per event. What `handler`
        raises ends the dispatch and is raised here, never in the code that published.
        """
        ...


class Treadmill(Protocol):
    """A connected FTMS treadmill. Control methods raise DeviceError subclasses on failure."""

    @property
    def capabilities(self) -> Capabilities:
        """Return what the machine can do."""
        ...

    @property
    def is_connected(self) -> bool:
        """Return whether the link is up."""
        ...

    async def request_control(self) -> None:
        """Request control of the machine."""
        ...

    async def start(self) -> None:
        """Start or resume the belt."""
        ...

    async def stop(self) -> None:
        """Stop the belt (ends the machine's session)."""
        ...

    async def pause(self) -> None:
        """Pause the belt (keeps the machine's counters)."""
        ...

    async def set_speed(self, kmh: float) -> float:
        """Write a speed target, quantised to the machine's increment; return what was sent."""
        ...

    async def set_incline(self, pct: float) -> float:
        """Write an incline target, quantised; return what was sent."""
        ...

    def quantize_speed(self, kmh: float) -> float:
        """Return the speed this machine would be sent for `kmh` (on its grid; 0 stays 0)."""
        ...

    def quantize_incline(self, pct: float) -> float:
        """Return the incline this machine would be sent for `pct` (on its grid)."""
        ...

    def events(self) -> DeviceEvents:
        """Return merged telemetry, status, training status and link events from now on."""
        ...
