"""Where the broker password comes from: a file, the environment, the config file, or the URL.

First found wins: `--mqtt-password-file FILE`, then `RETROWALK_MQTT_PASSWORD`, then
`mqtt_password` in config.toml, then a password inside the URL. A password typed into `--mqtt`
works but every user of the machine can read it (`ps`), so the CLI warns once. No message here
shows a password; files are named by path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from retrowalk.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

PASSWORD_ENV = "RETROWALK_MQTT_PASSWORD"  # noqa: S105 - the variable's name, not a password
MAX_PASSWORD_FILE_BYTES = 4096
VISIBLE_PASSWORD_WARNING = (
    "retrowalk: warning: the password in --mqtt can be read by every user of this computer "
    f"(ps); give it with {PASSWORD_ENV}, --mqtt-password-file FILE or mqtt_password in "
    "config.toml instead"
)


@dataclass(frozen=True)
class Password:
    """A broker password and where it came from (the value never in repr)."""

    value: str = field(repr=False)
    source: str  # for messages: "--mqtt-password-file PATH", "RETROWALK_MQTT_PASSWORD", ...


def find_password(
    *,
    file: Path | None = None,
    configured: str | None = None,
    config_source: str = "mqtt_password in config.toml",
    environ: Mapping[str, str] | None = None,
) -> Password | None:
    """Return the password given apart from the URL (file, environment, config), or None."""
    if file is not None:
        return read_password_file(file)
    value = (os.environ if environ is None else environ).get(PASSWORD_ENV)
    if value:
        return Password(value, PASSWORD_ENV)
    if configured:
        return Password(configured, config_source)
    return None


def read_password_file(path: Path) -> Password:
    """Read a password file (one line; a final newline is dropped); ConfigError naming the file."""
    where = f"--mqtt-password-file {path}"
    try:
        # Read once, whatever it is: `<(pass show broker)` hands over a pipe that empties.
        with path.open("rb") as handle:
            data = handle.read(MAX_PASSWORD_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read it: {exc.strerror or exc}") from None
    if len(data) > MAX_PASSWORD_FILE_BYTES:
        raise ConfigError(
            f"{where}: over {MAX_PASSWORD_FILE_BYTES} bytes; it should hold the password alone"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: not UTF-8 text") from None
    value = text.removesuffix("\n").removesuffix("\r")
    if not value:
        raise ConfigError(f"{where}: the file is empty")
    if "\n" in value or "\r" in value:
        raise ConfigError(f"{where}: more than one line; it should hold the password alone")
    return Password(value, where)
