"""`retrowalk run` end to end, in process, in fast mode against the simulator.

These tests are sync `def` tests: `main()` runs its own (virtual-time) event loop.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import pytest

from retrowalk.cli.main import main
from retrowalk.history import SessionLog, list_sessions, read_log
from retrowalk.workout import build_plan, load_workout
from retrowalk.workout.library import find_workout, library_dir
from retrowalk_sim.profiles import PROFILES

if TYPE_CHECKING:
    from pathlib import Path


def _library() -> list[str]:
    return sorted(p.stem for p in library_dir().glob("*.yaml"))


def _sim_profiles() -> list[str]:
    return sorted(PROFILES)


def _session(tmp_path: Path) -> SessionLog:
    sessions = sorted((tmp_path / "data" / "sessions").glob("*.jsonl"))
    assert len(sessions) == 1, sessions
    return read_log(sessions[0])


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
    summary = _session(tmp_path).summary
    assert summary is not None
    assert summary.ended == "finished"


def test_the_session_log_of_a_normal_run(tmp_path: Path) -> None:
    """Header (workout, hash, device, profile, versions), 1 Hz samples, every step, summary."""
    assert main(["run", "retro-intro", "--sim", "--fast", "--yes", "--weight", "81"]) == 0
    log = _session(tmp_path)
    header = log.header.fields
    assert header["workout"]["name"]
    assert len(header["workout"]["sha256"]) == 64
    assert header["device"]["simulated"] is True
    assert header["device"]["sim_profile"] == "home"
    assert header["device"]["address"]
    assert header["safety_profile"] == "beginner"  # the profile retro-intro declares
    assert header["body_mass_kg"] == 81
    assert set(header["versions"]) >= {"retrowalk", "bleak", "python"}
    assert "T" in header["started"]
    samples = log.samples
    times = [s.t for s in samples]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps, "no samples"
    # 1 Hz, and one last sample of the engine's final snapshot with its end event.
    assert all(0.5 <= g <= 1.5 for g in gaps[:-1]), max(gaps)
    assert samples[-1].state == "finished"
    assert log.summary is not None
    summary = log.summary.fields
    assert abs(len(samples) - summary["elapsed_s"]) <= 3
    events = [e.fields for e in log.events]
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


def test_a_workout_beyond_standard_needs_an_explicit_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An 'advanced' workout is refused by default (exit 2) and runs with --profile advanced."""
    assert main(["run", "retro-hill-20", "--sim", "--fast", "--yes"]) == 2
    err = capsys.readouterr().err
    assert "--profile advanced" in err
    assert main(["run", "retro-hill-20", "--sim", "--fast", "--yes", "--profile", "advanced"]) == 0


def _fits(plan: Any, machine: Any) -> bool:
    """Independent check: every target inside the machine's ranges (the grid is fitted to)."""

    def on(value: float, low: float, high: float, _inc: float) -> bool:
        return low - 1e-6 <= value <= high + 1e-6

    if not machine.has_control_point:
        return True  # coach mode: the person sets what the plan says
    speeds, inclines = machine.speed_range, machine.incline_range
    for step in plan.steps:
        if step.direction == "rest" or step.speed is None:
            continue
        for kmh in (step.speed.start_kmh, step.speed.end_kmh):
            if not on(kmh, speeds.minimum_kmh, speeds.maximum_kmh, speeds.increment_kmh):
                return False
        if inclines is None:
            if abs(step.incline_pct) > 1e-6:
                return False
        elif not on(
            step.incline_pct, inclines.minimum_pct, inclines.maximum_pct, inclines.increment_pct
        ):
            return False
    return True


def _pairs() -> list[tuple[str, str]]:
    """Each library workout on one simulator profile, the profiles in turn, each used at least once.

    The whole product (every workout on every machine) runs in process, shortened, in
    tests/engine/test_engine_library.py; this covers the command's path for each workout and each
    machine at full length without running the 130 pairs (4 of the suite's 9 minutes).
    """
    workouts, machines = _library(), _sim_profiles()
    pairs = [(w, machines[i % len(machines)]) for i, w in enumerate(workouts)]
    pairs += [
        (workouts[i % len(workouts)], m) for i, m in enumerate(machines) if i >= len(workouts)
    ]
    return pairs


def _outcome(workout: str, machine: str) -> str:
    if PROFILES[machine].speed_in_mph:
        return "mph"
    plan = build_plan(load_workout(find_workout(workout)))
    return "fits" if _fits(plan, PROFILES[machine]) else "clamped"


def _matrix() -> list[Any]:
    # fr30z waits for a start at its console: the simulated person of --yes presses it.
    return [
        pytest.param(workout, machine, id=f"{workout}@{machine}") for workout, machine in _pairs()
    ]


def test_the_matrix_covers_every_workout_machine_and_outcome() -> None:
    """The pairs run below include every workout, every machine, and each of the three endings."""
    pairs = _pairs()
    assert {w for w, _ in pairs} == set(_library())
    assert {m for _, m in pairs} == set(_sim_profiles())
    assert {_outcome(w, m) for w, m in pairs} == {"fits", "clamped", "mph"}


@pytest.mark.slow
@pytest.mark.parametrize(("workout", "machine"), _matrix())
def test_each_library_workout_and_each_simulator_profile_end_to_end(
    workout: str, machine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Runs to the end where the plan fits; elsewhere refused (exit 2), or run with --clamp."""
    plan = build_plan(load_workout(find_workout(workout)))
    argv = ["run", workout, "--sim", machine, "--fast", "--yes", "--profile", plan.profile]
    code = main(argv)
    captured = capsys.readouterr()
    sessions = tmp_path / "data" / "sessions"
    if PROFILES[machine].speed_in_mph:
        # Targets read as mph: the belt runs 1.6x too fast, the workout holds, the simulated
        # person gives up after three holds. Driving it right needs a per-machine setting.
        assert code == 1, captured.out
        (log,) = list_sessions(sessions)
        held = read_log(log.path)
        causes = {e.fields.get("cause") for e in held.events if e.fields["type"] == "Hold"}
        assert causes <= {"speed_not_following", "speed_units"}
        assert causes
        assert held.summary is not None
        assert held.summary.fields["belt_stopped"] is True
        return
    if _fits(plan, PROFILES[machine]):
        assert code == 0, captured.err
    else:
        assert code == 2, captured.out
        assert "does not fit" in captured.err
        assert "--clamp" in captured.err
        assert not list_sessions(sessions)  # refused before anything was recorded
        assert main([*argv, "--clamp"]) == 0
        assert "fitted to the machine" in capsys.readouterr().out
    logs = list_sessions(sessions)
    assert len(logs) == 1
    log = read_log(logs[-1].path)
    assert log.summary is not None
    summary = log.summary.fields
    assert summary["ended"] == "finished"
    assert summary["belt_stopped"] is True
    events = [e.fields for e in log.events]
    finished = [e["index"] for e in events if e["type"] == "StepFinished"]
    assert finished == list(range(len(plan.steps)))
    if PROFILES[machine].has_control_point and not PROFILES[machine].ignores_speed:
        assert summary["distance_m"] > 0.5 * plan.totals.distance_m
    if machine == "fr30z":  # every step walked on a moving belt, none run by the clock alone
        assert summary["distance_m"] > 0
        walking = {e["index"] for e in events if e["type"] == "StepStarted"} - {
            s.index for s in plan.steps if s.direction == "rest"
        }
        walked = {e["index"]: e["distance_m"] for e in events if e["type"] == "StepFinished"}
        assert all(walked[i] > 0 for i in walking), walked
