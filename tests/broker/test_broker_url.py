"""Broker URLs: what is accepted, and a malformed one named by its wrong part, never echoed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrowalk.broker.credentials import Password
from retrowalk.broker.url import Broker, password_in_url
from retrowalk.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path


def test_plain_url_gets_the_default_port() -> None:
    """A bare host gets port 1883 and no TLS; mqtts gets 8883."""
    assert Broker.from_url("mqtt://broker.local") == Broker("broker.local", 1883)
    assert Broker.from_url("MQTTS://10.0.0.2/").port == 8883


def test_tls_url_with_credentials_and_ca_file(tmp_path: Path) -> None:
    """mqtts:// with user:password and a CA file: credentials percent-decoded, CA kept."""
    ca = tmp_path / "ca.pem"
    ca.write_text("x", encoding="utf-8")
    broker = Broker.from_url("mqtts://coach%40gym:p%3Ass@10.0.0.2:8884", ca_file=ca)
    assert (broker.port, broker.tls, broker.ca_file) == (8884, True, ca)
    assert (broker.username, broker.password) == ("coach@gym", "p:ss")


def test_unencoded_brackets_at_signs_and_backslashes_in_a_password_work() -> None:
    r"""A password with '[', ']', '@', ':' or '\' needs no encoding: the last '@' ends it."""
    broker = Broker.from_url("mqtt://u:a[b]c@d:e\\f@host:1884")
    assert (broker.username, broker.password, broker.host, broker.port) == (
        "u",
        "a[b]c@d:e\\f",
        "host",
        1884,
    )


def test_an_ipv6_host_in_brackets() -> None:
    """[::1]:1884 is host ::1, shown in brackets again."""
    broker = Broker.from_url("mqtt://[::1]:1884")
    assert (broker.host, broker.port, broker.display) == ("::1", 1884, "mqtt://[::1]:1884")


def test_password_is_never_in_repr_or_display() -> None:
    """Neither repr() nor the display URL used in logs shows the password."""
    broker = Broker.from_url("mqtt://u:hunter2@h:1884")
    assert "hunter2" not in repr(broker)
    assert broker.display == "mqtt://u@h:1884"


def test_a_password_given_apart_wins_and_needs_a_user() -> None:
    """A password from a file or the environment replaces the URL's; without a user: refused."""
    secret = Password("from-env", "RETROWALK_MQTT_PASSWORD")
    assert Broker.from_url("mqtt://u:old@h", password=secret).password == secret.value
    with pytest.raises(ConfigError, match=r"^RETROWALK_MQTT_PASSWORD: a password needs a user"):
        Broker.from_url("mqtt://h", password=secret)


def test_password_in_url_tells_a_typed_password() -> None:
    """Only a well-formed URL with a password counts (the CLI warns for it)."""
    assert password_in_url("mqtt://u:pw@h")
    assert not password_in_url("mqtt://u@h")
    assert not password_in_url("mqtt://u:pw@h:bad")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://u:hunter2@h", "must start with mqtt:// or mqtts://"),
        ("mqtt:/u:hunter2@h", "must start with mqtt:// or mqtts://"),
        ("u:hunter2@h:1883", "must start with mqtt:// or mqtts://"),
        ("mqtt://u:hunter2@", "host is missing"),
        ("mqtt://u:hunter2@h:99999", "port"),
        ("mqtt://u:hunter2@h:abc", "port"),
        ("mqtt://u:hunter2@h:0", "port"),
        ("mqtt://h:hunter2", "port"),  # a password where the port goes
        ("mqtt://u:hunter2@h/topic", "path"),
        ("mqtt://u:hunter2@h?x=1", "path, query or fragment"),
        ("mqtt://u:hunt/er2@h", "percent-encoded"),
        ("mqtt://u:hunt#er2@h", "percent-encoded"),
        ("mqtt://u:hunt?er2@h", "percent-encoded"),
        ("mqtt://:hunter2@h", "user name is empty"),
        ("mqtt://u:hunter2@h x", "spaces"),
        ("mqtt://u:hunter2%ff@h", "percent-encoded UTF-8"),
        ("mqtt://u:hunter2@[::1", "IPv6"),
        ("mqtt://u:hunter2@[::1]x", "only ':port'"),
        ("mqtt://u:hunter2@h_!", "the host may hold only"),
        ("", "empty"),
    ],
)
def test_malformed_urls_name_the_wrong_part_without_echoing_it(url: str, why: str) -> None:
    """Each malformed URL is one ConfigError naming what is wrong, never the URL or password."""
    with pytest.raises(ConfigError) as info:
        Broker.from_url(url)
    message = str(info.value)
    assert why in message
    assert "hunter2" not in message
    assert message.startswith("--mqtt: ")
    assert "\n" not in message


def test_ca_file_needs_tls_and_must_exist(tmp_path: Path) -> None:
    """A CA file with mqtt:// or a missing CA file is refused, naming the file."""
    with pytest.raises(ConfigError, match="needs an mqtts"):
        Broker.from_url("mqtt://h", ca_file=tmp_path)
    with pytest.raises(ConfigError, match="no such file"):
        Broker.from_url("mqtts://h", ca_file=tmp_path / "nope.pem")


# "Zq" keeps a random password from matching the words of a message by chance.
PASSWORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=16).map(
    lambda text: f"Zq{text}"
)
JUNK = st.sampled_from(["", "/", "?", "#", "@", "[", "]", "\\", ":", "%", " ", "x", "/x", ":99"])


@settings(max_examples=500)
@given(
    scheme=st.sampled_from(["mqtt://", "mqtts://", "mqtt:/", "mqtt:", "http://", "", "MQTT://"]),
    user=st.sampled_from(["", "u", "coach%40gym"]),
    password=PASSWORDS,
    before=JUNK,
    after=JUNK,
    host=st.sampled_from(["h", "", "[::1]", "[::1", "10.0.0.2", "h:", "h:1883", "h:x"]),
)
def test_no_url_ever_echoes_its_password(  # noqa: PLR0917 - one strategy per part of the URL
    scheme: str, user: str, password: str, before: str, after: str, host: str
) -> None:
    """Fuzzed URLs, well-formed or not: parsed, or one ConfigError line without the password."""
    url = f"{scheme}{user}:{before}{password}{after}@{host}"
    try:
        broker = Broker.from_url(url)
    except ConfigError as exc:
        message = str(exc)
        assert password not in message
        assert "\n" not in message
        return
    assert password not in repr(broker)
    assert password not in broker.display
