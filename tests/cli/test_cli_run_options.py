"""`retrowalk run` refuses bad option combinations before anything connects (exit 2, one line)."""

from __future__ import annotations

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
    assert "config.toml: unknown setting 'profil'" in err
