"""What `retrowalk run` tells the person: remote control armed, and a terminal that goes away."""

from __future__ import annotations

import socket
import subprocess
from typing import TYPE_CHECKING

import pytest
from pty_terminal import ENTER_SCREEN, Terminal

from retrowalk.cli.main import main
from retrowalk.history import list_sessions, read_log

if TYPE_CHECKING:
    from pathlib import Path


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


@pytest.mark.parametrize("armed_by", ["config", "flag"])
def test_remote_control_is_announced_at_the_start(
    armed_by: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Armed in config.toml or by --remote-control: a safety notice first, saying where from."""
    workout = tmp_path / "short.yaml"
    workout.write_text(
        "version: 1\nname: Short\nprofile: standard\ncountdown: 0s\n"
        "intervals:\n  - forward: 20s\n    speed: 2.0\n"
    )
    config = tmp_path / "config.toml"
    broker = f"mqtt://127.0.0.1:{_closed_port()}"  # a broker that is down never stops a run
    config.write_text(
        f'mqtt = "{broker}"\n' + ("remote_control = true\n" if armed_by == "config" else "")
    )
    monkeypatch.setenv("RETROWALK_CONFIG", str(config))
    argv = ["run", str(workout), "--sim", "--speedup", "20", "--yes", "--plain", "--voice", "off"]
    assert main([*argv, *(["--remote-control"] if armed_by == "flag" else [])]) == 0
    out = capsys.readouterr().out
    where = "remote_control in the config file" if armed_by == "config" else "--remote-control"
    assert f"SAFETY: remote control is on ({where})" in out.splitlines()[0]  # said first
    [session] = list_sessions(tmp_path / "data" / "sessions")
    notices = [
        e.fields for e in read_log(session.path).events_of("Notice")
        if "remote control" in e.fields["message"]
    ]  # fmt: skip
    assert [n["safety"] for n in notices] == [True]


def test_no_notice_without_remote_control(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Remote control not armed: nothing is said about it."""
    assert main(["run", "retro-intro", "--sim", "--fast", "--yes"]) == 0
    assert "remote control" not in capsys.readouterr().out


@pytest.mark.realtime
def test_a_terminal_gone_without_a_hang_up_stops_the_belt(tmp_path: Path) -> None:
    """The screen app's terminal closes and no SIGHUP comes: belt stopped, log saved, exit 129."""
    term = Terminal(tmp_path / "data", [*_SCREEN_RUN, "retro-intro", *_FAST_ENOUGH])
    term.wait_for_log('"StepStarted"')
    term.close()  # the terminal goes away; only the next write to it can tell
    code = term.exit_code()
    assert code == 129  # as after a hang-up
    [session] = list_sessions(term.sessions)
    assert session.ended == "aborted"
    summary = read_log(session.path).summary
    assert summary is not None
    assert summary.belt_stopped is True


_SCREEN_RUN = ["run", "--sim", "--yes", "--voice", "off"]
_FAST_ENOUGH = ["--speedup", "20"]
_SHORT = (
    "version: 1\nname: Short\nprofile: standard\ncountdown: 0s\n"
    "intervals:\n  - forward: 20s\n    speed: 2.0\n"
)


@pytest.mark.realtime
def test_an_error_log_is_not_drawn_into(tmp_path: Path) -> None:
    """`run ... 2> log` in a terminal: lines on the terminal, no screen drawn into the log."""
    workout = tmp_path / "short.yaml"
    workout.write_text(_SHORT)
    log = tmp_path / "errors.log"
    with log.open("wb") as errors:
        term = Terminal(
            tmp_path / "data", [*_SCREEN_RUN, str(workout), *_FAST_ENOUGH], stderr=errors
        )
    code = term.exit_code()
    seen = term.seen
    assert code == 0
    assert b"Short: finished" in seen
    assert b"\x1b[" not in log.read_bytes()


@pytest.mark.realtime
@pytest.mark.parametrize("how", ["stdin-devnull", "term-dumb"])
def test_no_screen_when_no_key_can_reach_it_or_nothing_can_draw_it(
    tmp_path: Path, how: str
) -> None:
    """`run ... < /dev/null`, or TERM=dumb (Emacs' shell): lines, not a screen app.

    No Esc could arrive from /dev/null; a dumb terminal would print the app's escape codes.
    """
    workout = tmp_path / "short.yaml"
    workout.write_text(_SHORT)
    args = [*_SCREEN_RUN, str(workout), *_FAST_ENOUGH]
    if how == "stdin-devnull":
        term = Terminal(tmp_path / "data", args, stdin=subprocess.DEVNULL)
    else:
        term = Terminal(tmp_path / "data", args, term="dumb")
    assert term.exit_code() == 0
    assert b"Short: finished" in term.seen
    assert ENTER_SCREEN not in term.seen


@pytest.mark.realtime
def test_a_signal_after_the_end_only_closes_the_screen(tmp_path: Path) -> None:
    """The workout finished, the screen waits for a key; `kill`: it closes, exit 0, log complete."""
    workout = tmp_path / "short.yaml"
    workout.write_text(_SHORT)
    term = Terminal(tmp_path / "data", [*_SCREEN_RUN, str(workout), *_FAST_ENOUGH])
    try:
        term.wait_for_log('"kind":"summary"')
        assert term.child.poll() is None  # the app shows the end and waits for the person
        term.child.terminate()
    finally:
        code = term.exit_code(deadline_s=10)
    assert code == 0
    [session] = list_sessions(term.sessions)
    assert session.ended == "finished"
