"""`retrowalk run` end to end, in process, in fast mode against the simulator.

These tests are sync `def` tests: `main()` runs its own (virtual-time) event loop.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from retrowalk.cli.main import main
from retrowalk.sinks.recorder import list_sessions, read_session

if TYPE_CHECKING:
    from pathlib import Path


def _library() -> list[str]:
    from retrowalk.workout.library import library_dir

    return sorted(p.stem for p in library_dir().glob("*.yaml"))


def _sim_profiles() -> list[str]:
    from retrowalk_sim.profiles import PROFILES

    return sorted(PROFILES)


def _session(tmp_path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sessions = sorted((tmp_path / "data" / "sessions").glob("*.jsonl"))
    assert len(sessions) == 1, sessions
    return read_session(sessions[0])


def test_the_readme_demo_runs_and_prints_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`./dev.sh demo` (retro-intro, --sim --fast --yes) finishes and prints a summary."""
    code = main(["run", "workouts/retro-intro.yaml", "--sim", "--fast", "--yes"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert ": finished" in out
    assert "session   " in out
    assert "belt      stopped" in out
    header, records = _session(tmp_path)
    assert records[-1]["kind"] == "summary"
    assert records[-1]["ended"] == "finished"


def test_the_session_log_of_a_normal_run(tmp_path: Path) -> None:
    """Header (workout, hash, device, profile, versions), 1 Hz samples, every step, summary."""
    assert main(["run", "retro-intro", "--sim", "--fast", "--yes", "--weight", "81"]) == 0
    header, records = _session(tmp_path)
    assert header["workout"]["name"]
    assert len(header["workout"]["sha256"]) == 64
    assert header["device"]["simulated"] is True
    assert header["device"]["sim_profile"] == "home"
    assert header["device"]["address"]
    assert header["safety_profile"] == "standard"
    assert header["body_mass_kg"] == 81
    assert set(header["versions"]) >= {"retrowalk", "bleak", "python"}
    assert "T" in header["started"]
    samples = [r for r in records if r["kind"] == "sample"]
    times = [s["t"] for s in samples]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps, "no samples"
    assert all(0.5 <= g <= 1.5 for g in gaps), max(gaps)
    summary = records[-1]
    assert summary["kind"] == "summary"
    assert abs(len(samples) - summary["elapsed_s"]) <= 3
    events = [r for r in records if r["kind"] == "event"]
    started = [e["index"] for e in events if e["type"] == "StepStarted"]
    finished = [e["index"] for e in events if e["type"] == "StepFinished"]
    count = header["workout"]["steps"]
    assert started == list(range(count))
    assert finished == list(range(count))
    assert all("origin" in e for e in events)
    assert summary["turns"] == header["workout"]["turns"]
    assert summary["belt_stopped"] is True
    assert [s.ended for s in list_sessions(tmp_path / "data" / "sessions")] == ["finished"]


def test_a_library_name_and_a_path_both_work(tmp_path: Path) -> None:
    """WORKOUT can be a library name; an unknown one is exit 2 listing the library."""
    assert main(["run", "no-such-workout", "--sim", "--fast", "--yes"]) == 2


def test_bad_workout_file_is_exit_2_before_connecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken workout file is refused with its file:line and nothing is recorded."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsteps: [\n")
    assert main(["run", str(bad), "--sim", "--fast", "--yes"]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err
    assert not (tmp_path / "data" / "sessions").exists()


def test_unknown_profiles_are_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown safety or simulator profiles name the allowed ones."""
    assert main(["run", "retro-intro", "--sim", "nope", "--fast", "--yes"]) == 2
    assert "home" in capsys.readouterr().err
    assert main(["run", "retro-intro", "--sim", "--profile", "nope", "--fast", "--yes"]) == 2
    assert "standard" in capsys.readouterr().err


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
