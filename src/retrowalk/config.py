"""The user's config file: defaults for `retrowalk run` (profile, weight, MQTT, voice, units, ...).

The file is TOML at platformdirs' user config dir (`~/.config/retrowalk/config.toml` on Linux),
or the file the environment variable RETROWALK_CONFIG names (which then must exist). A missing
file at the default place means no defaults. The file is read into `UserConfig`, a pydantic
model; every problem in it is reported at once, each naming the file, the key and what is
allowed (a ConfigError, exit 2). Command-line options always win over the file.

    profile = "standard"          # safety profile
    weight_kg = 72.5              # body mass for the energy estimate
    device = "AA:BB:CC:DD:EE:FF"  # treadmill address or name
    hr = "auto"                   # heart-rate strap address, or "auto"
    voice = "espeak"              # auto, espeak, say, sapi, bell, off
    units = "imperial"            # metric or imperial (default: from the locale)
    mqtt = "mqtt://lane-3@gym"    # publish telemetry here (as MQTT user lane-3)
    mqtt_password = "..."         # that user's password (keep this file private)
    treadmill_id = "lane-3"       # MQTT topic id of this treadmill
    remote_control = false        # arm remote start/resume over MQTT
    ha_discovery = false          # Home Assistant discovery
    export_dir = "~/fit"          # write a FIT file of every real run here

    [remote_keys]                 # a handheld remote's buttons (`retrowalk keys learn`)
    confirm = ["pagedown"]
    pause = ["pageup"]
    stop = ["b"]
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from retrowalk.errors import ConfigError, did_you_mean
from retrowalk.units import MAX_BODY_MASS_KG, MIN_BODY_MASS_KG, UnitSystem

if TYPE_CHECKING:
    from collections.abc import Mapping

CONFIG_ENV = "RETROWALK_CONFIG"
MAX_BYTES = 1024 * 1024  # a config file is a few lines; more is a wrong file (or /dev/zero)
WEIGHT_KG_MIN, WEIGHT_KG_MAX = MIN_BODY_MASS_KG, MAX_BODY_MASS_KG  # units.py: the one range

Voice = Literal["auto", "espeak", "say", "sapi", "bell", "off"]
VOICE_KINDS: tuple[str, ...] = get_args(Voice)
ProfileName = Literal["beginner", "standard", "advanced", "supervised"]
_Text = Annotated[str, Field(min_length=1)]

# Settings whose values are never repeated in a message (a broker URL can hold a password).
_SECRET = frozenset({"mqtt", "mqtt_password"})


SpeedUnitName = Literal["kmh", "mph"]


class MachineSettings(BaseModel):
    """How one treadmill reads its speed numbers: `[machines."NAME or ADDRESS"]` in config.toml."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    speed_targets: SpeedUnitName = Field(
        "kmh",
        description='"kmh" or "mph" (a console that reads the target speeds it is sent as mph)',
    )
    speed_reports: SpeedUnitName = Field(
        "kmh", description='"kmh" or "mph" (a machine that also reports its speeds in mph)'
    )


class UserConfig(BaseModel):
    """Defaults read from the config file; None means "not set". Each field says what it takes."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, str_strip_whitespace=True)

    profile: ProfileName | None = Field(
        None, description="one of beginner, standard, advanced, supervised"
    )
    weight_kg: Annotated[float, Field(ge=WEIGHT_KG_MIN, le=WEIGHT_KG_MAX)] | None = Field(
        None, description=f"a body mass in kg from {WEIGHT_KG_MIN:g} to {WEIGHT_KG_MAX:g}"
    )
    device: _Text | None = Field(None, description="a treadmill address or name, as text")
    hr: _Text | None = Field(None, description='a heart-rate strap address, or "auto"')
    voice: Voice | None = Field(None, description=f"one of {', '.join(VOICE_KINDS)}")
    units: UnitSystem | None = Field(None, description='"metric" or "imperial"')
    mqtt: _Text | None = Field(None, description='a broker URL such as "mqtt://broker.local"')
    mqtt_password: str | None = Field(
        None, min_length=1, repr=False, description="the broker user's password, as text"
    )
    treadmill_id: _Text | None = Field(None, description="the MQTT topic id, as text")
    remote_control: bool | None = Field(None, description="true or false")
    ha_discovery: bool | None = Field(None, description="true or false")
    export_dir: _Text | None = Field(
        None, description="a folder for a FIT file of every real run, as text"
    )
    remote_keys: dict[str, Any] | None = Field(
        None, description="a table of confirm, pause and stop to key names (retrowalk keys learn)"
    )  # what the actions and keys may be: cli/tui_keys.parse_remote_keys
    machines: dict[str, MachineSettings] | None = Field(
        None, description='tables [machines."NAME or ADDRESS"] with speed_targets, speed_reports'
    )


ALLOWED_KEYS = tuple(sorted(UserConfig.model_fields))


def config_path() -> Path:
    """Return where the config file is looked for (RETROWALK_CONFIG overrides)."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs  # noqa: PLC0415 - only where no file is named

    return Path(platformdirs.user_config_dir("retrowalk")) / "config.toml"


