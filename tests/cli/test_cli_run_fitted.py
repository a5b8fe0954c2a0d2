"""`retrowalk run` fits the plan to the treadmill once: every sink sees the fitted plan.

Issue 12: an mph workout and a 2.7 km/h workout run without --clamp on the home treadmill, the
walking pad (0.5 km/h steps) and a US treadmill (0.1 mph steps), each fitted target said once,
and the real belt (the simulator's trace) never above the profile's cap.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from retrowalk.cli.main import main
from retrowalk.history import list_sessions, read_log

if TYPE_CHECKING:
    from pathlib import Path

MPH = """\
name: Imperial retro
profile: standard
intervals:
  - forward: 2:00
    speed: 2.5 mph
  - backward: 2:00
    speed: 1.7 mph
  - forward: 1:00
    speed: 2.5 mph
"""
KMH = """\
name: Metric retro
profile: standard
intervals:
  - forward: 2:00
    speed: 4.1
  - backward: 2:00
    speed: 2.7
  - forward: 1:00
    speed: 4.1
"""
BACKWARD_CAP_KMH = 4.5  # standard


@pytest.mark.parametrize("machine", ["home", "walking-pad", "us-treadmill"])
@pytest.mark.parametrize("workout", [MPH, KMH], ids=["mph", "kmh"])
def test_a_workout_between_the_grid_steps_runs_fitted_without_clamp(
    workout: str, machine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Finished, the fitted targets listed once before the start, never above the cap."""
    path = tmp_path / "w.yaml"
    path.write_text(workout, encoding="utf-8")
    trace = tmp_path / "trace.jsonl"
    argv = ["run", str(path), "--sim", machine, "--fast", "--yes", "--sim-trace", str(trace)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    fitted = [
        line.split("fitted to the machine: ", 1)[1]
        for line in out.splitlines()
        if "fitted to the machine: " in line
    ]
    if workout is MPH or machine != "home":  # 4.1 and 2.7 km/h are on the home grid already
        assert fitted, out
    assert len(fitted) == len(set(fitted))  # each said once
    (entry,) = list_sessions(tmp_path / "data" / "sessions")
    log = read_log(entry.path)
    assert log.header.fields["workout"]["fitted"] == fitted
    started = [e.fields["speed_kmh"] for e in log.events_of("StepStarted")]
    backward = started[1]
    assert backward <= BACKWARD_CAP_KMH
    lines = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    belt = [x["belt_kmh"] for x in lines if "belt_kmh" in x]
    assert max(belt) <= max(started) + 0.15  # the real belt never above the fitted targets


def test_every_cue_spoken_or_dropped_is_in_the_session_log(tmp_path: Path) -> None:
    """The voice's report of each cue (text, time, spoken or why not) lands in the session log."""
    argv = ["run", "retro-intro", "--sim", "--fast", "--yes", "--voice", "bell"]
    assert main(argv) == 0
    (entry,) = list_sessions(tmp_path / "data" / "sessions")
    cues = [e.fields for e in read_log(entry.path).events_of("CueReport")]
    assert cues
    assert all({"t", "text", "spoken", "why"} <= cue.keys() for cue in cues)
    assert any("Turn around" in cue["text"] or "turn" in cue["text"].lower() for cue in cues)


def test_show_prints_the_plan_fitted_to_a_simulated_treadmill(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`show W --sim PROFILE` lists each fitted target and draws the fitted plan."""
    path = tmp_path / "w.yaml"
    path.write_text(MPH, encoding="utf-8")
    assert main(["show", str(path), "--sim", "walking-pad"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("fitted to CITYSPORTS-Linker: 3 targets changed\n")
    assert "speed 4.02 -> 4 km/h" in out
    assert "speed 2.74 -> 2.5 km/h" in out  # the pad's 0.5 steps, never above 4.5
    assert main(["show", str(path), "--sim", "nope"]) == 2
    assert "unknown simulator profile" in capsys.readouterr().err


def test_fitted_targets_are_listed_in_the_persons_units(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --units imperial, `show` and `run` list each fitted target in mph, not km/h."""
    path = tmp_path / "w.yaml"
    path.write_text(MPH, encoding="utf-8")
    assert main(["show", str(path), "--sim", "walking-pad", "--units", "imperial"]) == 0
    shown = capsys.readouterr().out
    assert "speed 2.50 -> 2.49 mph" in shown  # 2.5 mph to the pad's 4.0 km/h
    assert "speed 1.70 -> 1.55 mph" in shown  # 1.7 mph to 2.5 km/h: the step below the cap
    argv = ["run", str(path), "--sim", "walking-pad", "--fast", "--yes", "--units", "imperial"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    fitted = [line for line in out.splitlines() if "fitted to the machine: " in line]
    assert len(fitted) == 3
    assert all(line.endswith(" mph") and "km/h" not in line for line in fitted), fitted
    (entry,) = list_sessions(tmp_path / "data" / "sessions")
    header = read_log(entry.path).header.fields["workout"]["fitted"]
    assert header == [line.split("fitted to the machine: ", 1)[1] for line in fitted]


STEADY = """\
name: Steady
profile: standard
intervals:
  - forward: 1:00
    speed: 4.0
  - backward: 1:00
    speed: 2.5
"""


def test_a_machine_reading_mph_runs_at_the_planned_speed_with_its_config_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`[machines."NAME"] speed_targets = "mph"` in config.toml: the belt walks the plan."""
    config = tmp_path / "config.toml"
    config.write_text(
        'units = "metric"\n[machines."JFTM 7.0AT"]\nspeed_targets = "mph"\n', encoding="utf-8"
    )
    monkeypatch.setenv("RETROWALK_CONFIG", str(config))
    path = tmp_path / "w.yaml"
    path.write_text(STEADY, encoding="utf-8")
    trace = tmp_path / "trace.jsonl"
    argv = ["run", str(path), "--sim", "reads-mph", "--fast", "--yes", "--sim-trace", str(trace)]
    assert main(argv) == 0, capsys.readouterr()
    lines = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    belt = [x["belt_kmh"] for x in lines if "belt_kmh" in x]
    assert max(belt) == pytest.approx(4.0, abs=0.1)  # not 6.4: the console was sent 2.49 mph
    (entry,) = list_sessions(tmp_path / "data" / "sessions")
    assert not read_log(entry.path).events_of("Hold")


def test_a_bad_machine_setting_in_config_names_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A speed unit retrowalk does not know is refused before anything connects (exit 2)."""
    config = tmp_path / "config.toml"
    config.write_text('[machines."JFTM 7.0AT"]\nspeed_targets = "miles"\n', encoding="utf-8")
    monkeypatch.setenv("RETROWALK_CONFIG", str(config))
    assert main(["run", "retro-intro", "--sim", "reads-mph", "--fast", "--yes"]) == 2
    err = capsys.readouterr().err
    assert f'{config}: machines."JFTM 7.0AT".speed_targets: must be "kmh" or "mph"' in err
    assert '"miles"' in err
    assert "Traceback" not in err
