"""`retrowalk keys`: the keys in use, and learning a handheld remote into config.toml."""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING

from retrowalk.cli.cmd_keys import save_remote_keys
from retrowalk.cli.keys_learn import LearnApp
from retrowalk.cli.main import build_parser, main
from retrowalk.cli.run_options import resolve_options
from retrowalk.cli.tui_keys import DEFAULT_REMOTE, RemoteKeys
from retrowalk.config import load_config

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


async def test_learning_records_one_button_per_action() -> None:
    """Each press answers the prompt; a reserved or repeated key is refused; Tab skips."""
    app = LearnApp()
    async with app.run_test() as pilot:
        for key in ("pagedown", "q", "pagedown", "pageup", "tab", "y"):
            await pilot.press(key)
            await pilot.pause()
    assert app.return_value == RemoteKeys(("pagedown",), ("pageup",), (), source="learned")


async def test_learning_can_be_left_without_saving() -> None:
    """Answering N at the end saves nothing."""
    app = LearnApp()
    async with app.run_test() as pilot:
        for key in ("f8", "f7", "f9", "n"):
            await pilot.press(key)
            await pilot.pause()
    assert app.return_value is None


def test_saving_keeps_the_rest_of_config_toml(tmp_path: Path) -> None:
    """The learned keys go in [remote_keys]; the other settings and comments stay."""
    path = tmp_path / "config.toml"
    path.write_text('# my treadmill\nprofile = "standard"  # the usual\n')
    save_remote_keys(path, RemoteKeys(("pagedown",), ("pageup",), ("b",)))
    text = path.read_text()
    assert "# my treadmill" in text
    assert "# the usual" in text
    assert tomllib.loads(text) == {
        "profile": "standard",
        "remote_keys": {"confirm": ["pagedown"], "pause": ["pageup"], "stop": ["b"]},
    }
    assert not list(tmp_path.glob(".config.toml.*"))  # no scratch file left behind


def test_run_uses_the_learned_remote_else_the_common_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run --remote-keys` takes the learned keys from config.toml, else the common remotes'."""
    path = tmp_path / "config.toml"
    path.write_text("")
    monkeypatch.setenv("RETROWALK_CONFIG", str(path))
    args = build_parser().parse_args(["run", "retro-intro", "--sim", "--remote-keys"])
    assert resolve_options(args, load_config()).remote_keys == DEFAULT_REMOTE
    save_remote_keys(path, RemoteKeys(("f8",), ("f7",), ("f9",)))
    remote = resolve_options(args, load_config()).remote_keys
    assert remote is not None
    assert (remote.confirm, remote.pause, remote.stop) == (("f8",), ("f7",), ("f9",))
    plain = build_parser().parse_args(["run", "retro-intro", "--sim"])
    assert resolve_options(plain, load_config()).remote_keys is None


def test_a_broken_remote_table_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hand-edited [remote_keys] with a wrong action is an error naming the file (exit 2)."""
    path = tmp_path / "config.toml"
    path.write_text('[remote_keys]\ngo = "pagedown"\n')
    monkeypatch.setenv("RETROWALK_CONFIG", str(path))
    assert main(["keys"]) == 2
    assert f"{path}: remote_keys: unknown action 'go'" in capsys.readouterr().err


def test_keys_shows_the_laptop_and_remote_keys(capsys: pytest.CaptureFixture[str]) -> None:
    """`retrowalk keys` lists the laptop's keys and the remote's in use."""
    assert main(["keys"]) == 0
    out = capsys.readouterr().out
    assert "Esc/S stop the belt" in out
    assert "PgDn" in out
