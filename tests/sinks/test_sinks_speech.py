"""Choosing the voice: one list of names, and a speech engine nobody can hear found out first."""

from __future__ import annotations

import shutil
import socket
from typing import TYPE_CHECKING

import pytest

from retrowalk import config
from retrowalk.cli import cmd_run, run_options
from retrowalk.errors import ConfigError
from retrowalk.sinks.speaker import BellBackend, CommandBackend, make_speaker
from retrowalk.sinks.speech import KINDS, AudioProbe, choose_voice, find_audio_output

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (CI installs it)"
)


def silent_machine(root: Path) -> AudioProbe:
    """Return a probe of a machine with no sound server, no sound card and no OSS device."""
    return AudioProbe(env={"XDG_RUNTIME_DIR": str(root / "run")}, dev_snd=root / "snd",
                      proc_cards=root / "cards", dev_dsp=root / "dsp")  # fmt: skip


@pytest.fixture
def pulse_server(tmp_path: Path) -> Iterator[Path]:
    """Listen on $XDG_RUNTIME_DIR/pulse/native as a sound server would (nothing is played)."""
    path = tmp_path / "run" / "pulse" / "native"
    path.parent.mkdir(parents=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)
        yield path


def test_voice_names_are_one_list() -> None:
    """`--voice`, config.toml and `retrowalk voice` all read speech.KINDS."""
    assert KINDS == ("auto", "espeak", "say", "sapi", "bell", "off")
    assert cmd_run.VOICE_KINDS is KINDS
    assert run_options.VOICE_KINDS is KINDS
    assert config.VOICE_KINDS == KINDS  # config.toml's validation (a typed Literal) agrees


def test_unknown_voice_names_the_choices() -> None:
    """An unknown voice is a ConfigError listing the allowed names."""
    with pytest.raises(ConfigError, match="auto, espeak, say, sapi, bell, off"):
        choose_voice("robot")


@needs_espeak
def test_espeak_with_no_audio_output_falls_back_to_the_bell(tmp_path: Path) -> None:
    """espeak-ng on a machine whose sound outputs are all unavailable: said why, bell instead."""
    for asked in ("espeak", "auto"):
        choice = choose_voice(asked, probe=silent_machine(tmp_path))
        assert choice.kind == "bell"
        assert choice.problem is not None
        assert "no audio output" in choice.describe()
        assert "terminal bell" in choice.describe()
        assert isinstance(make_speaker(choice).backend, BellBackend)


@needs_espeak
def test_a_stale_sound_server_socket_is_no_output(tmp_path: Path) -> None:
    """A socket file left by a sound server that has gone counts as no output."""
    stale = tmp_path / "run" / "pulse" / "native"
    stale.parent.mkdir(parents=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as gone:
        gone.bind(str(stale))  # bound, never listening: nothing answers
    assert choose_voice("espeak", probe=silent_machine(tmp_path)).kind == "bell"


@needs_espeak
def test_espeak_with_a_sound_server_speaks_there(tmp_path: Path, pulse_server: Path) -> None:
    """A sound server that answers is espeak-ng's output, and the choice says so."""
    choice = choose_voice("espeak", probe=silent_machine(tmp_path))
    assert choice.kind == "espeak"
    assert choice.problem is None
    assert str(pulse_server) in choice.describe()
    assert "espeak-ng" in choice.describe()
    assert isinstance(make_speaker(choice).backend, CommandBackend)


def test_a_sound_card_is_an_output(tmp_path: Path) -> None:
    """An ALSA playback device counts as an output, named by its card."""
    probe = silent_machine(tmp_path)
    assert find_audio_output(probe) is None
    (tmp_path / "snd").mkdir()
    (tmp_path / "snd" / "pcmC0D0p").touch()
    (tmp_path / "cards").write_text(" 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n")
    assert find_audio_output(probe) == f"sound card HDA Intel PCH ({tmp_path}/snd/pcmC0D0p)"


def test_a_network_sound_server_is_trusted(tmp_path: Path) -> None:
    """PULSE_SERVER naming a server over the network is taken as an output (not probed)."""
    probe = AudioProbe(env={"PULSE_SERVER": "tcp:studio.local"}, dev_snd=tmp_path / "snd",
                       proc_cards=tmp_path / "cards", dev_dsp=tmp_path / "dsp")  # fmt: skip
    assert find_audio_output(probe) == "the sound server tcp:studio.local"


def test_bell_and_off_need_no_audio_check(tmp_path: Path) -> None:
    """The bell and `off` are chosen as asked, whatever the machine's sound."""
    assert choose_voice("bell", probe=silent_machine(tmp_path)).kind == "bell"
    assert choose_voice("off", probe=silent_machine(tmp_path)).describe() == "voice off"
