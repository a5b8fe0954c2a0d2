"""What `retrowalk run` was asked to do: the command line merged over the config file, checked.

`resolve_options()` refuses every forbidden combination with one ConfigError line (exit 2)
before anything is loaded or connected. `--sim` takes an optional PROFILE; a word after it that
is not a simulator profile is left to be the WORKOUT (`run --sim retro-intro` runs retro-intro
on the default simulator).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from retrowalk.cli.run_terminal import screen_possible
from retrowalk.config import WEIGHT_KG_MAX, WEIGHT_KG_MIN, chosen_units
from retrowalk.errors import ConfigError, did_you_mean
from retrowalk.sinks.speech import KINDS as VOICE_KINDS

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping

    from retrowalk.broker.credentials import Password
    from retrowalk.cli.tui_keys import RemoteKeys
    from retrowalk.config import UserConfig
    from retrowalk.device.api import SpeedUnits
    from retrowalk.ftms.device_info import DeviceInfo
    from retrowalk.units import UnitSystem
    from retrowalk_sim.scenario import Scenario

DEFAULT_SIM = "home"


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
    units: UnitSystem
    mqtt: str | None
    mqtt_ca: Path | None
    treadmill_id: str | None
    remote_control: bool
    remote_control_from: str | None  # where it was armed: "--remote-control" or the config file
    ha_discovery: bool
    keep_walking: bool
    sim_scenario: Scenario | None = None  # --sim-script, loaded and checked
    sim_trace: Path | None = None
    remote_keys: RemoteKeys | None = None  # --remote-keys: learned in config.toml, or common
    record: bool = True  # False: --no-record, no session log (the screen can say so)
    export_dir: Path | None = None  # export_dir in config.toml: a FIT file after a real run
    # config.toml [machines."NAME"]: how each machine reads its speed numbers
    speed_units: Mapping[str, SpeedUnits] = field(default_factory=dict)
    adapter: str | None = None  # --adapter: a bumble HCI transport instead of the system's
    mqtt_password: Password | None = field(default=None, repr=False)  # read once: may be a pipe

    @property
    def confirmed_only_by_typing(self) -> bool:
        """Whether only lines typed on standard input can confirm this run.

        The in-process simulator's console has no hands: only --yes, a remote control or a
        --sim-script pressing its Start confirm besides the person's typed Enter.
        """
        if self.sim is None or self.adapter is not None or self.auto_confirm:
            return False
        script = self.sim_scenario
        pressed = script is not None and any(a.do == "console_start" for a in script.events)
        return not (self.remote_control or pressed)


def resolve_options(args: argparse.Namespace, config: UserConfig) -> RunOptions:  # noqa: C901, PLR0912 - one check per option, in the order of --help
    """Merge the command line over the config file; ConfigError for a forbidden combination."""
    workout, sim = workout_and_sim(args.workout, args.sim)
    screen = screen_possible()
    device = args.device if sim is None else None
    if args.device is not None and sim is not None:
        raise ConfigError(
            "--device and --sim exclude each other: pick a treadmill or the simulator"
        )
    if device is None and sim is None:
        device = config.device
    adapter = _adapter(args, sim)
    if args.fast and args.speedup is not None:
        raise ConfigError("--fast and --speedup exclude each other")
    speedup = 1.0 if args.speedup is None else float(args.speedup)
    if not (math.isfinite(speedup) and 0 < speedup <= 1000):
        raise ConfigError(f"--speedup must be a number above 0 and up to 1000, got {speedup:g}")
    if sim is None:
        if args.fast:
            raise ConfigError("--fast needs --sim: a real treadmill runs in real time")
        # Through --adapter the peer may be `retrowalk sim`: check_peer() asks it after connecting.
        if speedup != 1.0 and adapter is None:
            raise ConfigError(
                "--speedup needs --sim, or `retrowalk sim` behind --adapter: a real treadmill "
                "runs in real time"
            )
        if args.yes and adapter is None:
            raise ConfigError(
                "--yes needs --sim, or `retrowalk sim` behind --adapter: on a real treadmill you "
                "confirm the start and each turn"
            )
    if args.fast and not args.yes:
        raise ConfigError("--fast runs with nobody on the belt to confirm: add --yes")
    weight = args.weight if args.weight is not None else config.weight_kg
    if weight is not None and not (
        math.isfinite(weight) and WEIGHT_KG_MIN <= weight <= WEIGHT_KG_MAX
    ):
        raise ConfigError(
            f"--weight must be a body mass in kg from {WEIGHT_KG_MIN:g} to {WEIGHT_KG_MAX:g}, "
            f"got {weight:g}"
        )
    voice = args.voice or config.voice or ("off" if args.fast else "auto")
    if voice not in VOICE_KINDS:
        raise ConfigError(
            f"--voice {voice!r} is not known{did_you_mean(voice, VOICE_KINDS)}; "
            f"allowed: {', '.join(VOICE_KINDS)}"
        )
    mqtt = args.mqtt or config.mqtt
    remote_from = "--remote-control" if args.remote_control else None
    if remote_from is None and config.remote_control:
        remote_from = "remote_control in the config file"
    ha = bool(args.ha_discovery or config.ha_discovery)
    if mqtt is not None and args.fast:
        # Virtual time jumps over every wait for the network (connect, acknowledgements).
        raise ConfigError("--mqtt needs real time: use --speedup N instead of --fast")
    if mqtt is None and args.remote_control:
        raise ConfigError("--remote-control needs --mqtt URL (remote commands come over MQTT)")
    if mqtt is None and args.ha_discovery:
        raise ConfigError("--ha-discovery needs --mqtt URL")
    hr = args.hr or (config.hr if sim is None and adapter is None else None)
    if args.hr_max is not None and not 60 <= args.hr_max <= 230:
        raise ConfigError(f"--hr-max must be a heart rate from 60 to 230 bpm, got {args.hr_max}")
    if args.hr_max is not None and hr is None:
        raise ConfigError("--hr-max needs a heart-rate strap: add --hr ADDRESS or --hr auto")
    if args.mqtt_ca is not None and mqtt is None:
        raise ConfigError("--mqtt-ca needs --mqtt URL")
    if args.mqtt_password_file is not None and mqtt is None:
        raise ConfigError("--mqtt-password-file needs --mqtt URL")
    scenario = _sim_script(args, sim, hr)
    return RunOptions(
        workout=workout,
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
        plain=args.plain or args.fast or not screen,
        verbose=args.verbose,
        voice=voice,
        units=chosen_units(args.units, config),
        mqtt=mqtt,
        mqtt_ca=args.mqtt_ca,
        treadmill_id=args.treadmill_id or config.treadmill_id,
        remote_control=remote_from is not None and mqtt is not None,
        remote_control_from=remote_from if mqtt is not None else None,
        ha_discovery=ha and mqtt is not None,
        keep_walking=args.keep_walking,
        sim_scenario=scenario,
        sim_trace=args.sim_trace,
        remote_keys=_remote_keys(config) if args.remote_keys else None,
        record=not args.no_record,
        export_dir=Path(config.export_dir).expanduser() if config.export_dir else None,
        speed_units=_speed_units(config),
        adapter=adapter,
        mqtt_password=_mqtt_password(args, config) if mqtt is not None else None,
    )


def check_peer(name: str, info: DeviceInfo, *, yes: bool, speedup: float) -> None:
    """Refuse --yes and --speedup against anything but the simulator; match its time scale.

    Called after connecting to a peer outside this process, before anything moves: its Device
    Information says whether it is `retrowalk sim` and how fast its time runs. A simulator run
    at another speed than this one would see its belt ramp and its notifications at the wrong
    pace, so the two must agree (ConfigError, exit 2, naming the command that fixes it).
    """
    factor = info.time_factor
    if factor is None:
        asked = [flag for flag, on in (("--yes", yes), ("--speedup", speedup != 1.0)) if on]
        if asked:
            verb = "is" if len(asked) == 1 else "are"
            raise ConfigError(
                f"{' and '.join(asked)} {verb} for the simulator, and {name} is a treadmill "
                f"({info.describe()}): on a real belt you confirm the start and each turn, "
                "in real time. Leave out " + " and ".join(asked)
            )
        return
    if not math.isclose(factor, speedup, rel_tol=1e-6):
        raise ConfigError(
            f"the simulator {name} runs {_pace(factor)} and this run {_pace(speedup)}"
            f": give --speedup {factor:g} (or start it with `retrowalk sim --speedup {speedup:g}`)"
        )


def _pace(factor: float) -> str:
    return "in real time" if factor == 1.0 else f"{factor:g} times faster than real time"


def _mqtt_password(args: argparse.Namespace, config: UserConfig) -> Password | None:
    """Return the broker password given apart from the URL (file, environment, config file)."""
    from retrowalk.broker.credentials import find_password  # noqa: PLC0415 - lazy CLI import

    return find_password(
        file=args.mqtt_password_file,
        configured=config.mqtt_password,
        config_source="mqtt_password in the config file",
    )


def _adapter(args: argparse.Namespace, sim: str | None) -> str | None:
    """Check --adapter (a bumble HCI transport) before anything is loaded."""
    spec: str | None = getattr(args, "adapter", None)
    if spec is None:
        return None
    if sim is not None:
        raise ConfigError(
            "--adapter and --sim exclude each other: --sim runs the simulator in this process; "
            "for one behind a Bluetooth stack, start `retrowalk sim --transport "
            "tcp-server:127.0.0.1:PORT` and use --adapter tcp-client:127.0.0.1:PORT"
        )
    if args.hr is not None:
        raise ConfigError("--hr with --adapter is not supported yet: leave out one of them")
    from retrowalk.device.hci_spec import check_adapter  # noqa: PLC0415 - small, no bumble

    return check_adapter(spec)


def _sim_script(args: argparse.Namespace, sim: str | None, hr: str | None) -> Scenario | None:
    """Check --sim-script and --sim-trace; return the loaded scenario (before any connection)."""
    if sim is None and (args.sim_script is not None or args.sim_trace is not None):
        raise ConfigError("--sim-script and --sim-trace need --sim PROFILE")
    from retrowalk.cli import sim_script  # noqa: PLC0415 - the simulator only when asked for

    if args.sim_trace is not None:
        sim_script.check_trace_path(args.sim_trace)
    if args.sim_script is None:
        return None
    scenario = sim_script.load_scenario(args.sim_script)
    sim_script.check_heart_rate(scenario, strap=hr is not None)
    return scenario


def workout_and_sim(workout: str | None, sim: str | None) -> tuple[str, str | None]:
    """Return (WORKOUT, simulator profile), giving back to WORKOUT a word --sim took wrongly.

    `--sim` has an optional value, so `run --sim retro-intro` parses retro-intro as the profile.
    A value that is not a simulator profile, with no WORKOUT after it, is the workout instead.
    A value ending in .json is a capture file, the simulated machine made from it.
    """
    if sim is not None:
        from retrowalk.device.scan import simulator_profiles  # noqa: PLC0415 - simulator on demand

        profiles = simulator_profiles()
        if sim.endswith(".json"):
            from retrowalk_sim.profiles import check_profile  # noqa: PLC0415

            check_profile(sim)  # a capture file (`retrowalk probe`): checked now, exit 2
        elif sim not in profiles:
            if workout is None and not _close_to(sim, profiles):
                return sim, DEFAULT_SIM
            raise ConfigError(
                f"--sim {sim!r} is not a simulator profile{did_you_mean(sim, profiles)}; "
                f"allowed: {', '.join(profiles)}"
            )
    if workout is None:
        raise ConfigError(
            "which workout? give WORKOUT, a file or a library name (`retrowalk library` lists "
            "them), e.g. `retrowalk run retro-intro --sim`"
        )
    return workout, sim


def _close_to(word: str, profiles: list[str]) -> bool:
    """Return whether `word` is a mistyped profile rather than a workout (file or library name)."""
    from retrowalk.workout.library import library_names  # noqa: PLC0415 - lazy CLI import

    if Path(word).expanduser().is_file() or word.removesuffix(".yaml") in library_names():
        return False
    return bool(did_you_mean(word, profiles)) and not did_you_mean(word, library_names())


def workout_path(name: str) -> Path:
    """Return the file of a workout given as a path or a library name."""
    from retrowalk.workout.library import find_workout  # noqa: PLC0415 - lazy CLI import

    candidate = Path(name).expanduser()
    if candidate.is_file():
        return candidate
    if name == "next":
        from retrowalk.cli.cmd_next import due_workout  # noqa: PLC0415 - `run next` only

        return due_workout()  # the workout due in the programme (`retrowalk next` says why)
    return find_workout(name)


def _remote_keys(config: UserConfig) -> RemoteKeys:
    from retrowalk.cli.cmd_keys import remote_from  # noqa: PLC0415 - lazy CLI import

    return remote_from(config.remote_keys)


def _speed_units(config: UserConfig) -> dict[str, SpeedUnits]:
    """Return the configured machines' speed units, by name or address."""
    from retrowalk.device.api import SpeedUnits  # noqa: PLC0415 - light, but only for a run

    return {
        key: SpeedUnits(targets=m.speed_targets, reports=m.speed_reports)
        for key, m in (config.machines or {}).items()
    }
