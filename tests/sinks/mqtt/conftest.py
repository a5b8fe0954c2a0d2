"""The MQTT sink tests get real brokers on loopback (started per test, always stopped)."""

from mqtt_broker import auth_broker, broker, tls_broker, tls_files

__all__ = ["auth_broker", "broker", "tls_broker", "tls_files"]  # fixtures for this folder
