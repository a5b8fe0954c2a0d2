"""The READY screen says how this run confirms: the console's Start, a countdown start, no log."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from retrowalk.cli.main import build_parser
from retrowalk.cli.run_display import ready_notes
from retrowalk.cli.run_options import resolve_options
from retrowalk.cli.run_prepare import prepare
from retrowalk.cli.tui_view import ScreenOptions, View
from retrowalk.cli.tui_words import main_banner
from retrowalk.config import load_config
from retrowalk.engine.events import EngineState

if TYPE_CHECKING:
    from pathlib import Path

TIMED = (
    "name: Timed turns\nprofile: advanced\n{turn}"
    "intervals:\n  - {{forward: 2:00, speed: 3}}\n  - {{backward: 1:00, speed: 2}}\n"
    "  - {{forward: 1:00, speed: 3}}\n"
)


def ready_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, turn: str, *flags: str
) -> tuple[str, ...]:
    """Return the READY banner's lines for `run` of a workout with this `turn:` line."""
    monkeypatch.setenv("RETROWALK_CONFIG", str(tmp_path / "config.toml"))
    (tmp_path / "config.toml").write_text("")
    path = tmp_path / "timed.yaml"
    path.write_text(TIMED.format(turn=turn))
    args = build_parser().parse_args(["run", str(path), "--sim", "--profile", "advanced", *flags])
    prepared = prepare(resolve_options(args, load_config()))
    banner = main_banner(
        View(state=EngineState.WAITING_START), ScreenOptions(notes=ready_notes(prepared))
    )
    assert banner is not None
    assert banner.title == "READY"
    return banner.lines


def test_a_countdown_start_is_said_before_the_belt_moves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`confirm: false` under advanced: READY says both turns restart by themselves, and how."""
    lines = ready_lines(tmp_path, monkeypatch, "turn: {confirm: false}\n")
    [line] = [line for line in lines if line.startswith("Countdown start")]
    assert "after 2 turn-arounds the belt restarts by itself" in line
    assert "Esc to wait" in line


@pytest.mark.parametrize(
    ("turn", "flags"),
    [("", ()), ("turn: {confirm: false}\n", ("--yes",))],
    ids=["confirmed-turns", "auto-confirmed-run"],
)
def test_no_countdown_line_where_the_belt_waits_or_nobody_confirms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, turn: str, flags: tuple[str, ...]
) -> None:
    """Turns that wait for the person, or a `--yes` run (every start confirmed): no such line."""
    lines = ready_lines(tmp_path, monkeypatch, turn, *flags)
    assert not [line for line in lines if line.startswith("Countdown start")]
    assert any("Start on the treadmill's console" in line for line in lines)
