# ruff: noqa: E501 - expected messages are kept whole, one per line
"""One profile rule for validate, show and run; every problem of a file in one run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from retrowalk.cli.main import main
from retrowalk.workout.library import library_dir

ROOT = Path(__file__).resolve().parents[2]
NEEDS_ADVANCED = 'beyond standard, the default; OK under advanced; run it with --profile advanced or set profile = "advanced" in config.toml'
# The broken file of issue 13, without its tab: an unknown key, a backward downhill interval,
# backward speed beyond the profile, and three backward intervals that add up to 7:00.
BROKEN = """\
name: Four rounds
intervals:
  - {forward: 5:00, speed: 4, incline: 1}
  - {backward: 2:00, speed: 5, incline: -2}
  - {backward: 2:00, speed: 3, cue: Steady}
  - {backward: 3:00, speed: 3, labl: last}
  - {forward: 2:00, speed: 4}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write a workout file and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_show_and_run_say_the_same_about_an_advanced_workout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A workout declaring advanced: validate and show say how to run it; run refuses with the same words."""
    path = library_dir() / "ankle-incline-retro.yaml"
    assert main(["validate", "ankle-incline-retro"]) == 0
    assert f"  profile    needs advanced; {NEEDS_ADVANCED}" in capsys.readouterr().out.splitlines()
    assert main(["show", "ankle-incline-retro"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == f"safety profile: {NEEDS_ADVANCED}"
    assert main(["run", "ankle-incline-retro", "--sim", "--fast", "--yes"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"retrowalk: {path}: {NEEDS_ADVANCED}"
    assert err[1].startswith(f"{path}:20:5: intervals[1].incline: backward incline 7 % is above")
    assert main(["validate", "--profile", "advanced", "ankle-incline-retro"]) == 0
    assert "  profile    needs advanced; checked against advanced: OK" in capsys.readouterr().out


def test_profile_in_config_toml_is_the_choice_of_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`profile = "beginner"` in config.toml holds validate, show and run to beginner alike."""
    config = Path(os.environ["RETROWALK_CONFIG"])
    config.write_text('profile = "beginner"\n', encoding="utf-8")
    path = library_dir() / "knee-friendly-retro-10.yaml"
    verdict = 'beyond beginner, the profile you chose; OK under standard, advanced; run it with --profile standard or set profile = "standard" in config.toml'
    assert main(["validate", "knee-friendly-retro-10"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-2:] == [
        f"{path}: {verdict}",
        "retrowalk: 1 of 1 file(s) have problems (checked against the beginner profile)",
    ]
    assert main(["show", "knee-friendly-retro-10"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"{path}: {verdict}"
    assert main(["run", "knee-friendly-retro-10", "--sim", "--fast", "--yes"]) == 2
    assert capsys.readouterr().err.splitlines()[0] == f"retrowalk: {path}: {verdict}"
    assert main(["validate", "retro-intro"]) == 0
    assert "  profile    needs beginner; checked against beginner: OK" in capsys.readouterr().out
    config.write_text('profile = "cautious"\n', encoding="utf-8")
    assert main(["validate", "retro-intro"]) == 2  # the config file names its own problem
    assert capsys.readouterr().err.startswith(f"retrowalk: {config}: profile: ")


def test_every_problem_of_a_file_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Format, direction rule and profile limits come together, in file order, bouts by their intervals."""
    path = write(tmp_path, "broken.yaml", BROKEN)
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{path}:4:5: intervals[1].speed: backward speed 5 km/h is above the standard limit of 4.5 km/h (allowed by advanced)",
        f"{path}:4:5: intervals[1].backward: intervals[1], intervals[2] and intervals[3] add up to a backward bout of 7:00, longer than the standard limit of 6:00 (allowed by advanced)",
        f"{path}:4:41: intervals[1].incline: backward walking downhill (-2 %) is not allowed; use 0 % or more when walking backward",
        f"{path}:6:32: intervals[3].labl: unknown key 'labl'; did you mean 'label'?",
        "retrowalk: 1 of 1 file(s) have problems (checked against the profiles they declare)",
    ]
    assert main(["show", str(path)]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 4
    assert main(["run", str(path), "--sim", "--fast", "--yes"]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 4


def test_a_yaml_syntax_error_is_reported_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tab makes the file unreadable: that one line, located, and nothing guessed after it."""
    path = write(tmp_path, "tab.yaml", BROKEN.replace("  - {forward: 2:00", "\t- {forward: 2:00"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert err[0].startswith(f"{path}:7:1: YAML syntax error: ")


def test_a_broken_file_never_gets_an_ok_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file with a format problem gets its problems only: no "run it with --profile" advice."""
    path = write(
        tmp_path,
        "b.yaml",
        "name: T\nprofile: advnced\nintervals:\n  - {backward: 8:00, speed: 5}\n",
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "profile: 'advnced' is not allowed" in err
    assert "backward bout of 8:00" in err
    assert "run it with" not in err


@pytest.mark.parametrize("profile", ["beginner", "standard", "supervised"])
def test_slow_unconfirmed_turns_are_refused_but_under_advanced(
    profile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`turn: {mode: slow, confirm: false}` with `countdown: 0`: three located lines under every profile but advanced."""
    path = write(
        tmp_path,
        "turns.yaml",
        "name: T\nprofile: advanced\ncountdown: 0\nturn: {mode: slow, confirm: false}\n"
        "intervals:\n  - {forward: 2:00, speed: 3}\n  - {backward: 1:00, speed: 2}\n",
    )
    assert main(["validate", "--profile", profile, str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ", 2)[:2] for line in lines[:3]] == [
        [f"{path}:3:12", "countdown"],
        [f"{path}:4:14", "turn.mode"],
        [f"{path}:4:29", "turn.confirm"],
    ]
    assert main(["validate", "--profile", "advanced", str(path)]) == 0


@pytest.mark.parametrize(
    ("depth", "where"),
    [(3, "5:17: intervals[0].intervals[0]"), (4, "7:21: intervals[0].intervals[0].intervals[0]")],
)
def test_nested_repeat_bombs_are_refused_by_the_real_command(
    depth: int, where: str, tmp_path: Path
) -> None:
    """`repeat: 100` nested 3 and 4 deep: exit 2, one line naming the first repeat too large."""
    text = "name: Bomb\nintervals:\n"
    for level in range(depth):
        pad = "    " * level
        text += f"{pad}  - repeat: 100\n{pad}    intervals:\n"
    text += f"{'    ' * depth}  - {{backward: 1:00, speed: 2}}\n{'    ' * depth}  - {{forward: 1:00, speed: 3}}\n"
    path = write(tmp_path, "bomb.yaml", text)
    assert len(text.encode()) < 300
    result = subprocess.run(
        [sys.executable, "-m", "retrowalk", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"{path}:{where}.repeat: repeating this 100 times makes 20,000 "
        "steps; a workout has at most 5,000 steps once its repeats are unrolled"
    )
    assert "Traceback" not in result.stderr
