"""MQTT sink settings: the broker, the treadmill's id, and the knobs of the connection loop.

The broker URL is parsed by `retrowalk.broker.url` (never echoed, password hidden from repr).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.backoff import Backoff
from retrowalk.broker.url import Broker
from retrowalk.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

    from retrowalk.broker.credentials import Password

TOPIC_ROOT = "retrowalk"
FLEET_ID = "fleet"  # retrowalk/fleet/cmd reaches every treadmill; no treadmill may use this id
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def treadmill_id_from(name: str) -> str:
    """Return a valid treadmill id from a device name or address: "KS A1 5A:11" -> "KS-A1-5A-11"."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-_")[:64].rstrip("-_")
    if not slug or slug == FLEET_ID:
        slug = f"treadmill-{slug}" if slug else "treadmill"
    return slug


def check_treadmill_id(treadmill_id: str) -> str:
    """Return `treadmill_id` if it is a safe MQTT topic level; ConfigError otherwise."""
    if treadmill_id == FLEET_ID:
        raise ConfigError(f"treadmill id {treadmill_id!r} is reserved for fleet commands")
    if not _ID_RE.fullmatch(treadmill_id):
        raise ConfigError(
            f"treadmill id {treadmill_id!r} is not allowed: use 1-64 letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return treadmill_id


@dataclass(frozen=True)
class MqttSettings:
    """Everything `run_mqtt` needs; build it with `MqttSettings.from_url`."""

    broker: Broker
    treadmill_id: str
    remote_control: bool = False  # informational: EngineOptions.remote_control decides
    ha_discovery: bool = False
    state_interval_s: float = 1.0  # retained state at most this often (and on state changes)
    event_buffer: int = 1000  # events kept while the broker is away; oldest dropped first
    backoff_initial_s: float = 0.25
    backoff_max_s: float = 3.0  # caps the gap between reconnect attempts (state within 5 s)
    timeout_s: float = 5.0  # CONNACK, PUBACK and SUBACK waits
    keepalive_s: int = 5  # a silently vanished broker is noticed after ~1.5x this
    final_flush_s: float = 3.0  # after the workout: time allowed to deliver what is left
    topic_root: str = TOPIC_ROOT

    @classmethod
    def from_url(  # noqa: PLR0913 - each is one user-facing option of `retrowalk run`
        cls,
        url: str,
        *,
        treadmill_id: str,
        remote_control: bool = False,
        ha_discovery: bool = False,
        ca_file: Path | None = None,
        password: Password | None = None,
        **tuning: float,
    ) -> MqttSettings:
        """Parse `url` and check the treadmill id; ConfigError for anything malformed.

        `password`, when given (a file, the environment, the config file), wins over the URL's.
        """
        broker = Broker.from_url(url, password=password, ca_file=ca_file)
        check_treadmill_id(treadmill_id)
        allowed = {
            "state_interval_s",
            "event_buffer",
            "backoff_initial_s",
            "backoff_max_s",
            "timeout_s",
            "keepalive_s",
            "final_flush_s",
        }
        unknown = sorted(set(tuning) - allowed)
        if unknown:
            raise ConfigError(f"unknown MQTT setting(s): {', '.join(unknown)}")
        for name, value in tuning.items():
            if not value > 0:
                raise ConfigError(f"MQTT setting {name} must be positive, got {value}")
        settings = cls(
            broker=broker,
            treadmill_id=treadmill_id,
            remote_control=remote_control,
            ha_discovery=ha_discovery,
            **tuning,  # type: ignore[arg-type]  # names checked above
        )
        _ = settings.backoff  # ConfigError for an initial delay above the cap
        return settings

    @property
    def backoff(self) -> Backoff:
        """Return the reconnect delays: jittered exponential backoff up to `backoff_max_s`."""
        return Backoff(self.backoff_initial_s, self.backoff_max_s)

    @property
    def base(self) -> str:
        """Return this treadmill's topic prefix, `retrowalk/<id>`."""
        return f"{self.topic_root}/{self.treadmill_id}"

    def topic(self, leaf: str) -> str:
        """Return `retrowalk/<id>/<leaf>`."""
        return f"{self.base}/{leaf}"

    @property
    def fleet_cmd_topic(self) -> str:
        """Return the topic that reaches every treadmill, `retrowalk/fleet/cmd`."""
        return f"{self.topic_root}/{FLEET_ID}/cmd"
