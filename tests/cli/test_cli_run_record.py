"""`retrowalk run` and its session log: refused before the belt moves when it cannot record."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest

from retrowalk.cli.main import main

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

RUN = ["run", "retro-intro", "--sim", "--fast", "--yes"]


@pytest.fixture
def read_only_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """RETROWALK_DATA_DIR on a read-only file system (skipped where mounting is not allowed)."""
    where = tmp_path / "ro"
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    monkeypatch.setenv("RETROWALK_DATA_DIR", str(where))
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_data_folder_that_cannot_be_written_refuses_the_run(
    read_only_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Read-only data folder: exit 2 with one line naming it and --no-record; nothing connects."""
    assert main(RUN) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no "connected to", no belt
    [line] = captured.err.splitlines()
    assert line.startswith(f"retrowalk: cannot record the session: {read_only_data}/sessions")
    assert "Read-only file system" in line
    assert "--no-record" in line


def test_no_record_runs_without_a_log(
    read_only_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--no-record: the same run finishes, with its true summary, and writes nothing."""
    assert main([*RUN, "--no-record"]) == 0
    out = capsys.readouterr().out
    assert ": finished" in out
    assert "belt      stopped" in out
    assert "6 turn(s)" in out
    assert "session   " not in out
    assert list(read_only_data.iterdir()) == []


def test_a_bad_data_folder_is_refused_before_the_workout_is_even_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A data folder path through a regular file: exit 2 at once (works without root)."""
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("RETROWALK_DATA_DIR", str(tmp_path / "file"))
    assert main(RUN) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'file' / 'sessions'} cannot be written" in err
