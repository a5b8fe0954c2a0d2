"""The user's config file: defaults for `retrowalk run` (profile, weight, MQTT, voice, device).

The file is TOML at platformdirs' user config dir (`~/.config/retrowalk/config.toml` on Linux),
or wherever the environment variable RETROWALK_CONFIG points. A missing file means no defaults;
a wrong key or value is a ConfigError naming the file, the key and what is allowed. Command-line
options always win over the file.

    profile = "standard"          # safety profile
    weight_kg = 72.5              # body mass for the energy estimate
    device = "AA:BB:CC:DD:EE:FF"  # treadmill address or name
    hr = "auto"                   # heart-rate strap address, or "auto"
    voice = "espeak"              # auto, espeak, say, sapi, bell, off
    mqtt = "mqtt://lane-3@gym"    # publish telemetry here (as MQTT user lane-3)
    mqtt_password = "..."         # that user's password (keep this file private)
    treadmill_id = "lane-3"       # MQTT topic id of this treadmill
    remote_control = false        # arm remote start/resume over MQTT
    ha_discovery = false          # Home Assistant discovery
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from retrowalk.errors import ConfigError

CONFIG_ENV = "RETROWALK_CONFIG"


@dataclass(frozen=True)
class UserConfig:
    """Defaults read from the config file; None means "not set"."""

    profile: str | None = None
    weight_kg: float | None = None
    device: str | None = None
    hr: str | None = None
    voice: str | None = None
    mqtt: str | None = None
    mqtt_password: str | None = field(default=None, repr=False)
    treadmill_id: str | None = None
    remote_control: bool | None = None
    ha_discovery: bool | None = None
    source: Path | None = None


_STR_KEYS = frozenset({"profile", "device", "hr", "voice", "mqtt", "mqtt_password", "treadmill_id"})
_SECRET_KEYS = frozenset({"mqtt_password"})  # never echoed in an error
_BOOL_KEYS = frozenset({"remote_control", "ha_discovery"})
_NUMBER_KEYS = frozenset({"weight_kg"})
ALLOWED_KEYS = tuple(sorted(_STR_KEYS | _BOOL_KEYS | _NUMBER_KEYS))


def config_path() -> Path:
    """Return where the config file is looked for (RETROWALK_CONFIG overrides)."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("retrowalk")) / "config.toml"


def load_config(path: Path | None = None) -> UserConfig:
    """Read the config file; return empty defaults when it does not exist."""
    path = config_path() if path is None else path
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return UserConfig()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return _from_mapping(data, path)


def _from_mapping(data: dict[str, Any], path: Path) -> UserConfig:
    values: dict[str, Any] = {}
    for key, value in data.items():
        values[key] = _check(key, value, path)
    names = {f.name for f in fields(UserConfig)}
    assert set(values) <= names  # every allowed key is a field
    return UserConfig(**values, source=path)


def _check(key: str, value: object, path: Path) -> object:
    if key in _STR_KEYS:
        if isinstance(value, str) and value.strip():
            return value if key in _SECRET_KEYS else value.strip()
        got = "something else" if key in _SECRET_KEYS else repr(value)
        raise ConfigError(f"{path}: {key} must be a non-empty string, got {got}")
    if key in _BOOL_KEYS:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{path}: {key} must be true or false, got {value!r}")
    if key in _NUMBER_KEYS:
        if isinstance(value, int | float) and not isinstance(value, bool) and 20 <= value <= 300:
            return float(value)
        raise ConfigError(f"{path}: {key} must be a number of kilograms (20-300), got {value!r}")
    raise ConfigError(
        f"{path}: unknown setting {key!r}; allowed settings: {', '.join(ALLOWED_KEYS)}"
    )
