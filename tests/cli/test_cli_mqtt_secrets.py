"""The broker password never shows: not in output, errors, the session log or MQTT payloads.

Fuzzed URLs with random passwords go through `retrowalk run` and `retrowalk monitor`: a malformed
one is exit 2 with one line that does not hold the password; a well-formed one runs a workout
against a real mosquitto (any password is welcome there) while a subscriber records everything.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Self
from urllib.parse import quote

import paho.mqtt.client as paho
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mqtt_broker import broker
from retrowalk.broker.credentials import VISIBLE_PASSWORD_WARNING
from retrowalk.broker.url import Broker
from retrowalk.cli.main import main
from retrowalk.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from mqtt_broker import MqttBroker

__all__ = ["broker"]  # the fixture

# "Zq" keeps a random password from matching the words of a message by chance.
PASSWORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12).map(
    lambda text: f"Zq{text}"
)
JUNK = st.sampled_from(["", "/", "?", "#", "@", "[", "]", "\\", ":", "%", " ", "/x", ":99", "%zz"])
SCHEMES = st.sampled_from(["mqtt://", "mqtts://", "mqtt:/", "mqtt:", "http://", "", "tcp://"])
HOSTS = st.sampled_from(["h", "", "[::1]", "[::1", "h:", "h:1883", "h:x", "h/x", "h?x"])
SHORT = """\
version: 1
name: Short
profile: standard
countdown: 0s
intervals:
  - forward: 10s
    speed: 2.0
"""


def _is_malformed(url: str) -> bool:
    try:
        Broker.from_url(url)
    except ConfigError:
        return True
    return False


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    command=st.sampled_from(["run", "monitor"]),
    scheme=SCHEMES,
    password=PASSWORDS,
    before=JUNK,
    after=JUNK,
    host=HOSTS,
)
def test_a_malformed_url_is_one_line_and_exit_2_without_the_password(  # noqa: PLR0917 - one strategy per part
    capsys: pytest.CaptureFixture[str],
    command: str,
    scheme: str,
    password: str,
    before: str,
    after: str,
    host: str,
) -> None:
    """`run` and `monitor` refuse a malformed URL with one line on stderr, never the password."""
    url = f"{scheme}coach:{before}{password}{after}@{host}"
    assume(_is_malformed(url))
    capsys.readouterr()
    argv = ["run", "retro-intro", "--sim", "--speedup", "5", "--yes"] if command == "run" else []
    code = main([*argv, "--mqtt", url] if argv else ["monitor", "--mqtt", url, "--once"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert password not in err


class Recorder:
    """A paho subscriber on its own thread: every payload published under retrowalk/#."""

    def __init__(self, port: int) -> None:
        self.payloads: list[bytes] = []
        self._ready = threading.Event()
        self._client = paho.Client(paho.CallbackAPIVersion.VERSION2)
        self._client.on_connect = lambda client, *_: client.subscribe("retrowalk/#", qos=1)
        self._client.on_subscribe = lambda *_: self._ready.set()
        self._client.on_message = lambda _c, _u, message: self.payloads.append(message.payload)
        self._client.connect("127.0.0.1", port)

    def __enter__(self) -> Self:
        self._client.loop_start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@pytest.fixture
def recorder(broker: MqttBroker) -> Iterator[Recorder]:
    """Everything published on the test broker while the test runs."""
    with Recorder(broker.port) as recording:
        yield recording


@pytest.mark.slow
@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(password=PASSWORDS, typed=st.booleans())
def test_a_run_with_a_password_never_shows_it_anywhere(  # noqa: PLR0917 - fixtures, examples
    broker: MqttBroker,
    recorder: Recorder,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    password: str,
    typed: bool,
) -> None:
    """A password typed into --mqtt (warned about) or read from a file: never printed or sent."""
    workout = tmp_path / "short.yaml"
    workout.write_text(SHORT, encoding="utf-8")
    argv = ["run", str(workout), "--sim", "--speedup", "8", "--yes", "--plain", "--voice", "off"]
    argv += ["--treadmill-id", "secret-lane"]
    if typed:
        argv += ["--mqtt", f"mqtt://coach:{quote(password, safe='')}@127.0.0.1:{broker.port}"]
    else:
        secret = tmp_path / "pw"
        secret.write_text(password + "\n", encoding="utf-8")
        argv += ["--mqtt", f"mqtt://coach@127.0.0.1:{broker.port}", "--mqtt-password-file"]
        argv += [str(secret)]
    capsys.readouterr()
    caplog.clear()
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert (VISIBLE_PASSWORD_WARNING in err.splitlines()) is typed
    assert any(b"secret-lane" in p for p in recorder.payloads)  # it did publish
    sessions = "".join(
        p.read_text(encoding="utf-8") for p in (tmp_path / "data").rglob("*") if p.is_file()
    )
    assert sessions
    for place in (out, err, caplog.text, sessions, *map(repr, recorder.payloads)):
        assert password not in place
        assert quote(password, safe="") not in place
    encoded = password.encode()
    assert not [p for p in recorder.payloads if encoded in p]


def test_a_password_file_needs_a_broker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--mqtt-password-file without --mqtt is refused before anything connects."""
    secret = tmp_path / "pw"
    secret.write_text("pw\n", encoding="utf-8")
    argv = ["run", "retro-intro", "--sim", "--speedup", "5", "--yes"]
    assert main([*argv, "--mqtt-password-file", str(secret)]) == 2
    assert "--mqtt-password-file needs --mqtt" in capsys.readouterr().err


def test_a_bad_password_in_the_config_file_is_not_echoed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """mqtt_password of the wrong type is named as the setting that is wrong, not shown."""
    config = tmp_path / "config.toml"
    config.write_text("mqtt_password = 73519864\n", encoding="utf-8")
    monkeypatch.setenv("RETROWALK_CONFIG", str(config))
    assert main(["monitor", "--mqtt", "mqtt://coach@h", "--once"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert f"{config}: mqtt_password: must be" in line  # names the setting and what it takes
    assert "73519864" not in line
