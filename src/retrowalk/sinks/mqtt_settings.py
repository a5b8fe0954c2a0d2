"""MQTT settings: the broker URL, the treadmill's id, and the knobs of the connection loop.

The URL is `mqtt[s]://[user[:password]@]host[:port]`. The password lives only in `Broker.password`
(hidden from repr); everything that reaches a log or an error message uses `Broker.display`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from retrowalk.errors import ConfigError

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
TOPIC_ROOT = "retrowalk"
FLEET_ID = "fleet"  # retrowalk/fleet/cmd reaches every treadmill; no treadmill may use this id
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_URL_FORM = "mqtt[s]://[user:password@]host[:port]"


def redact_url(url: str) -> str:
    """Return `url` with any password replaced by `***` (works on malformed URLs too)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    authority, slash, tail = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if at and ":" in userinfo:
        user = userinfo.split(":", 1)[0]
        authority = f"{user}:***@{hostport}"
    return f"{scheme}{sep}{authority}{slash}{tail}"


@dataclass(frozen=True)
class Broker:
    """Where and how to connect: host, port, TLS, credentials (password never in repr)."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None

    @property
    def display(self) -> str:
        """Return the URL as logs may show it: user name kept, password never."""
        scheme = "mqtts" if self.tls else "mqtt"
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{user}{host}:{self.port}"

    @classmethod
    def from_url(cls, url: str, *, ca_file: Path | str | None = None) -> Broker:
        """Parse a broker URL; ConfigError (naming the URL without its password) if malformed."""
        shown = redact_url(url)

        def bad(reason: str) -> ConfigError:
            return ConfigError(f"--mqtt {shown!r}: {reason}; expected {_URL_FORM}")

        if not url or any(ch.isspace() for ch in url):
            raise bad("empty or contains spaces")
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise bad(f"scheme {parts.scheme or '(none)'!r} is not mqtt or mqtts")
        if parts.path not in {"", "/"} or parts.query or parts.fragment:
            raise bad("no path, query or fragment is allowed")
        if not parts.hostname:
            raise bad("the host is missing")
        try:
            port = parts.port
        except ValueError:
            port = 0
        if port == 0:
            raise bad("the port must be a number from 1 to 65535")
        username = unquote(parts.username) if parts.username is not None else None
        if username == "":
            raise bad("the user name is empty")
        tls = scheme == "mqtts"
        ca_path = _ca_path(ca_file, tls=tls, shown=shown)
        return cls(
            host=parts.hostname,
            port=port if port is not None else DEFAULT_PORTS[scheme],
            tls=tls,
            username=username,
            password=unquote(parts.password) if parts.password is not None else None,
            ca_file=ca_path,
        )


def _ca_path(ca_file: Path | str | None, *, tls: bool, shown: str) -> Path | None:
    """Return the CA file as a Path after checking it exists and TLS is asked for."""
    if ca_file is None:
        return None
    path = Path(ca_file)
    if not tls:
        raise ConfigError(f"--mqtt {shown!r}: a CA file ({path}) needs an mqtts:// URL")
    if not path.is_file():
        raise ConfigError(f"MQTT CA file {path}: no such file")
    return path


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
    def from_url(
        cls,
        url: str,
        *,
        treadmill_id: str,
        remote_control: bool = False,
        ha_discovery: bool = False,
        ca_file: Path | str | None = None,
        **tuning: float,
    ) -> MqttSettings:
        """Parse `url` and check the treadmill id; ConfigError for anything malformed."""
        broker = Broker.from_url(url, ca_file=ca_file)
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
        return cls(
            broker=broker,
            treadmill_id=treadmill_id,
            remote_control=remote_control,
            ha_discovery=ha_discovery,
            **tuning,  # type: ignore[arg-type]  # names checked above
        )

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
