"""`retrowalk sim [PROFILE] --transport SPEC`: the simulated treadmill on a Bluetooth HCI transport.

The simulator runs as its own process behind a real Bluetooth host stack (bumble), so any
Bluetooth LE central can use it: `retrowalk run --adapter`, `retrowalk scan --adapter`, or
another FTMS app. It prints each client that attaches, each central that connects or leaves
and every control point write; Ctrl-C drops the link cleanly (the central hears a normal
disconnect) and exits 0. `--speedup N` runs the treadmill N times faster than real time and
says so in its Device Information; a runner at another `--speedup` writes its own pace to the
simulator's pace characteristic, and the treadmill runs at it until that runner leaves.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, TextIO

from retrowalk.errors import EXIT_OK, ConfigError, ProtocolError
from retrowalk.ftms.device_info import MAX_PACE

if TYPE_CHECKING:
    import argparse

    from retrowalk_sim.bumble_server import ServerEvent


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk sim`."""
    p = subparsers.add_parser(
        "sim",
        help="serve the simulated treadmill on a Bluetooth HCI transport",
        description="Serve a simulated FTMS treadmill behind a real Bluetooth host stack until "
        "Ctrl-C. With --transport tcp-server:HOST:PORT every TCP client gets a virtual "
        "Bluetooth controller of its own next to the treadmill's: connect with `retrowalk run "
        "WORKOUT --adapter tcp-client:HOST:PORT`. With usb:0 a USB Bluetooth dongle puts the "
        "treadmill on the air.",
    )
    p.add_argument(
        "profile",
        nargs="?",
        default="home",
        metavar="PROFILE",
        help="simulator profile (default home; `retrowalk run --help` lists them) or a capture "
        "file FILE.json (`retrowalk probe -o FILE.json`)",
    )
    p.add_argument(
        "--transport",
        required=True,
        metavar="SPEC",
        help="tcp-server:127.0.0.1:PORT (port 0 picks a free one) or a controller: usb:0",
    )
    p.add_argument(
        "--speedup",
        type=float,
        default=1.0,
        metavar="N",
        help=f"the simulator's own pace: N times faster than real time (up to {MAX_PACE:g}); "
        "a runner with --speedup sets its own pace while it is connected",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the profile and transport, then serve until Ctrl-C."""
    from retrowalk.device.hci_spec import check_transport  # noqa: PLC0415
    from retrowalk.engine import clock  # noqa: PLC0415
    from retrowalk_sim.profiles import check_profile  # noqa: PLC0415

    spec = check_transport(args.transport)
    speedup = float(args.speedup)
    if not (math.isfinite(speedup) and 0 < speedup <= MAX_PACE):
        raise ConfigError(
            f"--speedup must be a number above 0 and up to {MAX_PACE:g}, got {speedup:g}"
        )
    check_profile(args.profile)
    out = sys.stdout
    try:
        clock.run(lambda: _serve(spec, args.profile, out, speedup), speedup=speedup, scalable=True)
    except KeyboardInterrupt:
        print("retrowalk sim: stopped; the link was dropped cleanly", file=out, flush=True)
    return EXIT_OK


async def _serve(spec: str, profile: str, out: TextIO, speedup: float) -> None:
    from retrowalk.errors import DeviceError  # noqa: PLC0415
    from retrowalk_sim.bumble_room import serve_on  # noqa: PLC0415 - the simulator on demand

    def say(line: str) -> None:
        print(f"retrowalk sim: {line}", file=out, flush=True)

    def ready(served_on: str) -> None:
        pace = "" if speedup == 1.0 else f", {speedup:g} times faster than real time"
        say(f"{profile} treadmill on {served_on}{pace}; Ctrl-C stops it")
        if served_on.startswith("tcp-server:"):
            adapter = served_on.replace("tcp-server:", "tcp-client:", 1)
            same = "" if speedup == 1.0 else f" --speedup {speedup:g}"
            say(f"connect with: retrowalk run WORKOUT --adapter {adapter}{same}")

    def client(peer: str, attached: bool) -> None:  # noqa: FBT001 - the hub's callback
        say(f"HCI client {peer} {'attached' if attached else 'left'}")

    def pace(factor: float) -> None:
        from retrowalk.engine import clock  # noqa: PLC0415

        clock.set_speedup(factor)  # the treadmill's time, for whoever is connected
        say(f"pace: {factor:g} times real time" + (" (its own again)" if factor == speedup else ""))

    try:
        await serve_on(
            spec,
            profile,
            on_event=lambda e: say(describe(e)),
            on_client=client,
            ready=ready,
            time_factor=speedup,
            on_pace=pace,
        )
    except OSError as exc:  # the port is taken, the address is not this machine's
        raise DeviceError(f"cannot serve on {spec}: {exc}") from exc


def describe(event: ServerEvent) -> str:
    """Return one line for what the served treadmill saw."""
    if event.kind == "write":
        request = _request(event.data)
        return f"{event.peer} wrote the control point: {event.data.hex(' ')} ({request})"
    if event.kind == "disconnected":
        return f"{event.peer} disconnected (reason 0x{event.reason or 0:02X})"
    if event.kind == "connected":
        return f"{event.peer} connected"
    return "advertising, waiting for a central"


def _request(data: bytes) -> str:
    from retrowalk.ftms.control_point import decode_request  # noqa: PLC0415
    from retrowalk.ftms.models import ControlOp  # noqa: PLC0415

    try:
        request = decode_request(data)
    except ProtocolError as exc:
        return f"not a valid request: {exc}"
    op = request.op
    words = [op.name.lower().replace("_", " ") if isinstance(op, ControlOp) else f"op 0x{op:02X}"]
    if request.speed_kmh is not None:
        words.append(f"{request.speed_kmh:.2f} km/h")
    if request.incline_pct is not None:
        words.append(f"{request.incline_pct:.1f} %")
    text = " ".join(words)
    return text if request.stop_kind is None else f"{text}: {request.stop_kind.name.lower()}"
