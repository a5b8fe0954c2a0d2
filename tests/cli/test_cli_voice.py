"""`retrowalk voice` and `run --voice-test`: the voice is tried before the belt moves."""

from __future__ import annotations

import io
import shutil
from typing import TYPE_CHECKING

import pytest

from retrowalk.cli.cmd_voice import voice_test
from retrowalk.cli.main import main
from retrowalk.sinks.speech import AudioProbe

if TYPE_CHECKING:
    from pathlib import Path


def no_sound(root: Path) -> AudioProbe:
    """Return a machine whose sound outputs are all unavailable."""
    return AudioProbe(env={}, dev_snd=root / "snd", proc_cards=root / "cards",
                      dev_dsp=root / "dsp")  # fmt: skip


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_voice_test_with_no_audio_output_says_so_and_rings_the_bell(tmp_path: Path) -> None:
    """espeak-ng with its output device made unavailable: reported, the bell rings, exit 1."""
    out = io.StringIO()
    code = voice_test("espeak", out=out, probe=no_sound(tmp_path))
    text = out.getvalue()
    assert code == 1
    assert "espeak-ng is installed but this machine has no audio output" in text
    assert "rang the terminal bell instead" in text


def test_voice_command_names_the_engine_and_output(capsys: pytest.CaptureFixture[str]) -> None:
    """`retrowalk voice --voice bell` says which voice on which output, and says the sentence."""
    assert main(["voice", "--voice", "bell", "--say", "Testing, one two."]) == 0
    out = capsys.readouterr().out
    assert "voice: the bell on the terminal" in out
    assert "said with the bell on the terminal: Testing, one two." in out


def test_voice_off_says_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """`--voice off` is a valid choice that says nothing."""
    assert main(["voice", "--voice", "off"]) == 0
    assert "nothing was said (voice off)" in capsys.readouterr().out


def test_unknown_voice_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown voice exits 2 with the allowed names, no traceback."""
    assert main(["voice", "--voice", "robot"]) == 2
    err = capsys.readouterr().err
    assert "auto, espeak, say, sapi, bell, off" in err
    assert "Traceback" not in err


def test_voice_comes_from_config_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """Without --voice the config file's voice is tried."""
    config = tmp_path / "config.toml"
    config.write_text('voice = "off"\n')
    monkeypatch.setenv("RETROWALK_CONFIG", str(config))
    assert main(["voice"]) == 0
    assert "voice off" in capsys.readouterr().out


def test_run_voice_test_speaks_before_the_workout(capsys: pytest.CaptureFixture[str]) -> None:
    """`run --voice-test` tries the chosen voice first, then runs the workout."""
    code = main(["run", "retro-intro", "--sim", "--fast", "--yes", "--voice", "bell",
                 "--voice-test"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0
    assert "voice: the bell on the terminal" in captured.err
