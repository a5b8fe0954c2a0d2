"""`retrowalk scan`: list nearby FTMS machines (name, address, type, signal) as they are found."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from retrowalk.errors import EXIT_DEVICE, EXIT_OK, ConfigError

if TYPE_CHECKING:
    import argparse

    from retrowalk.device.scan import ScanResult

MAX_SIMULATED = 20
_HEADER = f"{'NAME':<24} {'ADDRESS':<20} {'TYPE':<16} SIGNAL"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk scan`."""
    p = subparsers.add_parser(
        "scan",
        help="list nearby FTMS treadmills and other fitness machines",
        description="Scan for Bluetooth FTMS fitness machines and print each one as it is found. "
        "Use the address or name with `retrowalk run --device`.",
    )
    p.add_argument(
        "--sim",
        nargs="?",
        const=1,
        type=int,
        metavar="N",
        help="scan a room of N simulated treadmills (one per simulator profile; default 1) "
        "instead of the Bluetooth adapter",
    )
    p.add_argument(
        "--adapter",
        metavar="SPEC",
        help="scan through bumble's Bluetooth stack on this HCI transport: tcp-client:HOST:PORT "
        "(a `retrowalk sim --transport tcp-server:...`) or usb:0",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="how long to scan, in seconds (default 10)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Scan and print; exit 0 if something was found, 3 if nothing was."""
    from retrowalk.engine import clock  # noqa: PLC0415 - heavy imports only when running

    timeout_s: float = args.timeout
    if not 0 < timeout_s <= 3600:
        raise ConfigError(f"--timeout must be more than 0 and at most 3600 s, got {timeout_s:g}")
    simulated: int | None = args.sim
    if simulated is not None and not 1 <= simulated <= MAX_SIMULATED:
        raise ConfigError(f"--sim takes 1 to {MAX_SIMULATED} treadmills, got {simulated}")
    adapter: str | None = args.adapter
    if adapter is not None:
        from retrowalk.device.hci_spec import check_adapter  # noqa: PLC0415 - no bumble in it

        if simulated is not None:
            raise ConfigError("--adapter and --sim exclude each other: scan one or the other")
        adapter = check_adapter(adapter)
    out = sys.stdout
    if simulated is None:
        found = clock.run(lambda: _scan(timeout_s, out, simulated=0, adapter=adapter))
    else:
        # A simulated room lives on loop time: fast mode scans it in an instant.
        found = clock.run(lambda: _scan(timeout_s, out, simulated=simulated), fast=True)
    if found == 0:
        print(
            "retrowalk: found no FTMS machine. Is the treadmill on and awake, and not connected "
            "to another app (vendor app, Zwift, a watch)?",
            file=sys.stderr,
        )
        return EXIT_DEVICE
    return EXIT_OK


async def _scan(
    timeout_s: float, out: TextIO, *, simulated: int, adapter: str | None = None
) -> int:
    import contextlib  # noqa: PLC0415 - kept with the other run-time imports

    from retrowalk.device.scan import scan, simulated_world, simulator_profiles  # noqa: PLC0415

    source = "simulated treadmills" if simulated else "Bluetooth FTMS machines"
    if adapter is not None:
        source += f" through {adapter}"
    print(f"Scanning for {source} for {timeout_s:g} s...", file=sys.stderr, flush=True)
    found = 0
    async with contextlib.AsyncExitStack() as stack:
        via = None
        if simulated:
            names = simulator_profiles()
            profiles = [names[i % len(names)] for i in range(simulated)]
            await stack.enter_async_context(simulated_world(*profiles))
        if adapter is not None:
            from retrowalk.device.bumble_adapter import BumbleAdapter  # noqa: PLC0415 - bumble

            via = (await stack.enter_async_context(BumbleAdapter(adapter))).scanner_backend
        async for result in scan(timeout_s=timeout_s, simulated=bool(simulated), via=via):
            if not found:
                print(_HEADER, file=out, flush=True)  # only once there is something to show
            found += 1
            print(format_result(result), file=out, flush=True)
    print(f"{found} machine(s) found.", file=sys.stderr, flush=True)
    return found


def format_result(result: ScanResult) -> str:
    """Return one table row: name, address, machine type, signal strength."""
    name = result.name or "(no name)"
    signal = "?" if result.rssi is None else f"{result.rssi} dBm"
    return f"{name:<24} {result.address:<20} {result.machine_type_label:<16} {signal}"
