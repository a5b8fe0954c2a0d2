"""`retrowalk run` as a real process: Ctrl-C stops and saves; SIGKILL loses at most a second.

These start the CLI as a child process with --speedup (scaled real time), so they are marked
realtime and kept short.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from retrowalk.sinks.recorder import list_sessions, read_session

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.realtime

CLOCK = re.compile(r"^\s*(\d+):(\d\d)\s")


def _start(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "RETROWALK_DATA_DIR": str(tmp_path / "data"),
        "RETROWALK_CONFIG": os.devnull,
        "PYTHONUNBUFFERED": "1",
    }
    argv = [sys.executable, "-m", "retrowalk", "run", "retro-intro", "--sim", "--yes"]
    argv += ["--plain", "--voice", "off", *extra]
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _read_until(child: subprocess.Popen[str], pattern: str, deadline_s: float = 30.0) -> str:
    """Return the first stdout line containing `pattern` (fails if the child ends first)."""
    assert child.stdout is not None
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        line = child.stdout.readline()
        if not line:
            break
        if pattern in line:
            return line
    child.kill()
    child.wait()
    pytest.fail(f"no line with {pattern!r} before the run ended")


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
    ids=["ctrl-c", "kill", "terminal-closed"],
)
def test_a_stop_signal_stops_the_belt_and_saves_the_session(
    tmp_path: Path, signum: int, code: int
) -> None:
    """Ctrl-C, kill or a closed terminal mid-run: belt stopped, session saved, exit 128+signal."""
    child = _start(tmp_path, "--speedup", "20")
    _read_until(child, "step 1/8")
    time.sleep(0.5)
    child.send_signal(signum)
    out, err = child.communicate(timeout=30)
    assert child.returncode == code, err
    assert "aborted: interrupted" in out
    assert "belt      stopped" in out
    assert "Traceback" not in err
    [session] = list_sessions(tmp_path / "data" / "sessions")
    assert session.ended == "aborted"
    _, records = read_session(session.path)
    assert records[-1]["belt_stopped"] is True
    assert [r["type"] for r in records if r["kind"] == "event"][-1] == "Aborted"


def test_a_killed_run_leaves_a_log_readable_up_to_its_last_second(tmp_path: Path) -> None:
    """SIGKILL mid-run: the log has the header and everything up to a second before the kill."""
    child = _start(tmp_path, "--speedup", "20", "--verbose")
    line = _read_until(child, "set speed 3.0 km/h")  # the start ramp, about 4 s in
    match = CLOCK.match(line)
    assert match is not None
    seen_at = int(match[1]) * 60 + int(match[2])
    time.sleep(0.2)  # 4 s of workout at x20: the recorder has flushed what was printed
    child.kill()
    child.communicate(timeout=30)
    [session] = list_sessions(tmp_path / "data" / "sessions")
    assert session.ended == "incomplete"
    header, records = read_session(session.path)
    assert header["workout"]["name"] == "Retro Intro"
    samples = [r["t"] for r in records if r["kind"] == "sample"]
    assert samples[-1] >= seen_at - 1
    speeds = [r["speed_kmh"] for r in records if r.get("type") == "TargetSet"]
    assert 3.0 in speeds
    assert records[-1]["kind"] != "summary"


def test_a_closed_output_stops_the_workout_without_a_traceback(tmp_path: Path) -> None:
    """`retrowalk run ... | head -1`: the belt is stopped, the log saved, one clear line, exit 1."""
    child = _start(tmp_path, "--speedup", "20")
    _read_until(child, "connected to")
    assert child.stdout is not None
    child.stdout.close()  # what `head` does after its first line
    _, err = child.communicate(timeout=60)
    assert child.returncode == 1
    [line] = err.strip().splitlines()
    assert line.startswith(
        "retrowalk: the output was closed (broken pipe or closed terminal): the workout was stopped"
    )
    assert "belt stopped" in line
    [session] = list_sessions(tmp_path / "data" / "sessions")
    assert session.ended == "aborted"
    _, records = read_session(session.path)
    assert records[-1]["belt_stopped"] is True


def test_closing_the_terminal_of_the_screen_app_stops_the_belt_and_ends(tmp_path: Path) -> None:
    """The screen app's terminal hangs up mid-run: belt stopped, session saved, process gone."""
    import pty  # noqa: PLC0415 - POSIX only, like the hang-up it tests

    master, slave = pty.openpty()
    env = {
        **os.environ,
        "RETROWALK_DATA_DIR": str(tmp_path / "data"),
        "RETROWALK_CONFIG": os.devnull,
        "TERM": "xterm-256color",
        "COLUMNS": "100",
        "LINES": "30",
    }
    argv = [sys.executable, "-m", "retrowalk", "run", "retro-intro", "--sim", "--yes"]
    child = subprocess.Popen(
        [*argv, "--voice", "off", "--speedup", "20"],
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    sessions = tmp_path / "data" / "sessions"
    end = time.monotonic() + 30
    while time.monotonic() < end and not any(
        '"StepStarted"' in p.read_text() for p in sessions.glob("*.jsonl")
    ):
        with contextlib.suppress(OSError):
            os.read(master, 65536)  # keep the screen's output flowing, as a terminal does
        time.sleep(0.1)
    os.close(master)  # the terminal window closes...
    child.send_signal(signal.SIGHUP)  # ...and the kernel hangs up its session
    try:
        code = child.wait(timeout=30)
    finally:
        child.kill()
    assert code == 129
    [session] = list_sessions(sessions)
    assert session.ended == "aborted"
    _, records = read_session(session.path)
    assert records[-1]["belt_stopped"] is True
