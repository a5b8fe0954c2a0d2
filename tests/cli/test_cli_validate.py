# ruff: noqa: E501 - expected messages and sample files are kept whole, one per line
"""`retrowalk validate`: a summary per good file (exit 0); one line per problem (exit 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from retrowalk.cli.main import main
from retrowalk.workout.library import library_dir

ROOT = Path(__file__).resolve().parents[2]
BAD_FILES: dict[str, str | bytes] = {
    "syntax": "name: T\nintervals:\n  - {forward: 5:00, speed: 4\n",
    "wrong-type": "name: T\nintervals:\n  - {forward: 5:00, speed: [4]}\n",
    "unknown-key": "name: T\nintervals:\n  - {forward: 5:00, sped: 4}\n",
    "bad-duration": "name: T\nintervals:\n  - {forward: 5 minutes, speed: 4}\n",
    "too-fast": "name: T\nintervals:\n  - {backward: 2:00, speed: 5}\n",
    "too-steep": "name: T\nintervals:\n  - {backward: 2:00, speed: 3, incline: 8}\n",
    "too-long": "name: T\nintervals:\n  - {backward: 8:00, speed: 3}\n",
    "downhill": "name: T\nintervals:\n  - {backward: 2:00, speed: 3, incline: -2}\n",
    "rest-speed": "name: T\nintervals:\n  - {rest: 1:00, speed: 2}\n",
    "repeat-0": "name: T\nintervals:\n  - {repeat: 0, intervals: [{forward: 1:00, speed: 4}]}\n",
    "repeat-1000": "name: T\nintervals:\n  - {repeat: 1000, intervals: [{forward: 1:00, speed: 4}]}\n",
    "empty": "name: T\nintervals: []\n",
    "two-keys": "name: T\nintervals:\n  - {forward: 5:00, backward: 1:00, speed: 4}\n",
    "no-speed": "name: T\nintervals:\n  - {backward: 2:00}\n",
    "list": "- forward: 5:00\n  speed: 4\n",
    "latin1": b"name: caf\xe9\nintervals: []\n",
    "repeat-bomb-3": "name: T\nintervals:\n"
    + "".join(
        f"{'  ' * (2 * d)}  - repeat: 100\n{'  ' * (2 * d)}    intervals:\n" for d in range(3)
    )
    + f"{'  ' * 6}  - {{forward: 1:00, speed: 4}}\n",
    "slow-turn": "name: T\nturn: {mode: slow}\nintervals:\n  - {backward: 2:00, speed: 2}\n",
    "bomb": "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n"
        for p, n in zip("abcdefg", "bcdefgh", strict=True)
    ),
}
# What each must say (beyond naming the file), checked against the default standard profile.
EXPECTED = {
    "syntax": ":4:1: YAML syntax error: ",  # the rest is PyYAML's wording
    "wrong-type": ":3:28: intervals[0].speed: expected a speed",
    "unknown-key": ":3:21: intervals[0].sped: unknown key 'sped'; did you mean 'speed'?",
    "bad-duration": ":3:15: intervals[0].forward: '5 minutes' is not a duration",
    "too-fast": ":3:5: intervals[0].speed: backward speed 5 km/h is above the standard limit of 4.5 km/h (allowed by advanced)",
    "too-steep": ":3:5: intervals[0].incline: backward incline 8 % is above the standard limit of 5 % (allowed by advanced)",
    "too-long": ":3:5: intervals[0].backward: backward bout of 8:00 is longer than the standard limit of 6:00 (allowed by advanced)",
    "downhill": ":3:41: intervals[0].incline: backward walking downhill (-2 %) is not allowed",
    "rest-speed": ":3:18: intervals[0].speed: a rest has no speed: the belt is paused",
    "repeat-0": ":3:14: intervals[0].repeat: repeat must be 1 to 100, not 0",
    "repeat-1000": ":3:14: intervals[0].repeat: repeat must be 1 to 100, not 1000",
    "empty": ":2:12: intervals: must not be empty: add at least one interval",
    "two-keys": ":3:5: intervals[0]: forward and backward in one interval",
    "no-speed": ":3:5: intervals[0].speed: required for backward walking",
    "list": ":1:1: the top level must be a mapping of workout fields (name:, intervals:), not a list",
    "latin1": ":1:10: not UTF-8: byte 0xe9 at offset 9; save the file as UTF-8",
    "repeat-bomb-3": ":5:17: intervals[0].intervals[0].repeat: repeating this 100 times makes 10,000 steps; a workout has at most 5,000 steps once its repeats are unrolled",
    "slow-turn": ":2:14: turn.mode: a slow turn (turning around on a moving belt) is not allowed under standard; use mode: stop (allowed by advanced)",
    "bomb": ":1:20: the document expands to more than 20000 YAML nodes",
}


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    """Write a workout file and return its path."""
    path = tmp_path / f"{name}.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_the_whole_library_validates(capsys: pytest.CaptureFixture[str]) -> None:
    """`retrowalk validate workouts/*.yaml` exits 0 with a summary table per file."""
    files = sorted(str(p) for p in library_dir().glob("*.yaml"))
    assert main(["validate", *files]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert [line for line in out.splitlines() if line.endswith(".yaml: OK")] == [
        f"{f}: OK" for f in files
    ]
    assert len(files) == 13
    assert "  body mass  70 kg (default; set --weight)" in out


def test_summary_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The summary gives time with turns, walking, backward, turns, distance, energy, mass."""
    path = write(
        tmp_path,
        "ok",
        "name: Small\nturn: {window: 10s}\nintervals:\n"
        "  - {forward: 2:00, speed: 4}\n  - {backward: 1:00, speed: 3}\n  - {forward: 400m, speed: 4.8}\n",
    )
    assert main(["validate", "--weight", "80", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{path}: OK",
        "  workout    Small",
        "  profile    needs standard; checked against standard: OK",
        "  steps      3 (1 backward)",
        "  time       8:20 with turns",
        "  walking    8:00",
        "  backward   1:00",
        "  turns      2",
        "  distance   583 m",
        "  energy     about 37 kcal (estimate, +-25 %)",
        "  body mass  80 kg",
    ]


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_exits_2_with_a_located_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each kind of bad file exits 2 with a line naming file:line:col and the problem."""
    path = write(tmp_path, name, BAD_FILES[name])
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert any(line.startswith(f"{path}{EXPECTED[name]}") for line in lines[:-1]), lines
    assert lines[-1] == (
        "retrowalk: 1 of 1 file(s) have problems (checked against the profiles they declare)"
    )


def test_oversize_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file over 1 MiB exits 2 naming its size."""
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (1024 * 1024 + 10))
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        f"{path}: the file is 1048586 bytes; workouts are limited to 1048576 bytes (1 MiB)"
    )


