"""The user's config file: defaults, every problem at once, a named file that must exist."""

from __future__ import annotations

import os
from pathlib import Path
from typing import get_args

import pytest

from retrowalk.cli.main import main
from retrowalk.config import VOICE_KINDS, ProfileName, default_units, load_config
from retrowalk.errors import ConfigError
from retrowalk.workout.safety import PROFILES


def test_config_file_values_are_defaults(tmp_path: Path) -> None:
    """Each setting in the file is read with its type; an empty file sets nothing."""
    path = tmp_path / "config.toml"
    path.write_text(
        'profile = "standard"\nweight_kg = 72\nremote_control = true\nunits = "imperial"\n'
        'device = "  KS-ST A1P "\n'
    )
    config = load_config(path)
    assert (config.profile, config.weight_kg, config.remote_control) == ("standard", 72.0, True)
    assert config.units == "imperial"
    assert config.device == "KS-ST A1P"
    path.write_text("")
    assert load_config(path).profile is None


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """One error lists each bad key, in file order, with what is allowed; the file is named."""
    path = tmp_path / "config.toml"
    path.write_text(
        'profil = "standard"\nweight_kg = 7000\nvoice = "shout"\nremote_control = "yes"\n'
        'units = "furlongs"\nhr = ""\n'
    )
    with pytest.raises(ConfigError) as error:
        load_config(path)
    first, *lines = str(error.value).splitlines()
    assert first == f"{path}: 6 problems in the config file:"
    keys = [line.split(":")[0].strip() for line in lines]
    assert keys == ["profil", "weight_kg", "voice", "remote_control", "units", "hr"]
    assert "did you mean 'profile'" in lines[0]
    assert "allowed settings:" in lines[0]
    assert "20 to 300" in lines[1]
    assert "7000" in lines[1]
    assert "auto, espeak, say, sapi, bell, off" in lines[2]
    assert "true or false" in lines[3]
    assert "metric" in lines[4]
    assert "imperial" in lines[4]


def test_a_broker_url_is_never_repeated_in_a_message(tmp_path: Path) -> None:
    """A wrong mqtt setting is named, but its value (which may hold a password) is not shown."""
    path = tmp_path / "config.toml"
    path.write_text('mqtt = ["mqtt://coach:s3cret@broker"]\n')
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert "mqtt:" in str(error.value)
    assert "s3cret" not in str(error.value)


def test_a_file_that_is_not_toml_is_named(tmp_path: Path) -> None:
    """Broken TOML is one error naming the file."""
    path = tmp_path / "config.toml"
    path.write_text("weight_kg = \n")
    with pytest.raises(ConfigError, match=r"config\.toml: not valid TOML"):
        load_config(path)


def test_the_default_file_may_be_missing_a_named_one_may_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No file at the default place: no defaults; RETROWALK_CONFIG naming a missing file: exit 2."""
    monkeypatch.delenv("RETROWALK_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))  # platformdirs on Linux
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # and on macOS
    assert load_config().profile is None
    missing = tmp_path / "typo.toml"
    monkeypatch.setenv("RETROWALK_CONFIG", str(missing))
    assert main(["run", "retro-intro", "--sim", "--fast", "--yes"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"retrowalk: {missing}: no such config file (named by RETROWALK_CONFIG)"


def test_the_profile_names_are_the_safety_profiles() -> None:
    """The config file accepts exactly the safety profiles the planner knows."""
    assert set(get_args(ProfileName)) == set(PROFILES)


@pytest.mark.parametrize(
    ("environ", "units"),
    [
        ({"LANG": "en_US.UTF-8"}, "imperial"),
        ({"LANG": "en_GB.UTF-8"}, "metric"),
        ({"LANG": "de_DE.UTF-8", "LC_MEASUREMENT": "en_US.UTF-8"}, "imperial"),
        ({"LC_ALL": "fr_FR.UTF-8", "LC_MEASUREMENT": "en_US.UTF-8"}, "metric"),
        ({"LANG": "C.UTF-8"}, "metric"),
        ({}, "metric"),
    ],
)
def test_units_default_to_the_locale(environ: dict[str, str], units: str) -> None:
    """Without a setting, the locale's measurement system decides; metric when it says none."""
    assert default_units(environ) == units


def test_the_voice_names_are_the_speech_backends() -> None:
    """The config file and --voice accept exactly the voices the speech sink knows."""
    from retrowalk.sinks.speech import KINDS  # noqa: PLC0415 - only this test needs the sink

    assert set(VOICE_KINDS) == set(KINDS)


def test_a_pipe_or_an_endless_file_is_refused_at_once(tmp_path: Path) -> None:
    """RETROWALK_CONFIG naming a FIFO (no writer) or /dev/zero: an error, never a hang."""
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a config file"):
        load_config(fifo)
    with pytest.raises(ConfigError, match="larger than"):
        load_config(Path("/dev/zero"))


def test_a_byte_order_mark_is_not_an_error(tmp_path: Path) -> None:
    """A file saved by an editor that writes a UTF-8 byte-order mark reads as usual."""
    path = tmp_path / "config.toml"
    path.write_bytes(b'\xef\xbb\xbfprofile = "beginner"\n')
    assert load_config(path).profile == "beginner"