def load_config(path: Path | None = None) -> UserConfig:
    """Read the config file; empty defaults when the default file does not exist.

    A file named by `path` or by RETROWALK_CONFIG must exist: naming a file that is not there
    is a mistake the person wants to hear about.
    """
    via = f" (named by {CONFIG_ENV})" if path is None and os.environ.get(CONFIG_ENV) else ""
    named = path is not None or bool(via)
    path = config_path() if path is None else path
    try:
        raw = _read(path)
    except FileNotFoundError:
        if not named:
            return UserConfig()
        raise ConfigError(f"{path}: no such config file{via}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))  # a byte-order mark (Notepad) is fine
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse_config(data, path)


def _read(path: Path) -> bytes:
    """Return the file's bytes; ConfigError for a pipe, a socket or a file past MAX_BYTES."""
    # Opened without blocking: a FIFO with no writer would otherwise hang the command.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as file:
        mode = os.fstat(fd).st_mode
        if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISDIR(mode):
            raise ConfigError(f"{path}: not a config file (a pipe, socket or folder)")
        raw = file.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_BYTES // 1024} KiB, not a config file")
    return raw


def parse_config(data: Mapping[str, Any], path: Path) -> UserConfig:
    """Return the config in `data` (read from `path`); one ConfigError listing every problem."""
    try:
        return UserConfig.model_validate(data)
    except ValidationError as exc:
        # In the file's order of keys, unknown ones included; one line per key.
        order = {key: i for i, key in enumerate(data)}
        errors = sorted(exc.errors(), key=lambda e: order.get(str(e["loc"][0]), len(order)))
        problems = list(dict.fromkeys(_problem(error, data) for error in errors))
    if len(problems) == 1:
        raise ConfigError(f"{path}: {problems[0]}")
    listed = "\n".join(f"  {problem}" for problem in problems)
    raise ConfigError(f"{path}: {len(problems)} problems in the config file:\n{listed}")


def _problem(error: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    """Return `key: what is wrong; what is allowed` for one pydantic error, in our words."""
    loc = error["loc"]
    if loc[0] == "machines" and len(loc) > 1:  # inside a [machines."NAME"] table
        return _machine_problem(error, data)
    key = ".".join(str(part) for part in loc)
    if error["type"] == "extra_forbidden":
        hint = did_you_mean(key, ALLOWED_KEYS)
        return f"{key}: unknown setting{hint}; allowed settings: {', '.join(ALLOWED_KEYS)}"
    field = UserConfig.model_fields.get(str(error["loc"][0]))
    allowed = field.description if field is not None and field.description else "see the docs"
    value = data.get(str(error["loc"][0]))
    got = "" if key in _SECRET else f", not {_toml(value)}"
    return f"{key}: must be {allowed}{got}"


def _machine_problem(error: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    """Return the problem of one `[machines."NAME"]` table or setting, named as in the file."""
    machine = str(error["loc"][1])
    machines = data.get("machines")
    table = machines.get(machine) if isinstance(machines, dict) else None
    allowed_keys = tuple(MachineSettings.model_fields)
    if len(error["loc"]) == 2:  # machines.NAME itself, not one of its settings
        return (
            f'machines."{machine}": must be a table with {", ".join(allowed_keys)}, '
            f"not {_toml(table)}"
        )
    setting = str(error["loc"][2])
    key = f'machines."{machine}".{setting}'
    if error["type"] == "extra_forbidden":
        hint = did_you_mean(setting, allowed_keys)
        return f"{key}: unknown setting{hint}; allowed settings: {', '.join(allowed_keys)}"
    field = MachineSettings.model_fields[setting]
    value = table.get(setting) if isinstance(table, dict) else None
    return f"{key}: must be {field.description}, not {_toml(value)}"


def _toml(value: object) -> str:
    """Return `value` as it reads in a TOML file (true, "text", 72.5)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


# Where people read mph and miles: the US, Liberia and Myanmar (CLDR's "measurementSystem").
_IMPERIAL_TERRITORIES = frozenset({"US", "LR", "MM"})


def chosen_units(flag: UnitSystem | None, config: UserConfig) -> UnitSystem:
    """Return the unit system to show: --units, else units in the config file, else the locale."""
    return flag or config.units or default_units(os.environ)


def default_units(environ: Mapping[str, str]) -> UnitSystem:
    """Return the unit system of the locale in `environ` (LC_ALL, LC_MEASUREMENT, LANG); metric."""
    for name in ("LC_ALL", "LC_MEASUREMENT", "LANG"):
        value = environ.get(name)
        if value:
            # language[_TERRITORY][.codeset][@modifier], e.g. en_US.UTF-8
            territory = value.split(".")[0].split("@")[0].partition("_")[2]
            return "imperial" if territory.upper() in _IMPERIAL_TERRITORIES else "metric"
    return "metric"
