"""`retrowalk run` refuses bad option combinations before anything connects (exit 2, one line)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from retrowalk.cli.main import main

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--device", "AA:BB:CC:DD:EE:FF", "--yes"], "--yes needs --sim"),
        (["--yes"], "--yes needs --sim"),
        (["--fast"], "--fast needs --sim"),
        (["--speedup", "10"], "--speedup needs --sim"),
        (["--sim", "--fast", "--speedup", "3", "--yes"], "--fast and --speedup exclude each other"),
        (["--sim", "--speedup", "0"], "--speedup must be a number above 0"),
        (["--sim", "--speedup", "nan"], "--speedup must be a number above 0"),
        (["--sim", "--fast"], "--fast runs with nobody on the belt to confirm: add --yes"),
        (["--sim", "--device", "X"], "--device and --sim exclude each other"),
        (["--sim", "--weight", "5"], "--weight must be a body mass in kg from 20 to 300"),
        (["--sim", "--voice", "shout"], "--voice 'shout' is not known"),
        (["--sim", "--remote-control"], "--remote-control needs --mqtt URL"),
        (["--sim", "--ha-discovery"], "--ha-discovery needs --mqtt URL"),
        (["--sim", "--fast", "--yes", "--mqtt", "mqtt://h"], "--mqtt needs real time"),
        (["--sim", "--mqtt-ca", "ca.pem"], "--mqtt-ca needs --mqtt URL"),
        (["--sim", "--hr-max", "150"], "--hr-max needs a heart-rate strap"),
    ],
)
def test_bad_option_combinations_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each forbidden combination is refused with exit 2 and a single line naming the fix."""
    assert main(["run", "retro-intro", *argv]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("retrowalk: ")
    assert message in lines[0]
    assert captured.out == ""


def test_a_bad_config_file_is_refused_before_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo in the config file stops `run` with exit 2, naming the file and the key."""
    config = tmp_path / "config.toml"
    config.write_text('profil = "standard"\n')
    monkeypatch.setenv("RETROWALK_CONFIG", str(config))
    assert main(["run", "retro-intro", "--sim", "--fast", "--yes"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"retrowalk: {config}: profil: unknown setting")
    assert "did you mean 'profile'" in err
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--sim", "retro-intro", "--fast", "--yes"],
        ["--sim", "walking-pad", "retro-intro", "--fast", "--yes"],
        ["retro-intro", "--sim", "--fast", "--yes"],
        ["retro-intro", "--fast", "--yes", "--sim"],
    ],
    ids=["sim-then-workout", "sim-profile-then-workout", "workout-then-sim", "sim-last"],
)
def test_sim_never_eats_the_workout(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--sim WORKOUT` runs WORKOUT on the default simulator; `--sim PROFILE` picks the profile."""
    assert main(["run", *argv]) == 0
    assert "Retro Intro: finished" in capsys.readouterr().out
    [log] = (tmp_path / "data" / "sessions").glob("*.jsonl")
    header = json.loads(log.read_text().splitlines()[0])
    assert header["device"]["sim_profile"] == ("walking-pad" if "walking-pad" in argv else "home")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["retro-into", "--sim"], "(did you mean 'retro-intro'?)"),
        (["--sim", "retro-into"], "(did you mean 'retro-intro'?)"),
        (["--sim", "walkng-pad", "retro-intro"], "(did you mean 'walking-pad'?)"),
        (["--sim", "walkng-pad"], "(did you mean 'walking-pad'?)"),
        (["retro-intro", "--sim", "--profile", "standrd"], "(did you mean 'standard'?)"),
        (["retro-intro", "--sim", "--voice", "espek"], "(did you mean 'espeak'?)"),
        (["--sim"], "which workout? give WORKOUT"),
    ],
)
def test_a_mistyped_name_gets_a_suggestion(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Workout, simulator, safety profile and voice names: exit 2 with the closest right name."""
    assert main(["run", *argv, "--fast", "--yes"]) == 2
    captured = capsys.readouterr()
    [line] = captured.err.strip().splitlines()
    assert line.startswith("retrowalk: ")
    assert message in line
    assert captured.out == ""


@pytest.mark.parametrize("plain", [True, False], ids=["plain", "screen"])
def test_a_closed_output_at_the_start_is_refused_in_one_line(tmp_path: Path, plain: bool) -> None:
    """Output closed before the start: exit 2, one line on stderr, nothing run or recorded."""
    env = {**os.environ, "RETROWALK_DATA_DIR": str(tmp_path / "data")}
    argv = [sys.executable, "-m", "retrowalk", "run", "retro-intro", "--sim", "--yes"]
    argv += ["--speedup", "50", "--voice", "off", *(["--plain"] if plain else [])]
    command = " ".join(shlex.quote(word) for word in argv)
    proc = subprocess.run(
        ["/bin/sh", "-c", f"exec {command} >&-"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("retrowalk: standard output is closed")
    assert not (tmp_path / "data" / "sessions").exists()


@pytest.mark.parametrize("stdin", ["devnull", "file", "closed"])
def test_a_sim_run_nobody_could_confirm_is_refused_before_connecting(
    tmp_path: Path, stdin: str
) -> None:
    """`run --sim < /dev/null` without --yes would wait at READY forever: exit 2, no log."""
    env = {
        **os.environ,
        "RETROWALK_DATA_DIR": str(tmp_path / "data"),
        "RETROWALK_CONFIG": os.devnull,
    }
    typed = tmp_path / "typed.txt"  # Enter three times, in a file: read at once, then nothing
    typed.write_text("\n\n\n")
    argv = [sys.executable, "-m", "retrowalk", "run", "retro-intro", "--sim", "--plain"]
    if stdin == "closed":
        argv = ["sh", "-c", f"exec {shlex.join(argv)} <&-"]
    with typed.open("rb") as file:
        source = {"devnull": subprocess.DEVNULL, "file": file, "closed": None}[stdin]
        done = subprocess.run(
            argv, env=env, stdin=source, capture_output=True, text=True, timeout=30, check=False
        )
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert "add --yes" in line
    assert "connected" not in done.stdout
    assert not (tmp_path / "data" / "sessions").exists()
