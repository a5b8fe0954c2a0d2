"""Where the broker password comes from, in which order, and files that cannot give one."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

import pytest

from retrowalk.broker.credentials import PASSWORD_ENV, Password, find_password
from retrowalk.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path


def test_a_file_beats_the_environment_which_beats_the_config_file(tmp_path: Path) -> None:
    """--mqtt-password-file, then RETROWALK_MQTT_PASSWORD, then mqtt_password; else none."""
    secret = tmp_path / "pw"
    secret.write_text("from-file\n", encoding="utf-8")
    env = {PASSWORD_ENV: "from-env"}
    found = find_password(file=secret, configured="from-config", environ=env)
    assert found == Password("from-file", f"--mqtt-password-file {secret}")
    assert found is not None
    assert found.value == "from-file"
    assert find_password(configured="from-config", environ=env) == Password(
        "from-env", PASSWORD_ENV
    )
    from_config = find_password(configured="from-config", config_source="cfg", environ={})
    assert from_config == Password("from-config", "cfg")
    assert find_password(environ={}) is None


def test_the_password_is_never_in_repr(tmp_path: Path) -> None:
    """A Password shows where it came from, never its value."""
    assert "s3cret" not in repr(Password("s3cret", "RETROWALK_MQTT_PASSWORD"))


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "empty"),
        (b"\n", "empty"),
        (b"pw-first\npw-second\n", "more than one line"),
        (b"\xff\xfe", "not UTF-8"),
        (b"x" * 5000, "over 4096 bytes"),
    ],
)
def test_a_file_that_holds_no_single_password_is_refused(
    tmp_path: Path, content: bytes, why: str
) -> None:
    """Empty, several lines, not text or too large: ConfigError naming the file, not its content."""
    secret = tmp_path / "pw"
    secret.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        find_password(file=secret, environ={})
    message = str(info.value)
    assert message.startswith(f"--mqtt-password-file {secret}: ")
    assert why in message
    assert "pw-" not in message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    """A password file that does not exist is one clear error."""
    with pytest.raises(ConfigError, match="cannot read it"):
        find_password(file=tmp_path / "none", environ={})


def test_a_pipe_is_read_once(tmp_path: Path) -> None:
    """`--mqtt-password-file <(pass show x)` hands over a pipe: its one line is the password."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def write() -> None:
        with fifo.open("w", encoding="utf-8") as pipe:
            pipe.write("piped-pw\r\n")

    writer = threading.Thread(target=write)
    writer.start()
    found = find_password(file=fifo, environ={})
    writer.join()
    assert found is not None
    assert found.value == "piped-pw"
