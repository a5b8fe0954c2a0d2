"""`retrowalk monitor --mqtt URL`: every treadmill in the room, live, in the terminal.

Subscribes to `retrowalk/+/state`, `+/status` and `+/session`. In a terminal it shows a live
Textual table; with `--plain` (or no TTY) it prints the table every `--interval` seconds, and
`--once` prints it once after collecting the retained messages.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from retrowalk.errors import EXIT_OK, ConfigError

if TYPE_CHECKING:
    import argparse
    from collections.abc import AsyncIterator, Callable

    from retrowalk.sinks.mqtt_room import Room

    RoomFeed = AsyncIterator[tuple[str, str, bytes]]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk monitor`."""
    p = subparsers.add_parser(
        "monitor",
        help="watch every treadmill on an MQTT broker",
        description="A room view of every treadmill publishing to the broker: status, state, "
        "step, direction, speed, incline, heart rate, distance and time left.",
    )
    p.add_argument("--mqtt", required=True, metavar="URL", help="mqtt[s]://[user:pass@]host[:port]")
    p.add_argument("--ca-file", type=Path, metavar="PEM", help="CA certificate for mqtts://")
    p.add_argument("--plain", action="store_true", help="print a table instead of the live view")
    p.add_argument(
        "--interval", type=float, default=2.0, metavar="S", help="plain mode: print every S s"
    )
    p.add_argument(
        "--once", action="store_true", help="print the table once (after --wait s) and exit"
    )
    p.add_argument(
        "--wait", type=float, default=1.0, metavar="S", help="with --once: listen this long first"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Watch the room until interrupted (or once)."""
    from retrowalk.sinks.mqtt import Broker, watch_room  # noqa: PLC0415 - lazy CLI

    if not args.interval > 0 or not args.wait > 0:
        raise ConfigError("--interval and --wait must be positive numbers of seconds")
    broker = Broker.from_url(args.mqtt, ca_file=args.ca_file)
    _configure_logging()
    if args.plain or args.once or not sys.stdout.isatty():
        return asyncio.run(
            monitor_plain(
                lambda: watch_room(broker),
                sys.stdout,
                title=broker.display,
                interval_s=args.interval,
                once_after_s=args.wait if args.once else None,
            )
        )
    from retrowalk.cli.monitor_app import MonitorApp  # noqa: PLC0415 - textual loads only here

    MonitorApp(lambda: watch_room(broker), title=f"retrowalk room - {broker.display}").run()
    return EXIT_OK


async def monitor_plain(
    feed: Callable[[], RoomFeed],
    out: TextIO,
    *,
    title: str,
    interval_s: float = 2.0,
    once_after_s: float | None = None,
) -> int:
    """Print the room table every `interval_s` (or once after `once_after_s`) from `feed()`."""
    from retrowalk.sinks.mqtt_room import Room  # noqa: PLC0415 - lazy CLI

    room = Room()
    loop = asyncio.get_running_loop()
    async with asyncio.TaskGroup() as tg:
        listener = tg.create_task(_listen(feed(), room), name="monitor-listen")
        try:
            if once_after_s is not None:
                await asyncio.sleep(once_after_s)
                _print(room, out, title, loop.time())
                return EXIT_OK
            deadline = loop.time()
            while True:
                _print(room, out, title, loop.time())
                deadline += interval_s
                await asyncio.sleep(max(0.0, deadline - loop.time()))
        finally:
            listener.cancel()


async def _listen(feed: RoomFeed, room: Room) -> None:
    loop = asyncio.get_running_loop()
    async for treadmill_id, leaf, payload in feed:
        room.update(treadmill_id, leaf, payload, loop.time())


def _print(room: Room, out: TextIO, title: str, now: float) -> None:
    from retrowalk.sinks.mqtt_room import render_table  # noqa: PLC0415 - lazy CLI

    rows = room.rows(now)
    out.write(f"retrowalk room at {title}: {len(rows)} treadmill(s)\n")
    out.write(render_table(rows) + "\n\n")
    out.flush()


def _configure_logging() -> None:
    """Show broker warnings on stderr unless the embedding program set logging up."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("retrowalk: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
