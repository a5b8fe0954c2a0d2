"""A real MQTT broker for the tests: mosquitto (or amqtt) on a free loopback port.

`MqttBroker` writes a config (listener on 127.0.0.1 only, optional password file, ACL and TLS),
starts the broker as a subprocess, and can kill and restart it on the same port. Where neither
mosquitto nor amqtt is installed, `find_broker()` returns None and the tests skip with a reason.
The fixtures at the end (`broker`, `auth_broker`, `tls_broker`, `tls_files`) are imported by the
conftest of each folder whose tests need a broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

MOSQUITTO = "/usr/sbin/mosquitto"
READY_TIMEOUT_S = 5.0

# The users and ACL of the `auth_broker` fixture (conftest.py); tests log in with these.
AUTH_USERS = {"tm-auth": "s3cret-pass!", "coach": "coach-pass"}
AUTH_ACL = """\
# each treadmill user may write under its own id and read commands
pattern readwrite retrowalk/%u/#
user tm-auth
topic read retrowalk/fleet/cmd
topic write homeassistant/#
user coach
topic read retrowalk/#
topic write retrowalk/+/cmd
"""


def _amqtt_command() -> str | None:
    """Return the amqtt broker command: on PATH, or beside this Python (a dev install's venv)."""
    beside = Path(sys.executable).parent / "amqtt"
    return shutil.which("amqtt") or (str(beside) if beside.exists() else None)


def find_broker() -> str | None:
    """Return "mosquitto" or "amqtt" (whichever can run here), or None.

    RETROWALK_TEST_BROKER=amqtt forces the fallback (to test it where mosquitto exists too).
    """
    wanted = os.environ.get("RETROWALK_TEST_BROKER")
    have_mosquitto = Path(MOSQUITTO).exists()
    have_amqtt = _amqtt_command() is not None
    if wanted == "amqtt":
        return "amqtt" if have_amqtt else None
    if have_mosquitto:
        return "mosquitto"
    return "amqtt" if have_amqtt else None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class TlsFiles:
    """A throw-away CA and a server certificate for 127.0.0.1, made with openssl."""

    ca: Path
    cert: Path
    key: Path


def make_tls(directory: Path) -> TlsFiles:
    """Create a CA and a server certificate (SAN IP:127.0.0.1, DNS:localhost) with openssl."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca = directory / "ca.key", directory / "ca.pem"
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.pem"
    ext = directory / "san.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n", encoding="utf-8")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    run("req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
        "-subj", "/CN=retrowalk test CA")  # fmt: skip
    run("req", *ec, "-keyout", str(key), "-out", str(csr), "-subj", "/CN=127.0.0.1")
    run(
        "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext),
    )  # fmt: skip
    return TlsFiles(ca=ca, cert=cert, key=key)


class MqttBroker:
    """One broker process on a fixed loopback port; start, kill and restart it at will."""

    def __init__(
        self,
        directory: Path,
        *,
        kind: str = "mosquitto",
        users: dict[str, str] | None = None,
        acl: str | None = None,
        tls: TlsFiles | None = None,
    ) -> None:
        self.directory = directory
        self.kind = kind
        self.users = users or {}
        self.acl = acl
        self.tls = tls
        self.port = free_port()
        self.log = directory / f"{kind}.log"
        self._process: subprocess.Popen[bytes] | None = None
        # Only mosquitto keeps sessions (and what they missed) across a restart.
        self.persistent = kind == "mosquitto"
        directory.mkdir(parents=True, exist_ok=True)
        self._config = self._write_config()

    def url(self, user: str | None = None, password: str | None = None) -> str:
        """Return the broker URL, with credentials when given."""
        scheme = "mqtts" if self.tls else "mqtt"
        auth = ""
        if user is not None:
            auth = quote(user, safe="")
            if password is not None:
                auth += ":" + quote(password, safe="")
            auth += "@"
        return f"{scheme}://{auth}127.0.0.1:{self.port}"

    def start(self, *, wait: bool = True) -> None:
        """Start the broker process (and wait until it accepts connections)."""
        assert self._process is None or self._process.poll() is not None
        command = (
            [MOSQUITTO, "-c", str(self._config)]
            if self.kind == "mosquitto"
            else [str(_amqtt_command()), "-c", str(self._config)]
        )
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        if wait:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while not self._accepting():
                self._check_alive()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.kind} did not start: {self.log.read_text()}")
                time.sleep(0.01)

    async def start_async(self) -> None:
        """Start the broker from async code and wait (without blocking the loop) until ready."""
        self.start(wait=False)
        async with asyncio.timeout(READY_TIMEOUT_S):
            while True:
                self._check_alive()
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                    writer.close()
                    await writer.wait_closed()
                    return
                await asyncio.sleep(0.01)

    def kill(self) -> None:
        """Kill the broker abruptly (SIGKILL): clients see the connection drop."""
        self._end(signal.SIGKILL)

    def freeze(self) -> None:
        """Stop the broker process (SIGSTOP): sockets stay open, nothing answers (a dead link)."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """Let a frozen broker run again (SIGCONT)."""
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop the broker (SIGTERM) and wait for it to exit."""
        self._end(signal.SIGTERM)

    def _end(self, sig: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGCONT)  # a frozen broker cannot act on SIGTERM
            process.send_signal(sig)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _check_alive(self) -> None:
        if self._process is None or self._process.poll() is not None:
            raise RuntimeError(f"{self.kind} exited: {self.log.read_text(errors='replace')}")

    def _accepting(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def _write_config(self) -> Path:
        if self.kind == "amqtt":
            return self._write_amqtt_config()
        lines = [
            f"listener {self.port} 127.0.0.1",
            # Started as root, mosquitto would drop to user "mosquitto" and lose our tmp files.
            f"user {pwd.getpwuid(os.geteuid()).pw_name}",
            # Persistent sessions survive a kill, so a test's subscriber misses nothing that
            # was published while it reconnected.
            "persistence true",
            f"persistence_location {self.directory}/",
            "autosave_on_changes true",
            "autosave_interval 1",
            "queue_qos0_messages true",
            "log_dest stdout",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            f"allow_anonymous {'false' if self.users else 'true'}",
        ]
        if self.users:
            passwd = self.directory / "passwd"
            passwd.touch(mode=0o600)
            for user, password in self.users.items():
                subprocess.run(
                    ["mosquitto_passwd", "-b", str(passwd), user, password],
                    check=True,
                    capture_output=True,
                )
            lines.append(f"password_file {passwd}")
        if self.acl is not None:
            acl = self.directory / "acl"
            acl.write_text(self.acl, encoding="utf-8")
            lines.append(f"acl_file {acl}")
        if self.tls is not None:
            lines += [
                f"cafile {self.tls.ca}",
                f"certfile {self.tls.cert}",
                f"keyfile {self.tls.key}",
            ]
        config = self.directory / "mosquitto.conf"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return config

    def _write_amqtt_config(self) -> Path:
        # amqtt cannot read mosquitto's password hashes or ACL syntax: auth tests skip on it.
        if self.users or self.acl or self.tls:
            msg = "the amqtt fallback supports only the anonymous, plain-TCP tests"
            raise NotImplementedError(msg)
        config = self.directory / "amqtt.yaml"
        config.write_text(  # the amqtt 0.12 format
            "listeners:\n"
            "  default:\n"
            "    type: tcp\n"
            f"    bind: 127.0.0.1:{self.port}\n"
            "plugins:\n"
            "  amqtt.plugins.authentication.AnonymousAuthPlugin:\n"
            "    allow_anonymous: true\n",
            encoding="utf-8",
        )
        return config


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
