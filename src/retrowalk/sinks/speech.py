"""Which voice speaks, and whether anybody can hear it: the voice names, chosen once, here.

`KINDS` is the one list of voice names (`--voice`, config.toml's `voice`, `retrowalk voice`).
`choose_voice(kind)` decides which speech program runs and where its sound goes, before the
start: on Linux a speech program with no audio output (espeak-ng exits 0 with no sound card
and no sound server) is found out here, and the choice falls back to the terminal bell with the
reason said. The Speaker that runs the choice is in sinks/speaker.py; this module starts no
process and imports nothing heavy (the CLI's `--help` reads `KINDS`).
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from retrowalk.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

KINDS = ("auto", "espeak", "say", "sapi", "bell", "off")

# Priorities: a cue at URGENT or above cuts a less urgent utterance in progress.
INFO = 0
CHANGE = 5
URGENT = 10

_PROGRAMS = {"say": ("say",), "sapi": ("powershell", "pwsh"), "espeak": ("espeak-ng", "espeak")}
_NAMES = {"espeak": "espeak-ng", "say": "macOS say", "sapi": "Windows SAPI", "bell": "the bell"}


@dataclass(frozen=True)
class AudioProbe:
    """Where Linux keeps its sound outputs; a test points these at folders it made."""

    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    dev_snd: Path = Path("/dev/snd")
    proc_cards: Path = Path("/proc/asound/cards")
    dev_dsp: Path = Path("/dev/dsp")


@dataclass(frozen=True)
class VoiceChoice:
    """What will speak: `kind` (after auto and any fallback), its program and its output."""

    asked: str  # what the person chose (auto, espeak, ...)
    kind: str  # what will run: espeak, say, sapi, bell or off
    program: str | None  # the speech program's path, for espeak, say and sapi
    output: str  # where the sound goes, in words
    problem: str | None = None  # why the asked voice cannot be heard here (then kind is bell)

    def describe(self) -> str:
        """Return one line saying which engine speaks on which output, and any fallback."""
        if self.kind == "off":
            return "voice off"
        if self.problem is not None:
            return f"{self.problem}: using the terminal bell instead"
        name = _NAMES[self.kind]
        where = f" ({self.program})" if self.program else ""
        return f"{name}{where} on {self.output}"


def choose_voice(kind: str, *, probe: AudioProbe | None = None) -> VoiceChoice:
    """Return what `kind` speaks with here; ConfigError if it is unknown or not installed."""
    if kind not in KINDS:
        raise ConfigError(f"--voice {kind!r} is not known; choose one of {', '.join(KINDS)}")
    actual = available_kinds()[0] if kind == "auto" else kind
    if actual == "off":
        return VoiceChoice(kind, "off", None, "nothing")
    if actual == "bell":
        return VoiceChoice(kind, "bell", None, "the terminal")
    program = find_program(actual)
    if program is None:
        raise ConfigError(_MISSING[actual])
    if actual != "espeak" or sys.platform in {"darwin", "win32"}:
        return VoiceChoice(kind, actual, program, "the system's default sound output")
    output = find_audio_output(probe or AudioProbe())
    if output is None:
        problem = (
            "espeak-ng is installed but this machine has no audio output "
            "(no sound server, no sound card)"
        )
        return VoiceChoice(kind, "bell", program, "the terminal", problem)
    return VoiceChoice(kind, "espeak", program, output)


_MISSING = {
    "espeak": "--voice espeak: espeak-ng is not installed (apt install espeak-ng), "
    "or use --voice bell / off",
    "say": "--voice say: the macOS `say` command is not on PATH",
    "sapi": "--voice sapi: PowerShell is not on PATH (Windows only)",
}


def find_program(kind: str) -> str | None:
    """Return the path of the program behind voice `kind`, None when it is not installed."""
    for name in _PROGRAMS.get(kind, ()):
        if (path := shutil.which(name)) is not None:
            return path
    return None


def available_kinds() -> list[str]:
    """Return the voices installed on this machine, best first (bell and off always)."""
    found: list[str] = []
    if sys.platform == "darwin" and find_program("say"):
        found.append("say")
    if sys.platform == "win32" and find_program("sapi"):
        found.append("sapi")
    if find_program("espeak"):
        found.append("espeak")
    return [*found, "bell", "off"]


def find_audio_output(probe: AudioProbe) -> str | None:
    """Return the sound output espeak-ng would play on (in words), None when there is none.

    espeak-ng plays through PulseAudio (PipeWire serves the same protocol) when a server
    answers, else straight to an ALSA playback device, else OSS's /dev/dsp.
    """
    remote = probe.env.get("PULSE_SERVER", "").removeprefix("unix:")
    if remote and not remote.startswith("/"):
        return f"the sound server {remote}"  # over the network: trusted, not probed
    for server in _server_sockets(probe.env):
        if _answers(server):
            return f"the sound server at {server}"
    playback = sorted(probe.dev_snd.glob("pcmC*D*p")) if probe.dev_snd.is_dir() else []
    if playback:
        card = _card_name(probe.proc_cards)
        return f"sound card {card} ({playback[0]})" if card else f"sound device {playback[0]}"
    if probe.dev_dsp.exists():
        return f"sound device {probe.dev_dsp}"
    return None


def _server_sockets(env: Mapping[str, str]) -> list[Path]:
    """Return the sockets a sound server would listen on: PulseAudio's, then PipeWire's."""
    named = env.get("PULSE_SERVER", "").removeprefix("unix:")
    if named:
        return [Path(named)]
    runtime = env.get("XDG_RUNTIME_DIR")
    if not runtime:
        return []
    return [Path(runtime) / "pulse" / "native", Path(runtime) / "pipewire-0"]


def _answers(path: Path) -> bool:
    """Return whether something listens on the Unix socket `path` (a stale file does not)."""
    if not hasattr(socket, "AF_UNIX"):
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def _card_name(cards: Path) -> str | None:
    """Return the first card's name from /proc/asound/cards (" 0 [PCH ]: HDA-Intel - HDA ...")."""
    try:
        text = cards.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if "]:" in line:
            return line.split(" - ", 1)[-1].strip() or None
    return None
