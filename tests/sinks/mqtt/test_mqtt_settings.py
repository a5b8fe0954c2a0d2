"""MqttSettings: topics, treadmill ids and the tuning knobs (URLs: tests/broker)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrowalk.errors import ConfigError
from retrowalk.sinks.mqtt.settings import MqttSettings, check_treadmill_id, treadmill_id_from


def test_plain_url_gets_default_port_and_topics() -> None:
    """A bare host gets port 1883, no TLS, and topics under retrowalk/<id>/."""
    s = MqttSettings.from_url("mqtt://broker.local", treadmill_id="tm-1")
    assert (s.broker.host, s.broker.port, s.broker.tls) == ("broker.local", 1883, False)
    assert s.topic("state") == "retrowalk/tm-1/state"
    assert s.fleet_cmd_topic == "retrowalk/fleet/cmd"
    assert not s.remote_control
    assert not s.ha_discovery


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
    with pytest.raises(ConfigError, match="retry delays"):
        MqttSettings.from_url("mqtt://h", treadmill_id="a", backoff_initial_s=5, backoff_max_s=1)


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
