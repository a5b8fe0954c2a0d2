"""Fixtures for the MQTT tests: real brokers on loopback, started per test and always stopped."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from mqtt_broker import AUTH_ACL, AUTH_USERS, MqttBroker, TlsFiles, find_broker, make_tls

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def _kind() -> str:
    kind = find_broker()
    if kind is None:
        pytest.skip("no MQTT broker here: install mosquitto (apt install mosquitto) or amqtt")
    return kind


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MqttBroker]:
    """An anonymous broker on a free loopback port."""
    server = MqttBroker(tmp_path / "broker", kind=_kind())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def auth_broker(tmp_path: Path) -> Iterator[MqttBroker]:
    """A broker that wants a user name and password, with a per-user ACL."""
    if _kind() != "mosquitto":
        pytest.skip("the auth tests need mosquitto (password file and ACL)")
    server = MqttBroker(tmp_path / "broker", users=AUTH_USERS, acl=AUTH_ACL)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A throw-away CA and server certificate for 127.0.0.1."""
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_broker(tmp_path: Path, tls_files: TlsFiles) -> Iterator[MqttBroker]:
    """A TLS broker (server certificate signed by `tls_files.ca`) with a password."""
    if _kind() != "mosquitto":
        pytest.skip("the TLS test needs mosquitto")
    server = MqttBroker(tmp_path / "broker", users=AUTH_USERS, tls=tls_files)
    server.start()
    try:
        yield server
    finally:
        server.stop()
