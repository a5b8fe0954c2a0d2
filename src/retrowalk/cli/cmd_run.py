"""`retrowalk run WORKOUT`: run a workout on a treadmill or on the simulator.

Everything the user typed is checked before anything connects (exit 2 and one clear line);
then `run_session.session()` connects, drives the engine and feeds the sinks. Exit codes:
0 the workout finished, 1 it was aborted (stop, emergency stop, device failure mid-run),
2 bad input, 3 no treadmill / device error before the start, 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import logging
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from retrowalk.errors import ConfigError

if TYPE_CHECKING:
    import argparse

    from retrowalk.broker.credentials import Password
    from retrowalk.config import UserConfig

VOICE_KINDS = ("auto", "espeak", "say", "sapi", "bell", "off")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk run`."""
    p = subparsers.add_parser(
        "run",
        help="run a workout on a treadmill or the simulator",
        description="Run WORKOUT (a YAML file or a library name such as retro-intro) on an FTMS "
        "treadmill, or on the simulated one with --sim. The belt never starts by itself: you "
        "confirm the start and every turn-around (Enter), unless --yes (simulator only). "
        "Ctrl-C stops the belt, saves the session and exits 130.",
        epilog="Defaults (profile, weight_kg, device, hr, voice, mqtt, treadmill_id, "
        "remote_control, ha_discovery) come from config.toml in the user config folder "
        "(~/.config/retrowalk on Linux; RETROWALK_CONFIG names another file). Sessions are "
        "saved in the user data folder (RETROWALK_DATA_DIR overrides it); list them with "
        "`retrowalk sessions`. Exit codes: 0 finished, 1 aborted, 2 bad input, 3 treadmill "
        "not found or failed, 130 interrupted.",
    )
    p.add_argument("workout", metavar="WORKOUT", help="workout file or library name")
    p.add_argument("--device", metavar="ADDRESS|NAME", help="treadmill address or name")
    p.add_argument(
        "--sim",
        nargs="?",
        const="home",
        default=None,
        metavar="PROFILE",
        help="use the simulated treadmill (profile: home, walking-pad, kingsmith, ...)",
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
    p.set_defaults(func=run)


@dataclass(frozen=True)
class RunOptions:
    """What `retrowalk run` was asked to do, checked and merged with the config file."""

    workout: str
    device: str | None
    sim: str | None
    profile: str | None  # None: the workout's own, if no looser than "standard"
    weight_kg: float | None
    hr: str | None
    hr_max_bpm: int | None
    clamp: bool
    fast: bool
    speedup: float
    auto_confirm: bool
    plain: bool
    verbose: bool
    voice: str
    mqtt: str | None
    mqtt_ca: Path | None
    treadmill_id: str | None
    remote_control: bool
    ha_discovery: bool
    keep_walking: bool
    mqtt_password: Password | None = field(default=None, repr=False)  # read once: may be a pipe


def resolve_options(args: argparse.Namespace, config: UserConfig) -> RunOptions:  # noqa: C901, PLR0912 - one check per option, in the order of --help
    """Merge the command line over the config file; ConfigError for a forbidden combination."""
    sim: str | None = args.sim
    device = args.device if sim is None else None
    if args.device is not None and sim is not None:
        raise ConfigError(
            "--device and --sim exclude each other: pick a treadmill or the simulator"
        )
    if device is None and sim is None:
        device = config.device
    if args.fast and args.speedup is not None:
        raise ConfigError("--fast and --speedup exclude each other")
    speedup = 1.0 if args.speedup is None else float(args.speedup)
    if not (math.isfinite(speedup) and 0 < speedup <= 1000):
        raise ConfigError(f"--speedup must be a number above 0 and up to 1000, got {speedup:g}")
    if sim is None:
        if args.fast:
            raise ConfigError("--fast needs --sim: a real treadmill runs in real time")
        if speedup != 1.0:
            raise ConfigError("--speedup needs --sim: a real treadmill runs in real time")
        if args.yes:
            raise ConfigError(
                "--yes needs --sim: on a real treadmill you confirm the start and each turn"
            )
    if args.fast and not args.yes:
        raise ConfigError("--fast runs with nobody on the belt to confirm: add --yes")
    weight = args.weight if args.weight is not None else config.weight_kg
    if weight is not None and not (math.isfinite(weight) and 20 <= weight <= 300):
        raise ConfigError(f"--weight must be a body mass in kg from 20 to 300, got {weight:g}")
    voice = args.voice or config.voice or ("off" if args.fast else "auto")
    if voice not in VOICE_KINDS:
        raise ConfigError(f"--voice {voice!r} is not known; allowed: {', '.join(VOICE_KINDS)}")
    mqtt = args.mqtt or config.mqtt
    remote = bool(args.remote_control or config.remote_control)
    ha = bool(args.ha_discovery or config.ha_discovery)
    if mqtt is not None and args.fast:
        # Virtual time jumps over every wait for the network (connect, acknowledgements).
        raise ConfigError("--mqtt needs real time: use --speedup N instead of --fast")
    if mqtt is None and args.remote_control:
        raise ConfigError("--remote-control needs --mqtt URL (remote commands come over MQTT)")
    if mqtt is None and args.ha_discovery:
        raise ConfigError("--ha-discovery needs --mqtt URL")
    hr = args.hr or (config.hr if sim is None else None)
    if args.hr_max is not None and not 60 <= args.hr_max <= 230:
        raise ConfigError(f"--hr-max must be a heart rate from 60 to 230 bpm, got {args.hr_max}")
    if args.hr_max is not None and hr is None:
        raise ConfigError("--hr-max needs a heart-rate strap: add --hr ADDRESS or --hr auto")
    if args.mqtt_ca is not None and mqtt is None:
        raise ConfigError("--mqtt-ca needs --mqtt URL")
    if args.mqtt_password_file is not None and mqtt is None:
        raise ConfigError("--mqtt-password-file needs --mqtt URL")
    return RunOptions(
        workout=args.workout,
        device=device,
        sim=sim,
        profile=args.profile or config.profile,
        weight_kg=weight,
        hr=hr,
        hr_max_bpm=args.hr_max,
        clamp=args.clamp,
        fast=args.fast,
        speedup=speedup,
        auto_confirm=args.yes,
        plain=args.plain or args.fast or not sys.stdout.isatty(),
        verbose=args.verbose,
        voice=voice,
        mqtt=mqtt,
        mqtt_ca=args.mqtt_ca,
        treadmill_id=args.treadmill_id or config.treadmill_id,
        remote_control=remote and mqtt is not None,
        ha_discovery=ha and mqtt is not None,
        keep_walking=args.keep_walking,
        mqtt_password=_mqtt_password(args, config) if mqtt is not None else None,
    )


def _mqtt_password(args: argparse.Namespace, config: UserConfig) -> Password | None:
    """Return the broker password given apart from the URL (file, environment, config file)."""
    from retrowalk.broker.credentials import find_password  # noqa: PLC0415 - lazy CLI import

    source = f"mqtt_password in {config.source}" if config.source else "mqtt_password"
    return find_password(
        file=args.mqtt_password_file, configured=config.mqtt_password, config_source=source
    )


def run(args: argparse.Namespace) -> int:
    """Check everything, then run the session on the loop the time mode asks for."""
    # Heavy imports here, so `retrowalk --help` stays fast.
    from retrowalk.cli import run_session  # noqa: PLC0415 - lazy CLI import
    from retrowalk.config import load_config  # noqa: PLC0415 - lazy CLI import
    from retrowalk.engine import clock  # noqa: PLC0415 - lazy CLI import

    options = resolve_options(args, load_config())
    _configure_logging(plain=options.plain)
    prepared = run_session.prepare(options)
    _warn_if_password_in_url(args.mqtt)
    outcome = clock.run(
        lambda: run_session.session(prepared), fast=options.fast, speedup=options.speedup
    )
    return outcome.exit_code


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
    root = logging.getLogger()
    if root.handlers:
        return  # the embedding program (or a test harness) configured logging
    handler: logging.Handler = logging.StreamHandler(sys.stderr) if plain else logging.NullHandler()
    handler.setFormatter(logging.Formatter("retrowalk: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def workout_path(name: str) -> Path:
    """Return the file of a workout given as a path or a library name."""
    from retrowalk.workout.library import find_workout  # noqa: PLC0415 - lazy CLI import

    candidate = Path(name).expanduser()
    if candidate.is_file():
        return candidate
    return find_workout(name)
