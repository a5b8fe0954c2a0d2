"""`retrowalk run` wiring of the optional parts: heart-rate strap, voice, MQTT."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import aiomqtt
import pytest

from retrowalk.cli.main import main
from retrowalk.history import list_sessions, read_log

MOSQUITTO = "/usr/sbin/mosquitto"


def test_a_simulated_strap_feeds_heart_rate_into_the_session(tmp_path: Path) -> None:
    """--hr auto with --sim pairs the simulated strap; samples carry the heart rate."""
    argv = ["run", "retro-intro", "--sim", "--fast", "--yes", "--hr", "auto", "--hr-max", "190"]
    assert main(argv) == 0
    [session] = list_sessions(tmp_path / "data" / "sessions")
    rates = [s.heart_rate_bpm for s in read_log(session.path).samples]
    assert sum(1 for bpm in rates if bpm is not None) > len(rates) / 2
    assert all(40 < bpm < 200 for bpm in rates if bpm is not None)


@pytest.mark.skipif(shutil.which("say") is not None, reason="this machine has macOS `say`")
def test_a_voice_that_cannot_speak_here_is_refused_before_connecting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--voice say on a machine without `say` is exit 2 with the alternatives, nothing run."""
    assert main(["run", "retro-intro", "--sim", "--fast", "--yes", "--voice", "say"]) == 2
    captured = capsys.readouterr()
    assert "`say` command is not on PATH" in captured.err
    assert captured.out == ""


def test_a_bad_mqtt_url_is_refused_before_connecting(capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed broker URL is exit 2 naming the expected form, password never shown."""
    argv = ["run", "retro-intro", "--sim", "--speedup", "5", "--yes", "--mqtt", "http://u:s3cret@h"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "mqtt[s]://" in err
    assert "s3cret" not in err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.realtime
@pytest.mark.skipif(not Path(MOSQUITTO).exists(), reason="mosquitto is not installed")
async def test_a_run_publishes_its_session_to_the_broker(tmp_path: Path) -> None:
    """--mqtt: state, events and the retained session summary reach a real mosquitto."""
    port = _free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
    broker = await asyncio.create_subprocess_exec(
        MOSQUITTO, "-c", str(config), stderr=subprocess.DEVNULL
    )
    try:
        async with asyncio.timeout(30):
            while True:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    await asyncio.sleep(0.05)
                    continue
                writer.close()
                await writer.wait_closed()
                break
            env = {
                **os.environ,
                "RETROWALK_DATA_DIR": str(tmp_path / "data"),
                "RETROWALK_CONFIG": os.devnull,
            }
            workout = tmp_path / "short.yaml"
            workout.write_text(
                "version: 1\nname: Short\nprofile: standard\ncountdown: 0s\n"
                "intervals:\n  - forward: 20s\n    speed: 2.0\n"
            )
            argv = ["-m", "retrowalk", "run", str(workout), "--sim", "--speedup", "10", "--yes"]
            argv += ["--mqtt", f"mqtt://127.0.0.1:{port}", "--treadmill-id", "lane-7"]
            child = await asyncio.create_subprocess_exec(
                sys.executable, *argv, env=env, stdout=subprocess.DEVNULL
            )
            assert await child.wait() == 0
            topics: dict[str, bytes] = {}
            async with aiomqtt.Client("127.0.0.1", port) as client:
                await client.subscribe("retrowalk/lane-7/#")
                async for message in client.messages:  # retained messages arrive first
                    assert isinstance(message.payload, bytes | bytearray)
                    topics[str(message.topic)] = bytes(message.payload)
                    if {"retrowalk/lane-7/session", "retrowalk/lane-7/status"} <= set(topics):
                        break
    finally:
        broker.terminate()
        await broker.wait()
    summary = json.loads(topics["retrowalk/lane-7/session"])
    assert summary["outcome"] == "finished"
    assert summary["workout"] == "Short"
    assert topics["retrowalk/lane-7/status"] == b"offline"
