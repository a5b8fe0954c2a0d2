"""Against a real broker with a password file, an ACL and TLS: credentials stay secret."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiomqtt
import pytest

from mqtt_broker import AUTH_USERS
from mqtt_fakes import FakeEngine, Subscriber, settings_for, sink_running, wait_until
from retrowalk.engine.bus import Bus
from retrowalk.engine.events import EngineState
from retrowalk.sinks.mqtt.settings import MqttSettings

if TYPE_CHECKING:
    from mqtt_broker import MqttBroker, TlsFiles

pytestmark = pytest.mark.realtime

PASSWORD = AUTH_USERS["tm-auth"]
COACH = {"username": "coach", "password": AUTH_USERS["coach"]}


async def test_wrong_password_is_logged_clearly_without_the_password(
    auth_broker: MqttBroker,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A wrong password: one clear error naming the broker, never the password; workout unharmed."""
    caplog.set_level(logging.DEBUG)  # every logger, paho's packet log included
    wrong = "Wr0ng-Secret-Value"
    engine = FakeEngine(Bus())
    settings = MqttSettings.from_url(
        auth_broker.url("tm-auth", wrong), treadmill_id="tm-auth", final_flush_s=0.3
    )
    async with (
        sink_running(settings, engine) as sink,
        Subscriber("127.0.0.1", auth_broker.port, ["retrowalk/#"], **COACH) as sub,
    ):
        await wait_until(lambda: "refused the login" in caplog.text)
        await wait_until(lambda: engine.ticks >= 10)  # still walking
    assert sink.exception() is None
    assert engine.state is EngineState.FINISHED
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1  # said once, not at every retry
    message = errors[0].getMessage()
    assert "mqtt://tm-auth@127.0.0.1" in message
    assert "user name and password" in message
    captured = capsys.readouterr()
    for text in (caplog.text, captured.out, captured.err, repr(settings)):
        assert wrong not in text
    assert not sub.payloads("retrowalk/tm-auth/state")


async def test_right_password_and_acl_let_a_coach_follow_and_steer(
    auth_broker: MqttBroker,
) -> None:
    """With the right password, state flows and a coach (per the ACL) can pause the treadmill."""
    engine = FakeEngine(Bus())
    url = auth_broker.url("tm-auth", PASSWORD)
    settings = settings_for(url, "tm-auth")
    # The same credentials cannot publish under another treadmill's id (the ACL drops it).
    other = settings_for(url, "other")
    async with (
        Subscriber("127.0.0.1", auth_broker.port, ["retrowalk/#"], **COACH) as coach,
        sink_running(settings, engine),
        sink_running(other, FakeEngine(Bus())),
    ):
        await coach.wait_for(lambda s: s.payloads("retrowalk/tm-auth/state"))
        await coach.publish("retrowalk/tm-auth/cmd", '{"command": "pause", "id": "c1"}')
        await coach.wait_for(lambda s: s.payloads("retrowalk/tm-auth/cmd/result"))
        assert engine.state is EngineState.PAUSED
    assert coach.json("retrowalk/tm-auth/cmd/result")[0]["accepted"]
    assert not coach.payloads("retrowalk/other/state")


async def test_tls_with_a_ca_file(tls_broker: MqttBroker, tls_files: TlsFiles) -> None:
    """mqtts:// with the CA file verifies the broker's certificate and publishes state."""
    engine = FakeEngine(Bus())
    settings = MqttSettings.from_url(
        tls_broker.url("tm-auth", PASSWORD), treadmill_id="tm-auth", ca_file=tls_files.ca
    )
    tls = aiomqtt.TLSParameters(ca_certs=str(tls_files.ca))
    async with (
        Subscriber(
            "127.0.0.1", tls_broker.port, ["retrowalk/tm-auth/state"], tls_params=tls, **COACH
        ) as coach,
        sink_running(settings, engine),
    ):
        await coach.wait_for(lambda s: s.payloads("retrowalk/tm-auth/state"))
    assert coach.json("retrowalk/tm-auth/state")[-1]["treadmill_id"] == "tm-auth"


# paho-mqtt 2.2 does not close its SSL socket when the handshake fails (client.py
# _ssl_wrap_socket); the garbage collector does, with a ResourceWarning we cannot prevent.
@pytest.mark.filterwarnings("ignore:unclosed <ssl.SSLSocket:ResourceWarning")
@pytest.mark.filterwarnings("ignore:Exception ignored in. <ssl.SSLSocket")
async def test_tls_without_the_right_ca_is_refused_and_logged(
    tls_broker: MqttBroker, caplog: pytest.LogCaptureFixture
) -> None:
    """Without the CA the certificate fails verification: logged, nothing sent, workout fine."""
    caplog.set_level(logging.WARNING, logger="retrowalk.mqtt")
    engine = FakeEngine(Bus())
    settings = MqttSettings.from_url(
        tls_broker.url("tm-auth", PASSWORD), treadmill_id="tm-auth", final_flush_s=0.2
    )
    async with sink_running(settings, engine) as sink:
        await wait_until(lambda: "CERTIFICATE_VERIFY_FAILED" in caplog.text)
    assert sink.exception() is None
    assert PASSWORD not in caplog.text
