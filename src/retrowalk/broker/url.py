"""A broker URL, `mqtt[s]://[user[:password]@]host[:port]`, parsed without ever echoing it.

A URL may hold a password, so no error message repeats any part of it: each names the part that
is wrong and what is allowed. The password lives only in `Broker.password` (hidden from repr);
logs and messages use `Broker.display`, which keeps the user name and never the password.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote

from retrowalk.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from retrowalk.broker.credentials import Password

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
URL_FORM = "mqtt[s]://[user@]host[:port]"
_HOST_RE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,252})")
_AUTHORITY_END = re.compile(r"[/?#]")
_TCP_PORTS = range(1, 65536)

if TYPE_CHECKING:
    _Bad = Callable[[str], ConfigError]


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
    def from_url(
        cls,
        url: str,
        *,
        password: Password | None = None,
        ca_file: Path | None = None,
        where: str = "--mqtt",
    ) -> Broker:
        """Parse `url`; `password`, if given, wins over one in the URL. ConfigError if malformed.

        `where` names the URL's origin in errors (`--mqtt`, or the config file's setting).
        """
        parts = _Parts.parse(url, where)
        secret = parts.password if password is None else password.value
        if secret is not None and parts.username is None:
            origin = where if password is None else password.source
            raise ConfigError(
                f"{origin}: a password needs a user name in the URL: mqtt[s]://USER@host[:port]"
            )
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.host,
            port=parts.port or DEFAULT_PORTS[parts.scheme],
            tls=tls,
            username=parts.username,
            password=secret,
            ca_file=_ca_path(ca_file, tls=tls),
        )


def password_in_url(url: str) -> bool:
    """Return whether a well-formed `url` carries a password (False for a malformed one)."""
    try:
        return _Parts.parse(url, "").password is not None
    except ConfigError:
        return False


@dataclass(frozen=True)
class _Parts:
    scheme: str
    username: str | None
    password: str | None = field(repr=False)
    host: str
    port: int | None

    @classmethod
    def parse(cls, url: str, where: str) -> _Parts:
        """Split `url` into its parts; ConfigError naming the part that is wrong, never the URL."""

        def bad(reason: str) -> ConfigError:
            return ConfigError(f"{where}: {reason} (expected {URL_FORM})")

        if not url:
            raise bad("the URL is empty")
        if any(ch.isspace() or not ch.isprintable() for ch in url):
            raise bad("the URL contains spaces or control characters")
        scheme, sep, rest = url.partition("://")
        scheme = scheme.lower()
        if not sep or scheme not in DEFAULT_PORTS:
            raise bad("the URL must start with mqtt:// or mqtts://")
        end = _AUTHORITY_END.search(rest)
        authority, tail = (rest, "") if end is None else (rest[: end.start()], rest[end.start() :])
        if "@" in tail:
            raise bad("a '/', '?' or '#' in the user name or password must be percent-encoded")
        if tail not in {"", "/"}:
            raise bad("a path, query or fragment is not allowed after the host")
        userinfo, at, hostport = authority.rpartition("@")
        username = password = None
        if at:
            raw_user, colon, raw_password = userinfo.partition(":")
            username = _decoded(raw_user, bad)
            if not username:
                raise bad("the user name is empty")
            password = _decoded(raw_password, bad) if colon else None
        host, port = _host_port(hostport, bad)
        return cls(scheme, username, password, host, port)


def _decoded(text: str, bad: _Bad) -> str:
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise bad("the user name or password is not valid percent-encoded UTF-8") from None


def _host_port(hostport: str, bad: _Bad) -> tuple[str, int | None]:
    """Return the host and the port (None: the scheme's default)."""
    if hostport.startswith("["):
        inside, closed, after = hostport[1:].partition("]")
        try:
            host = str(ipaddress.IPv6Address(inside)) if closed else ""
        except ValueError:
            host = ""
        if not host:
            raise bad("the IPv6 address in [brackets] is not valid")
        if after and not after.startswith(":"):
            raise bad("only ':port' may follow the IPv6 address")
        port_text = after[1:] if after else None
    else:
        host, colon, rest = hostport.partition(":")
        if not host:
            raise bad("the host is missing")
        if not _HOST_RE.fullmatch(host):
            raise bad(
                "the host may hold only letters, digits, '.', '-' and '_' "
                "(an IPv6 address goes in [brackets])"
            )
        port_text = rest if colon else None
    if port_text is None:
        return host, None
    digits = port_text.isascii() and port_text.isdigit() and len(port_text) <= len("65535")
    if not (digits and int(port_text) in _TCP_PORTS):
        raise bad("the port must be a number from 1 to 65535")
    return host, int(port_text)


def _ca_path(ca_file: Path | None, *, tls: bool) -> Path | None:
    """Return the CA file after checking it exists and TLS is asked for."""
    if ca_file is None:
        return None
    if not tls:
        raise ConfigError(f"MQTT CA file {ca_file}: a CA file needs an mqtts:// URL")
    if not ca_file.is_file():
        raise ConfigError(f"MQTT CA file {ca_file}: no such file")
    return ca_file
