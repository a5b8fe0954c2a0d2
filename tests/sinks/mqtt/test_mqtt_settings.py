"""MqttSettings.from_url: accepted URLs, refused ones, and passwords never shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrowalk.errors import ConfigError
from retrowalk.sinks.mqtt import MqttSettings
from retrowalk.sinks.mqtt_settings import check_treadmill_id, redact_url, treadmill_id_from

if TYPE_CHECKING:
    from pathlib import Path


def test_plain_url_gets_default_port_and_topics() -> None:
    """A bare host gets port 1883, no TLS, and topics under retrowalk/<id>/."""
    s = MqttSettings.from_url("mqtt://broker.local", treadmill_id="tm-1")
    assert (s.broker.host, s.broker.port, s.broker.tls) == ("broker.local", 1883, False)
    assert s.topic("state") == "retrowalk/tm-1/state"
    assert s.fleet_cmd_topic == "retrowalk/fleet/cmd"
    assert not s.remote_control
    assert not s.ha_discovery


def test_tls_url_with_credentials_and_ca_file(tmp_path: Path) -> None:
    """mqtts:// with user:password and a CA file: port 8883, credentials decoded, CA kept."""
    ca = tmp_path / "ca.pem"
    ca.write_text("x", encoding="utf-8")
    s = MqttSettings.from_url(
        "mqtts://coach%40gym:p%3Ass@10.0.0.2",
        treadmill_id="a",
        remote_control=True,
        ha_discovery=True,
        ca_file=ca,
    )
    assert (s.broker.port, s.broker.tls, s.broker.ca_file) == (8883, True, ca)
    assert (s.broker.username, s.broker.password) == ("coach@gym", "p:ss")
    assert s.remote_control
    assert s.ha_discovery


def test_password_is_never_in_repr_or_display() -> None:
    """Neither repr() nor the display URL used in logs shows the password."""
    s = MqttSettings.from_url("mqtt://u:hunter2@h:1884", treadmill_id="a")
    assert "hunter2" not in repr(s)
    assert s.broker.display == "mqtt://u@h:1884"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://u:hunter2@h", "scheme"),
        ("mqtt://u:hunter2@", "host is missing"),
        ("mqtt://u:hunter2@h:99999", "port"),
        ("mqtt://u:hunter2@h:abc", "port"),
        ("mqtt://u:hunter2@h:0", "port"),
        ("mqtt://u:hunter2@h/topic", "path"),
        ("mqtt://u:hunter2@h?x=1", "query"),
        ("mqtt://:hunter2@h", "user name is empty"),
        ("mqtt://u:hunter2@h x", "spaces"),
        ("", "empty"),
        ("u:hunter2@h:1883", "scheme"),
    ],
)
def test_malformed_urls_are_config_errors_without_the_password(url: str, why: str) -> None:
    """Each malformed URL raises ConfigError saying what is wrong, never echoing the password."""
    with pytest.raises(ConfigError) as info:
        MqttSettings.from_url(url, treadmill_id="a")
    message = str(info.value)
    assert why in message
    assert "hunter2" not in message
    assert "mqtt[s]://" in message


def test_ca_file_needs_tls_and_must_exist(tmp_path: Path) -> None:
    """A CA file with mqtt:// or a missing CA file is refused."""
    with pytest.raises(ConfigError, match="needs an mqtts"):
        MqttSettings.from_url("mqtt://h", treadmill_id="a", ca_file=tmp_path)
    with pytest.raises(ConfigError, match="no such file"):
        MqttSettings.from_url("mqtts://h", treadmill_id="a", ca_file=tmp_path / "nope.pem")


@pytest.mark.parametrize("bad", ["", "fleet", "a/b", "a+", "#", "-x", "x" * 65, "é"])
def test_treadmill_ids_must_be_safe_topic_levels(bad: str) -> None:
    """Ids that would break topics (wildcards, slashes, the fleet name) are refused."""
    with pytest.raises(ConfigError, match="treadmill id"):
        MqttSettings.from_url("mqtt://h", treadmill_id=bad)


def test_tuning_knobs_are_checked() -> None:
    """Unknown or non-positive tuning values are ConfigErrors."""
    s = MqttSettings.from_url("mqtt://h", treadmill_id="a", backoff_max_s=1.0)
    assert s.backoff_max_s == 1.0
    with pytest.raises(ConfigError, match="unknown"):
        MqttSettings.from_url("mqtt://h", treadmill_id="a", colour=1.0)
    with pytest.raises(ConfigError, match="positive"):
        MqttSettings.from_url("mqtt://h", treadmill_id="a", timeout_s=0)


def test_redact_url_handles_malformed_input() -> None:
    """Redaction works even when the URL cannot be parsed."""
    assert redact_url("mqtt://u:pw@h:x/y") == "mqtt://u:***@h:x/y"
    assert redact_url("u:pw@h") == "u:***@h"
    assert redact_url("mqtt://h") == "mqtt://h"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("KS-ST-A1P 5A:11:00", "KS-ST-A1P-5A-11-00"),
        ("  Walking Pad!  ", "Walking-Pad"),
        ("fleet", "treadmill-fleet"),
        ("***", "treadmill"),
    ],
)
def test_treadmill_id_from_device_names(name: str, expected: str) -> None:
    """Device names and addresses become readable, valid treadmill ids."""
    assert treadmill_id_from(name) == expected


@settings(max_examples=200)
@given(st.text(max_size=100))
def test_treadmill_id_from_any_text_is_always_valid(name: str) -> None:
    """Whatever the device is called, the derived id is accepted by MqttSettings."""
    treadmill_id = treadmill_id_from(name)
    assert check_treadmill_id(treadmill_id) == treadmill_id
