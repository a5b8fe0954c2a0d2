"""`retrowalk sim --transport`: the simulator as its own process, and its refusals."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from retrowalk.cli.cmd_sim import describe
from retrowalk.cli.main import main
from retrowalk.device.api import LinkLost
from retrowalk.device.bumble_adapter import BumbleAdapter
from retrowalk.device.scan import connect
from retrowalk_sim.bumble_server import ServerEvent

if TYPE_CHECKING:
    from pathlib import Path

WAIT_S = 15.0


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["sim", "--transport", "bogus:1"], "unknown transport 'bogus'"),
        (["sim", "--transport", "tcp-server:127.0.0.1:99999"], "port from 0 to 65535"),
        (["sim", "--transport", "tcp-client:127.0.0.1:9"], "does not dial out"),
        (["sim", "nope", "--transport", "tcp-server:127.0.0.1:0"], "unknown simulator profile"),
        (
            ["run", "retro-intro", "--sim", "--adapter", "tcp-client:1.2.3.4:9"],
            "exclude each other",
        ),
        (["run", "retro-intro", "--adapter", "tcp-client:127.0.0.1"], "needs HOST:PORT"),
        (["scan", "--adapter", "wifi:0"], "unknown transport 'wifi'"),
        (
            ["show", "retro-intro", "--sim", "home", "--adapter", "tcp-client:1.2.3.4:9"],
            "exclude each other",
        ),
        (["show", "retro-intro", "--adapter", "tcp:1"], "unknown transport 'tcp'"),
    ],
)
def test_bad_transports_are_refused_before_anything_opens(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad spec or profile: exit 2 and one line naming it and what is allowed."""
    assert main(argv) == 2
    assert words in capsys.readouterr().err


def test_a_control_point_write_is_printed_in_words() -> None:
    """The simulator's log line for a write names the central, the bytes and the request."""
    line = describe(ServerEvent("write", "C0:52:57:00:00:01", b"\x02\x2c\x01"))
    assert (
        line == "C0:52:57:00:00:01 wrote the control point: 02 2c 01 (set target speed 3.00 km/h)"
    )


@pytest.mark.realtime
async def test_the_simulator_process_serves_a_client_and_ctrl_c_drops_it(tmp_path: Path) -> None:
    """`retrowalk sim` in a process: a device-layer client controls it; Ctrl-C ends it, exit 0."""
    env = {**os.environ, "RETROWALK_CONFIG": os.devnull, "RETROWALK_DATA_DIR": str(tmp_path)}
    argv = [sys.executable, "-m", "retrowalk", "sim", "--transport", "tcp-server:127.0.0.1:0"]
    child = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    lines: list[str] = []
    try:
        assert child.stdout is not None
        spec = await asyncio.wait_for(_adapter_spec(child.stdout, lines), WAIT_S)
        async with BumbleAdapter(spec) as adapter, connect(None, adapter=adapter) as treadmill:
            await treadmill.request_control()
            child.send_signal(signal.SIGINT)  # Ctrl-C while the link is up
            async with asyncio.timeout(WAIT_S):
                async for event in treadmill.events():
                    if isinstance(event, LinkLost):
                        break
        lines += (await asyncio.wait_for(child.stdout.read(), WAIT_S)).decode().splitlines()
        code = await asyncio.wait_for(child.wait(), WAIT_S)
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    text = "\n".join(lines)
    assert code == 0
    assert "connected" in text
    assert "wrote the control point: 00 (request control)" in text
    assert "disconnected (reason 0x13)" in text  # a clean terminate, not a timeout
    assert lines[-1] == "retrowalk sim: stopped; the link was dropped cleanly"


async def _adapter_spec(stream: asyncio.StreamReader, lines: list[str]) -> str:
    while True:
        line = (await stream.readline()).decode()
        if not line:
            raise AssertionError("retrowalk sim ended before it listened: " + "".join(lines))
        lines.append(line.rstrip("\n"))
        if "--adapter " in line:
            return line.rsplit("--adapter ", 1)[1].strip()


@pytest.mark.realtime
def test_show_fits_the_plan_to_a_treadmill_found_through_a_real_stack(tmp_path: Path) -> None:
    """`show W --device NAME --adapter SPEC` reads the walking pad's ranges over GATT and fits."""
    env = {**os.environ, "RETROWALK_CONFIG": os.devnull, "RETROWALK_DATA_DIR": str(tmp_path)}
    sim = [sys.executable, "-m", "retrowalk", "sim", "walking-pad"]
    argv = [*sim, "--transport", "tcp-server:127.0.0.1:0"]
    with subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as child:
        try:
            assert child.stdout is not None
            spec = ""
            for raw in child.stdout:  # the simulator says where to reach it, then serves
                if b"--adapter " in raw:
                    spec = raw.decode().rsplit("--adapter ", 1)[1].strip()
                    break
            assert spec, "retrowalk sim ended before it listened"
            show = [sys.executable, "-m", "retrowalk", "show", "steady-balance-retro"]
            shown = subprocess.run(
                [*show, "--device", "CITYSPORTS-Linker", "--adapter", spec],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        finally:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                child.kill()
    assert shown.returncode == 0, shown.stderr
    first = shown.stdout.splitlines()[0]
    assert first.startswith("fitted to CITYSPORTS-Linker: "), shown.stdout
    assert "targets changed" in first  # the library workout is off the pad's 0.5 km/h grid