def test_profile_option_checks_against_the_persons_choice(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--profile standard refuses the advanced hill workout, listing every violation."""
    path = library_dir() / "retro-hill-20.yaml"
    assert main(["validate", "--profile", "standard", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        (
            f"{path}:17:5: intervals[1].incline: backward incline 10 % is above the standard limit "
            "of 5 % (allowed by advanced)"
        ),
        (
            f"{path}:17:5: intervals[1].backward: backward bout of 10:00 is longer than the standard "
            "limit of 6:00 (allowed by advanced)"
        ),
        (
            f"{path}:25:5: intervals[3].incline: backward incline 10 % is above the standard limit "
            "of 5 % (allowed by advanced)"
        ),
        (
            f"{path}:25:5: intervals[3].backward: backward bout of 10:00 is longer than the standard "
            "limit of 6:00 (allowed by advanced)"
        ),
        (
            f"{path}: beyond standard, the profile you chose; OK under advanced; run it with "
            '--profile advanced or set profile = "advanced" in config.toml'
        ),
        "retrowalk: 1 of 1 file(s) have problems (checked against the standard profile)",
    ]


def test_declared_profile_must_cover_the_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A workout declaring beginner but walking backward at 4 km/h is refused at `profile:`."""
    path = write(
        tmp_path,
        "liar",
        "name: T\nprofile: beginner\nintervals:\n  - {backward: 2:00, speed: 4}\n",
    )
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        (
            f"{path}:2:10: profile: declares 'beginner' but goes beyond it; profiles that allow "
            "this workout: standard, advanced"
        ),
        (
            f"{path}:4:5: intervals[0].speed: backward speed 4 km/h is above the beginner limit "
            "of 3 km/h (allowed by standard, advanced)"
        ),
        (
            f"{path}: beyond beginner, the default; OK under standard, advanced; run it with "
            '--profile standard or set profile = "standard" in config.toml'
        ),
        "retrowalk: 1 of 1 file(s) have problems (checked against the profiles they declare)",
    ]


def test_library_names_work_and_unknown_profile_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A library name validates; an unknown --profile exits 2 naming the choices."""
    assert main(["validate", "retro-intro"]) == 0
    capsys.readouterr()
    assert main(["validate", "--profile", "pro", "retro-intro"]) == 2
    assert capsys.readouterr().err == (
        "retrowalk: unknown safety profile 'pro'; choose one of beginner, standard, advanced, "
        "supervised\n"
    )


def test_good_and_bad_files_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every file is checked: good ones get summaries even when another fails."""
    bad = write(tmp_path, "bad", BAD_FILES["no-speed"])
    assert main(["validate", "retro-intro", str(bad), "no-such-workout"]) == 2
    out, err = capsys.readouterr()
    assert "Retro Intro" in out
    assert err.splitlines()[1].startswith("no-such-workout: no such file, and not a library")
    assert err.splitlines()[-1].startswith("retrowalk: 2 of 3 file(s) have problems")


def test_real_command_never_shows_a_traceback(tmp_path: Path) -> None:
    """The installed command over every bad file exits 2 with no traceback on stderr."""
    paths = [str(write(tmp_path, name, content)) for name, content in BAD_FILES.items()]
    result = subprocess.run(
        [sys.executable, "-m", "retrowalk", "validate", *paths],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for path in paths:
        assert f"{path}:" in result.stderr
