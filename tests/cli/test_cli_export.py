"""`retrowalk export` and `retrowalk report`: files named after the log, bad input exit 2."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from retrowalk.cli.cmd_export import export_after_run
from retrowalk.cli.main import main
from session_logs import header_line, summary_line, write_lines
from walked_logs import cli_run

PROC = Path("/proc")


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The log of retro-intro walked on the simulator in fast mode."""
    return cli_run(tmp_path_factory.mktemp("walked"), "retro-intro")


@pytest.fixture
def folder(tmp_path: Path, walked: Path) -> Path:
    """A session folder holding that log, as `sessions --dir` takes one."""
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    shutil.copy(walked, sessions / walked.name)
    return sessions


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_export_last_by_name_and_by_path_in_each_format(
    folder: Path, walked: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`last`, a name from `sessions` (with or without .jsonl) and a path work; umask modes."""
    out = tmp_path / "out"
    out.mkdir()
    base = ["export", "--dir", str(folder), "-o", str(out)]
    assert main([*base, "last"]) == 0
    assert main([*base, "--format", "tcx", walked.stem]) == 0
    assert main([*base, "-f", "csv", str(folder / walked.name), walked.name]) == 0  # once
    stem = walked.stem
    assert _files(out) == [f"{stem}.csv", f"{stem}.fit", f"{stem}.tcx"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert {p.stat().st_mode & 0o777 for p in out.iterdir()} == {0o666 & ~umask}
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"wrote {out / f'{stem}.{ext}'}" for ext in ("fit", "tcx", "csv")]


def test_export_dir_in_the_config_file_is_the_default_folder(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without -o, a FIT file goes to export_dir from config.toml."""
    out = tmp_path / "fit"
    out.mkdir()
    config = tmp_path / "config.toml"
    config.write_text(f'export_dir = "{out}"\n')
    monkeypatch.setenv("RETROWALK_CONFIG", str(config))
    assert main(["export", "--dir", str(folder), "last"]) == 0
    assert [p.suffix for p in out.iterdir()] == [".fit"]


def test_export_dir_is_made_when_missing_and_named_when_it_is_a_file(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A missing export_dir is made (as after a run); a file there is exit 2 naming the setting."""
    config = tmp_path / "config.toml"
    monkeypatch.setenv("RETROWALK_CONFIG", str(config))
    config.write_text(f'export_dir = "{tmp_path / "new" / "fit"}"\n')
    assert main(["export", "--dir", str(folder), "last"]) == 0
    assert [p.suffix for p in (tmp_path / "new" / "fit").iterdir()] == [".fit"]
    config.write_text(f'export_dir = "{config}"\n')
    assert main(["export", "--dir", str(folder), "last"]) == 2
    assert "export_dir in config.toml" in capsys.readouterr().err


def test_an_unknown_session_is_one_line_and_nothing_is_written(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name that is no session: exit 2, one line saying what a SESSION can be, no file."""
    out = tmp_path / "out"
    out.mkdir()
    assert main(["export", "--dir", str(folder), "-o", str(out), "last", "yesterday"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no session 'yesterday'" in err
    assert "last" in err
    assert _files(out) == []


def test_a_corrupt_log_is_named_with_its_line_and_nothing_is_written(
    folder: Path, walked: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken line in the middle of a log: exit 2 naming file:line; the good one waits too."""
    lines = walked.read_text().splitlines()
    lines[40] = lines[40][:25]
    broken = folder / "broken.jsonl"
    broken.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    assert main(["export", "--dir", str(folder), "-o", str(out), walked.name, str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:41: not a session log line" in err
    assert err.count("\n") == 1
    assert _files(out) == []


def test_a_session_with_nothing_to_export_or_a_clash_of_names_writes_nothing(
    folder: Path, walked: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A log that ended before its first step, or two logs of one name: exit 2, no file."""
    empty = write_lines(
        tmp_path / "empty.jsonl", header_line("Walk", "2026-03-01T09:00:00+01:00"), summary_line(0)
    )
    other = tmp_path / "elsewhere"
    other.mkdir()
    shutil.copy(walked, other / walked.name)
    out = tmp_path / "out"
    out.mkdir()
    base = ["export", "--dir", str(folder), "-o", str(out)]
    assert main([*base, "last", str(empty)]) == 2
    assert "empty.jsonl: nothing to export" in capsys.readouterr().err
    assert main([*base, "last", str(other / walked.name)]) == 2
    assert f"two sessions would both be written as {walked.stem}.fit" in capsys.readouterr().err
    assert _files(out) == []


def test_a_folder_that_cannot_be_written_is_exit_2(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-o naming a file, a missing folder, or one the system will not write: one line each."""
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    for target, said in [
        (a_file, "is not a folder"),
        (tmp_path / "missing", "does not exist"),
        *([(PROC, "cannot write there")] if PROC.is_dir() else []),
    ]:
        assert main(["export", "--dir", str(folder), "-o", str(target), "last"]) == 2
        err = capsys.readouterr().err
        assert said in err
        assert err.count("\n") == 1


def test_an_export_that_fails_while_writing_leaves_nothing_behind(
    folder: Path, walked: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file cannot take the export's place: exit 2, and no temporary file stays."""
    out = tmp_path / "out"
    out.mkdir()
    (out / f"{walked.stem}.fit").mkdir()  # a folder where the file should go
    assert main(["export", "--dir", str(folder), "-o", str(out), "last"]) == 2
    assert "cannot write it" in capsys.readouterr().err
    assert _files(out) == [f"{walked.stem}.fit"]


def test_a_session_still_being_recorded_is_refused(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A log a live run holds (its lock) is not exported half-way."""
    import fcntl  # noqa: PLC0415 - the recorder's lock, taken as a live run takes it

    [log] = folder.iterdir()
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[:-1]) + "\n")  # no summary yet: the run goes on
    with log.open("rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        assert main(["export", "--dir", str(folder), "-o", str(tmp_path), str(log)]) == 2
    assert "still being recorded" in capsys.readouterr().err


def test_after_a_real_run_the_fit_file_is_written_and_a_failure_is_one_line(
    walked: Path, tmp_path: Path
) -> None:
    """The FIT file is written and named; when it cannot be, one line says so, nothing raised."""
    line = export_after_run(walked, tmp_path / "new" / "fit")
    assert line == f"FIT file written: {tmp_path / 'new' / 'fit' / (walked.stem + '.fit')}"
    failed = export_after_run(walked, (PROC if PROC.is_dir() else tmp_path / "x.txt") / "fit")
    assert failed.startswith("no FIT file written to ")
    assert failed.endswith("the session log is kept")
    assert "\n" not in failed


def test_a_simulated_run_writes_no_fit_file_and_its_summary_names_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """export_dir is for real runs only; the summary prints the report command for the log."""
    out = tmp_path / "fit"
    config = tmp_path / "config.toml"
    config.write_text(f'export_dir = "{out}"\n')
    monkeypatch.setenv("RETROWALK_CONFIG", str(config))
    assert main(["run", "retro-intro", "--sim", "--fast", "--yes"]) == 0
    assert not out.exists()
    [log] = (tmp_path / "data" / "sessions").glob("*.jsonl")
    report = f"  report    retrowalk report {log} -o {log.stem}.png"
    assert report in capsys.readouterr().out.splitlines()


def test_report_writes_the_chart_and_refuses_a_wrong_suffix(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-o FILE.png writes a PNG; -o FILE.pdf is exit 2 and names the two allowed."""
    chart = tmp_path / "chart.png"
    assert main(["report", "--dir", str(folder), "last", "-o", str(chart)]) == 0
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert main(["report", "--dir", str(folder), "last", "-o", str(tmp_path / "c.pdf")]) == 2
    err = capsys.readouterr().err
    assert ".png or an .svg" in err
    assert main(["report", "--dir", str(folder), "nope", "-o", str(chart)]) == 2
    assert "no session 'nope'" in capsys.readouterr().err
