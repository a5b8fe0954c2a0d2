"""`retrowalk run WORKOUT`: run a workout on a treadmill or on the simulator.

This module is the command line only. Everything the user typed is checked before anything
connects (run_options, then run_prepare: exit 2 and one clear line); then
`run_session.session()` connects, drives the engine and feeds the sinks. Exit codes:
0 the workout finished, 1 it was aborted (stop, emergency stop, device failure mid-run),
2 bad input, 3 no treadmill / device error before the start, 130 interrupted by Ctrl-C
(143 kill, 129 a closed terminal).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from retrowalk.sinks.speech import KINDS as VOICE_KINDS
from retrowalk.units import UNIT_SYSTEMS

if TYPE_CHECKING:
    import argparse

    from retrowalk.cli.run_options import RunOptions


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk run`."""
    p = subparsers.add_parser(
        "run",
        help="run a workout on a treadmill or the simulator",
        description="Run WORKOUT (a YAML file or a library name such as retro-intro) on an FTMS "
        "treadmill, or on the simulated one with --sim. The belt never starts by itself: you "
        "confirm the start and every turn-around (Enter), unless --yes (simulator only). "
        "Ctrl-C stops the belt, saves the session and exits 130.",
        epilog="Defaults (profile, weight_kg, device, hr, voice, units, mqtt, mqtt_password, "
        "treadmill_id, remote_control, ha_discovery) come from config.toml in the user config "
        "folder "
        "(~/.config/retrowalk on Linux; RETROWALK_CONFIG names another file). Sessions are "
        "saved in the user data folder (RETROWALK_DATA_DIR overrides it); list them with "
        "`retrowalk sessions`. Exit codes: 0 finished, 1 aborted, 2 bad input, 3 treadmill "
        "not found or failed, 130 interrupted.",
    )
    # Optional to argparse only so that `--sim WORKOUT` can give the word back (run_options).
    p.add_argument("workout", nargs="?", metavar="WORKOUT", help="workout file or library name")
    p.add_argument("--device", metavar="ADDRESS|NAME", help="treadmill address or name")
    p.add_argument(
        "--sim",
        nargs="?",
        const="home",
        default=None,
        metavar="PROFILE",
        help="use the simulated treadmill (profile: home, the default, walking-pad, "
        "kingsmith, ..., or a capture file FILE.json from `retrowalk probe`); a WORKOUT right "
        "after --sim is taken as the workout",
    )
    p.add_argument(
        "--adapter",
        metavar="SPEC",
        help="reach the treadmill through bumble's Bluetooth stack on this HCI transport: "
        "tcp-client:HOST:PORT (a `retrowalk sim --transport tcp-server:...`) or usb:0",
    )
    p.add_argument(
        "--profile",
        metavar="P",
        help="safety profile: beginner, standard, advanced, supervised (default: the one the "
        "workout declares, but never looser than standard)",
    )
    p.add_argument("--weight", type=float, metavar="KG", help="body mass for the energy estimate")
    p.add_argument("--hr", metavar="ADDRESS|auto", help="heart-rate strap (auto: the first found)")
    p.add_argument(
        "--hr-max",
        type=int,
        metavar="BPM",
        help="hold the workout while the heart rate stays above",
    )
    p.add_argument(
        "--clamp", action="store_true", help="fit targets into the machine's range (warn each)"
    )
    p.add_argument("--fast", action="store_true", help="virtual time: run at once (with --sim)")
    p.add_argument("--speedup", type=float, metavar="N", help="run N times faster (with --sim)")
    p.add_argument("--yes", action="store_true", help="confirm automatically (with --sim only)")
    p.add_argument("--plain", action="store_true", help="print lines instead of the screen app")
    p.add_argument("--verbose", "-v", action="store_true", help="print every event (plain mode)")
    p.add_argument("--voice", metavar="KIND", help=f"spoken cues: {', '.join(VOICE_KINDS)}")
    p.add_argument(
        "--units",
        choices=UNIT_SYSTEMS,
        help="km/h and metres, or mph and miles, on the screen, in the voice and the summary "
        "(default: units in the config file, else from the locale)",
    )
    p.add_argument("--mqtt", metavar="URL", help="publish to mqtt[s]://[user@]host[:port]")
    p.add_argument(
        "--mqtt-password-file",
        type=Path,
        metavar="FILE",
        help="read the broker password from FILE (or set RETROWALK_MQTT_PASSWORD)",
    )
    p.add_argument("--mqtt-ca", type=Path, metavar="FILE", help="CA file for mqtts:// brokers")
    p.add_argument("--treadmill-id", metavar="ID", help="MQTT topic id (default: from device)")
    p.add_argument(
        "--remote-control", action="store_true", help="allow remote start/resume over MQTT"
    )
    p.add_argument(
        "--ha-discovery", action="store_true", help="announce to Home Assistant over MQTT"
    )
    p.add_argument("--keep-walking", action="store_true", help="leave the belt running at the end")
    p.add_argument(
        "--sim-script",
        type=Path,
        metavar="FILE.yaml",
        help="play a fault scenario on the simulated treadmill (README: the simulator)",
    )
    p.add_argument(
        "--sim-trace",
        type=Path,
        metavar="FILE.jsonl",
        help="write the simulated treadmill's ground truth (belt, writes, faults) as JSON Lines",
    )
    p.add_argument(
        "--remote-keys",
        action="store_true",
        help="a handheld remote's keys confirm, pause and stop (see `retrowalk keys`)",
    )
    p.add_argument(
        "--voice-test", action="store_true", help="speak a test sentence before connecting"
    )
    p.add_argument(
        "--no-record",
        action="store_true",
        help="save no session log (without it, a data folder that cannot be written or is "
        "nearly full refuses the run)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check everything, then run the session on the loop the time mode asks for."""
    # Heavy imports here, so `retrowalk --help` stays fast.
    from retrowalk.cli import run_session  # noqa: PLC0415 - lazy CLI import
    from retrowalk.cli.run_options import resolve_options  # noqa: PLC0415 - lazy CLI import
    from retrowalk.cli.run_prepare import prepare  # noqa: PLC0415 - lazy CLI import
    from retrowalk.config import load_config  # noqa: PLC0415 - lazy CLI import
    from retrowalk.engine import clock  # noqa: PLC0415 - lazy CLI import

    options = resolve_options(args, load_config())
    _someone_can_confirm(options)
    if args.voice_test:
        from retrowalk.cli.cmd_voice import voice_test  # noqa: PLC0415 - lazy CLI import

        voice_test(options.voice, out=sys.stderr)
    _configure_logging(plain=options.plain)
    prepared = prepare(options)
    _warn_if_password_in_url(args.mqtt)  # typed on the command line: `ps` shows it
    result = clock.run(
        lambda: run_session.session(prepared), fast=options.fast, speedup=options.speedup
    )
    return result.exit_code


def _someone_can_confirm(options: RunOptions) -> None:
    """Refuse a run whose start nobody could ever confirm (exit 2).

    Only typed lines could confirm it, and standard input is /dev/null, a file or closed.
    """
    from retrowalk.cli.run_terminal import stdin_can_bring_lines  # noqa: PLC0415 - lazy
    from retrowalk.errors import ConfigError  # noqa: PLC0415 - lazy

    if options.confirmed_only_by_typing and not stdin_can_bring_lines():
        raise ConfigError(
            "--sim without --yes waits for you to confirm the start and each turn (Enter), and "
            "standard input is not a terminal or a pipe, so nothing typed can reach it: add "
            "--yes to let the simulated person confirm, or run it from a terminal"
        )


def _warn_if_password_in_url(url: str | None) -> None:
    """Say once that a password typed into --mqtt is visible to every user (ps)."""
    from retrowalk.broker.credentials import VISIBLE_PASSWORD_WARNING  # noqa: PLC0415 - lazy
    from retrowalk.broker.url import password_in_url  # noqa: PLC0415 - lazy CLI import

    if url is not None and password_in_url(url):
        print(VISIBLE_PASSWORD_WARNING, file=sys.stderr, flush=True)


def _configure_logging(*, plain: bool) -> None:
    """Send library warnings to stderr as `retrowalk: ...` lines, but never over the screen app.

    The engine also publishes what matters as Notice events, which the app shows and the
    session log keeps.
    """
    import logging  # noqa: PLC0415 - lazy CLI import

    root = logging.getLogger()
    if root.handlers:
        return  # the embedding program (or a test harness) configured logging
    handler: logging.Handler = logging.StreamHandler(sys.stderr) if plain else logging.NullHandler()
    from retrowalk.cli.run_terminal import OneLineFormatter  # noqa: PLC0415 - lazy CLI import

    handler.setFormatter(OneLineFormatter("retrowalk: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
