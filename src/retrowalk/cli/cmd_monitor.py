"""`retrowalk monitor --mqtt URL`: every treadmill in the room, live, in the terminal.

Subscribes to `retrowalk/+/state`, `+/status` and `+/session`. In a terminal it shows a live
Textual table; with `--plain` (or no TTY) it prints the table every `--interval` seconds, and
`--once` prints it once after collecting the retained messages. The broker URL comes from
`--mqtt` or the `mqtt` setting of the user config file, the password from
`--mqtt-password-file`, `RETROWALK_MQTT_PASSWORD`, `mqtt_password` in the config file or the URL
(see `retrowalk.broker.credentials`). An unreachable broker is shown (the URL without password)
and retried in the live views; `--once` exits 3 with one line instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from retrowalk.errors import EXIT_OK, ConfigError, DeviceError

if TYPE_CHECKING:
    import argparse
    from collections.abc import AsyncGenerator, Callable

    from retrowalk.broker.url import Broker
    from retrowalk.room.model import Link, Room

    RoomFeed = AsyncGenerator[tuple[str, str, bytes], None]

# --once: how long the first connection may take (the client's own CONNACK wait is 5 s).
CONNECT_WAIT_S = 6.0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk monitor`."""
    p = subparsers.add_parser(
        "monitor",
        help="watch every treadmill on an MQTT broker",
        description="A room view of every treadmill publishing to the broker: status, state, "
        "step, direction, speed, incline, heart rate, distance and time left.",
    )
    p.add_argument(
        "--mqtt",
        metavar="URL",
        help="mqtt[s]://[user@]host[:port] (default: the mqtt setting of the config file)",
    )
    p.add_argument(
        "--mqtt-password-file",
        type=Path,
        metavar="FILE",
        help="read the broker password from FILE (or set RETROWALK_MQTT_PASSWORD)",
    )
    p.add_argument("--ca-file", type=Path, metavar="PEM", help="CA certificate for mqtts://")
    p.add_argument("--plain", action="store_true", help="print a table instead of the live view")
    p.add_argument(
        "--interval", type=float, default=2.0, metavar="S", help="plain mode: print every S s"
    )
    p.add_argument(
        "--once",
        action="store_true",
        help="print the table once (after --wait s) and exit; exit 3 if the broker is unreachable",
    )
    p.add_argument(
        "--wait", type=float, default=1.0, metavar="S", help="with --once: listen this long first"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Watch the room until interrupted (or once)."""
    from retrowalk.broker.credentials import VISIBLE_PASSWORD_WARNING  # noqa: PLC0415 - lazy CLI
    from retrowalk.broker.url import password_in_url  # noqa: PLC0415 - lazy CLI
    from retrowalk.room.model import Link  # noqa: PLC0415 - lazy CLI
    from retrowalk.room.watch import watch_room  # noqa: PLC0415 - lazy CLI

    if not args.interval > 0 or not args.wait > 0:
        raise ConfigError("--interval and --wait must be positive numbers of seconds")
    broker = _broker(args)
    if args.mqtt is not None and password_in_url(args.mqtt):
        print(VISIBLE_PASSWORD_WARNING, file=sys.stderr, flush=True)
    link = Link(broker.display)
    plain = args.plain or args.once or not sys.stdout.isatty()
    # --once reports an unreachable broker in its one error line; the live views show it.
    _configure_logging(logging.ERROR if args.once else logging.WARNING, screen=not plain)
    if plain:
        return asyncio.run(
            monitor_plain(
                lambda: watch_room(broker, link=link),
                sys.stdout,
                title=broker.display,
                interval_s=args.interval,
                once_after_s=args.wait if args.once else None,
                link=link,
            )
        )
    from retrowalk.cli.monitor_app import MonitorApp  # noqa: PLC0415 - textual loads only here

    app = MonitorApp(
        lambda: watch_room(broker, link=link),
        title=f"retrowalk room - {broker.display}",
        link=link,
    )
    app.run()
    return EXIT_OK


def _broker(args: argparse.Namespace) -> Broker:
    """Return the broker from --mqtt or the config file, with its password; ConfigError if none."""
    from retrowalk.broker.credentials import find_password  # noqa: PLC0415 - lazy CLI
    from retrowalk.broker.url import Broker  # noqa: PLC0415 - lazy CLI
    from retrowalk.config import config_path, load_config  # noqa: PLC0415 - lazy CLI

    config = load_config()
    url, where = args.mqtt, "--mqtt"
    if url is None:
        url, where = config.mqtt, f"mqtt in {config_path()}"
    if url is None:
        raise ConfigError(
            "no MQTT broker to watch: give --mqtt mqtt://host[:port], or set "
            f'mqtt = "mqtt://host" in {config_path()}'
        )
    password = find_password(
        file=args.mqtt_password_file,
        configured=config.mqtt_password,
        config_source=f"mqtt_password in {config_path()}",
    )
    return Broker.from_url(url, password=password, ca_file=args.ca_file, where=where)


async def monitor_plain(  # noqa: PLR0913 - each option is a separate user-facing setting
    feed: Callable[[], RoomFeed],
    out: TextIO,
    *,
    title: str,
    interval_s: float = 2.0,
    once_after_s: float | None = None,
    link: Link | None = None,
    connect_s: float = CONNECT_WAIT_S,
) -> int:
    """Print the room table every `interval_s` (or once after `once_after_s`) from `feed()`.

    With `link` (updated by the feed): the live table says when the broker cannot be reached,
    and `--once` raises DeviceError (exit 3) if the first connection fails or takes over
    `connect_s` seconds.
    """
    from retrowalk.room.model import Room  # noqa: PLC0415 - lazy CLI

    room = Room()
    loop = asyncio.get_running_loop()
    failure: str | None = None
    async with asyncio.TaskGroup() as tg:
        listener = tg.create_task(_listen(feed(), room), name="monitor-listen")
        try:
            if once_after_s is None:
                deadline = loop.time()
                while True:
                    _print(room, out, title, loop.time(), link)
                    deadline += interval_s
                    await asyncio.sleep(max(0.0, deadline - loop.time()))
            if link is not None:
                failure = await _first_connection(link, max(connect_s, once_after_s))
            if failure is None:
                await asyncio.sleep(once_after_s)
                _print(room, out, title, loop.time(), link)
        finally:
            listener.cancel()
    if failure is not None:  # raised outside the TaskGroup: one plain error, not a group
        raise DeviceError(failure)
    return EXIT_OK


async def _first_connection(link: Link, within_s: float) -> str | None:
    """Wait for the first connection outcome; return why it failed, or None once connected."""
    try:
        async with asyncio.timeout(within_s):
            while link.state == "connecting":
                link.changed.clear()
                await link.changed.wait()
    except TimeoutError:
        return f"cannot reach the MQTT broker at {link.where}: no answer within {within_s:g} s"
    if link.state != "connected":
        return f"cannot reach the MQTT broker at {link.where}: {link.problem}"
    return None


async def _listen(feed: RoomFeed, room: Room) -> None:
    loop = asyncio.get_running_loop()
    async with contextlib.aclosing(feed):  # the feed holds a broker connection
        async for treadmill_id, leaf, payload in feed:
            room.update(treadmill_id, leaf, payload, loop.time())


def _print(room: Room, out: TextIO, title: str, now: float, link: Link | None) -> None:
    from retrowalk.room.model import render_table  # noqa: PLC0415 - lazy CLI

    rows = room.rows(now)
    out.write(f"retrowalk room at {title}: {len(rows)} treadmill(s)\n")
    if link is not None and link.state != "connected":
        out.write(f"! {link.describe()}\n")
    out.write(render_table(rows) + "\n\n")
    out.flush()


def _configure_logging(level: int, *, screen: bool) -> None:
    """Show broker warnings on stderr (nothing under the full-screen view, which shows them).

    Left alone when the embedding program set logging up.
    """
    root = logging.getLogger()
    if root.handlers:
        return
    if screen:  # stderr would scribble over the screen; a handler also silences lastResort
        root.addHandler(logging.NullHandler())
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("retrowalk: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
