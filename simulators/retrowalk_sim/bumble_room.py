"""A simulated treadmill on a virtual Bluetooth LE link, served by bumble's host stack.

Public API:
- `bumble_room(profile="home", *, name=None, tweaks=None, trace=False, on_event=None,
  time_factor=1.0)`: an async context manager: one `TreadmillModel` served by
  `bumble_server.serve` on its own virtual controller of a fresh `LocalLink`; yields a `Room`.
  Runs in virtual time as in real time; `time_factor` is only what Device Information says.
- `Room`: `.model`, `.served`, `.link`, `.controller` (the treadmill's, `vanish()` it to make
  the peripheral disappear mid-anything), `.name`, `.address`, and `central(name)`: a new
  bumble `Device` (not powered on) with its own controller on the link, for a
  `BumbleAdapter(device=...)`.
- `serve_on(spec, profile="home", *, on_event=None, on_client=None, ready=None, tweaks=None,
  time_factor=1.0, on_pace=None)`: the same treadmill on an HCI transport until cancelled
  (`retrowalk sim --transport SPEC`; run it in a loop `time_factor` times faster than real time,
  and at each pace `on_pace` is told a central set):
  `tcp-server:HOST:PORT` behind `bumble_radio.hci_hub` (a controller per client), any other
  spec a real controller (`usb:0`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bumble.device import Device
from bumble.hci import Address
from bumble.link import LocalLink
from bumble.transport import open_transport

from retrowalk.errors import DeviceError
from retrowalk_sim.bumble_radio import hci_hub, local_device
from retrowalk_sim.bumble_server import Served, ServerEvent, serve
from retrowalk_sim.model import TreadmillModel
from retrowalk_sim.pace import Pace
from retrowalk_sim.profiles import get_profile
from retrowalk_sim.trace import Trace

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping

    from retrowalk_sim.bumble_radio import SimController

__all__ = ["Room", "ServerEvent", "bumble_room", "serve_on"]

SIM_ADDRESS = "F0:52:57:53:49:4D"  # random static (top bits 11): "RWSIM"
_centrals = itertools.count(1)


@dataclass
class Room:
    """A treadmill served on a local link; `central()` adds a host to connect from."""

    model: TreadmillModel
    served: Served
    link: LocalLink
    controller: SimController
    name: str
    address: str = SIM_ADDRESS
    centrals: list[Device] = field(default_factory=list)

    def central(self, name: str = "central") -> Device:
        """Return a new bumble Device with its own controller on this link (not powered on)."""
        n = next(_centrals)
        device, _controller = local_device(
            self.link, name, f"C0:52:57:00:{n >> 8:02X}:{n & 0xFF:02X}"
        )
        self.centrals.append(device)
        return device


def treadmill(
    profile: str,
    *,
    tweaks: Mapping[str, object] | None = None,
    trace: bool = False,
    record_traffic: bool = False,
) -> TreadmillModel:
    """Return a simulated treadmill of `profile` (KeyError lists the names), with a trace."""
    machine = get_profile(profile)
    if tweaks:
        machine = machine.with_tweaks(**tweaks)
    model = TreadmillModel(machine, record_traffic=record_traffic)
    if trace:
        model.trace = Trace()
    return model


@contextlib.asynccontextmanager
async def bumble_room(  # noqa: PLR0913 - keyword-only knobs of the simulated machine
    profile: str = "home",
    *,
    name: str | None = None,
    tweaks: Mapping[str, object] | None = None,
    trace: bool = False,
    record_traffic: bool = False,
    on_event: Callable[[ServerEvent], None] | None = None,
    time_factor: float = 1.0,
) -> AsyncIterator[Room]:
    """Serve one simulated treadmill on a fresh local link (see the module docstring)."""
    model = treadmill(profile, tweaks=tweaks, trace=trace, record_traffic=record_traffic)
    model.pace = Pace(time_factor)  # what its Device Information says (run --speedup checks)
    label = name or model.profile.local_name
    link = LocalLink()  # type: ignore[no-untyped-call] # bumble leaves its __init__ unannotated
    device, controller = local_device(link, label, SIM_ADDRESS)
    await device.power_on()
    async with serve(model, device, name=label, on_event=on_event) as served:
        yield Room(model, served, link, controller, label)
        if model.trace is not None:
            model.trace.close(asyncio.get_running_loop().time())


async def serve_on(  # noqa: PLR0913 - keyword-only hooks and knobs
    spec: str,
    profile: str = "home",
    *,
    on_event: Callable[[ServerEvent], None] | None = None,
    on_client: Callable[[str, bool], None] | None = None,
    ready: Callable[[str], None] | None = None,
    tweaks: Mapping[str, object] | None = None,
    time_factor: float = 1.0,
    on_pace: Callable[[float], None] | None = None,
) -> None:
    """Serve the treadmill on the HCI transport `spec` until cancelled (see the module).

    `on_pace(factor)` is told each pace a central sets (and the return to `time_factor` when it
    leaves): the caller runs its event loop at it (retrowalk_sim.pace).

    `tcp-server:HOST:PORT` is the virtual radio: each TCP client is a host given a controller of
    its own on the treadmill's link. Any other spec (`usb:0`, `serial:...`) is a controller for
    the treadmill's own host: a real radio, so phones and other apps see it on the air.
    `ready(spec)` is told the spec it serves on (the port chosen, for port 0).
    """
    kind, _, rest = spec.partition(":")
    if kind == "tcp-server":
        host, _, port = rest.rpartition(":")
        async with (
            bumble_room(profile, tweaks=tweaks, on_event=on_event, time_factor=time_factor) as room,
            hci_hub(room.link, host, int(port), on_client) as server,
        ):
            room.model.pace.on_change = on_pace
            if ready is not None:
                ready(f"tcp-server:{host}:{server.sockets[0].getsockname()[1]}")
            try:
                await asyncio.Event().wait()  # until cancelled (Ctrl-C)
            finally:
                await room.served.close()  # a clean terminate, before the hub's clients go
        return
    try:
        transport = await open_transport(spec)
    except Exception as exc:
        raise DeviceError(f"cannot open the Bluetooth controller {spec}: {exc}") from exc
    try:
        model = treadmill(profile, tweaks=tweaks)
        model.pace = Pace(time_factor)
        model.pace.on_change = on_pace
        label = model.profile.local_name
        device = Device.with_hci(label, Address(SIM_ADDRESS), transport.source, transport.sink)
        await device.power_on()
        async with serve(model, device, name=label, on_event=on_event):
            if ready is not None:
                ready(spec)
            await asyncio.Event().wait()  # until cancelled (Ctrl-C)
    finally:
        await transport.close()
