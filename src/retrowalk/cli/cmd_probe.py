"""`retrowalk probe -o machine.json`: capture a treadmill into a file the simulator can become.

Connects (the system's Bluetooth, or bumble's with --adapter), records what the machine
declares and a minute of its notifications, then asks on screen before the low-speed control
check (Request Control, Start at the slowest speed, one step up, Stop), and writes the capture
at once and whole (device/probe.py, ftms/capture.py). The file holds no Bluetooth address
unless --with-address. `retrowalk run W --sim machine.json` runs a workout on the result.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from retrowalk import __version__
from retrowalk.errors import EXIT_OK, ConfigError
from retrowalk.ftms.device_info import MAX_PACE

if TYPE_CHECKING:
    import argparse

    from retrowalk.ftms.capture import Capture
    from retrowalk.ftms.device_info import DeviceInfo
    from retrowalk.ftms.models import SpeedRange

MAX_SECONDS = 600.0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk probe`."""
    p = subparsers.add_parser(
        "probe",
        help="capture a treadmill into a file the simulator can replay",
        description="Connect to a treadmill, record what it declares and its notifications, "
        "and (after you confirm, with nobody on the belt) a low-speed control check: start at "
        "the slowest speed, one step up, stop. `retrowalk run W --sim FILE` then runs a "
        "workout on a simulated machine made from the capture.",
    )
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.json")
    p.add_argument("--device", metavar="ADDRESS|NAME", help="the treadmill (default: the first)")
    p.add_argument(
        "--adapter",
        metavar="SPEC",
        help="through bumble's Bluetooth stack on this HCI transport (tcp-client:HOST:PORT, usb:0)",
    )
    p.add_argument(
        "--seconds",
        type=float,
        default=60.0,
        metavar="S",
        help="how long to record notifications before the check (default 60)",
    )
    p.add_argument(
        "--no-control-check", action="store_true", help="record only: never move the belt"
    )
    p.add_argument(
        "--with-address", action="store_true", help="keep the Bluetooth address in the file"
    )
    p.add_argument(
        "--yes", action="store_true", help="run the control check without asking (simulator only)"
    )
    p.add_argument(
        "--speedup",
        type=float,
        default=1.0,
        metavar="N",
        help="N times faster than real time (a `retrowalk sim --speedup N` only)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the options, capture, write the file whole."""
    from retrowalk.engine import clock  # noqa: PLC0415 - heavy imports only when probing
    from retrowalk.export.files import write_atomically  # noqa: PLC0415
    from retrowalk.ftms.capture import dump_capture  # noqa: PLC0415

    out = _output(args.output)
    seconds = float(args.seconds)
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_SECONDS):
        raise ConfigError(f"--seconds must be above 0 and at most {MAX_SECONDS:g}, got {seconds:g}")
    speedup = float(args.speedup)
    if not (math.isfinite(speedup) and 0 < speedup <= MAX_PACE):
        raise ConfigError(f"--speedup must be above 0 and at most {MAX_PACE:g}, got {speedup:g}")
    if args.adapter is not None:
        from retrowalk.device.hci_spec import check_adapter  # noqa: PLC0415

        args.adapter = check_adapter(args.adapter)
    if args.yes and args.no_control_check:
        raise ConfigError("--yes confirms the control check that --no-control-check leaves out")
    capture = clock.run(lambda: _capture(args, seconds), speedup=speedup)
    write_atomically(out, dump_capture(capture).encode())
    records = sum(p.uuid.startswith("00002acd") for p in capture.traffic)
    check = "with the control check" if capture.control_check else "without a control check"
    print(
        f"wrote {out}: {capture.name}, {len(capture.characteristics)} characteristics, "
        f"{len(capture.traffic)} packets ({records} Treadmill Data), {check}. "
        f"Try it: retrowalk run retro-intro --sim {out}",
        flush=True,
    )
    return EXIT_OK


def _output(path: Path) -> Path:
    out = path.expanduser()
    if out.suffix != ".json":
        raise ConfigError(f"-o {path}: a capture file ends in .json (the simulator knows it so)")
    if out.is_dir() or not out.parent.is_dir():
        raise ConfigError(f"-o {path}: give a file in an existing folder")
    return out


async def _capture(args: argparse.Namespace, seconds: float) -> Capture:
    import contextlib  # noqa: PLC0415

    from retrowalk.cli.run_options import check_peer  # noqa: PLC0415
    from retrowalk.device.probe import probe_machine  # noqa: PLC0415

    def accept(name: str, info: DeviceInfo) -> None:
        check_peer(name, info, yes=args.yes, speedup=args.speedup)  # both: the simulator only

    async def confirm(speeds: SpeedRange) -> bool:
        if args.no_control_check:
            return False
        return True if args.yes else await _ask(speeds)

    async with contextlib.AsyncExitStack() as stack:
        adapter = None
        if args.adapter is not None:
            from retrowalk.device.bumble_adapter import BumbleAdapter  # noqa: PLC0415 - bumble

            adapter = await stack.enter_async_context(BumbleAdapter(args.adapter))
        return await probe_machine(
            args.device,
            adapter=adapter,
            accept=accept,
            seconds=seconds,
            confirm=confirm,
            progress=say,
            source=f"retrowalk probe {__version__}",
            with_address=args.with_address,
            pace=args.speedup,
        )
    raise AssertionError("unreachable")  # pragma: no cover - the stack returns or raises


async def _ask(speeds: SpeedRange) -> bool:
    """Ask on screen before the belt moves; no terminal to ask on means no check."""
    import asyncio  # noqa: PLC0415

    from retrowalk.device.probe import check_speeds  # noqa: PLC0415

    if not sys.stdin.isatty():
        say("no terminal to confirm the control check on: skipped (the belt did not move)")
        return False
    slowest, step = check_speeds(speeds)
    say(
        f"control check: the belt starts at {slowest:.1f} km/h, goes to "
        f"{step:.1f} km/h, and stops (about 30 s). Nobody on the belt: stand beside it with "
        "the safety key at hand."
    )
    print("type go and Enter to run it, anything else to skip: ", end="", file=sys.stderr)
    try:
        answer: str = await asyncio.to_thread(sys.stdin.readline)
    except (OSError, ValueError):
        return False
    return answer.strip().lower() == "go"


def say(line: str) -> None:
    """Print one progress line on stderr."""
    print(f"retrowalk probe: {line}", file=sys.stderr, flush=True)
