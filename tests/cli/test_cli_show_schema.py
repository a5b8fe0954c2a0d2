"""`retrowalk show` draws the timeline and chart; `retrowalk schema` prints a usable schema."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest

from retrowalk.cli.main import main
from retrowalk.workout.library import library_dir
from retrowalk.workout.source import parse_tree

if TYPE_CHECKING:
    from pathlib import Path

SMALL = """\
name: Small
turn: {window: 10s}
intervals:
  - forward: 2:00
    speed: 4.0
    label: Warm-up
  - backward: 1:00
    speed: {from: 2.0, to: 3.0}
    incline: 4
  - rest: 0:30
  - forward: 400m
    speed: 4.8
"""


def test_show_prints_timeline_turns_and_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The timeline lists steps and turns with cumulative times; the chart marks backward `B`."""
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    assert main(["show", "--width", "40", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"Small  ({path}; needs profile standard)",
        "safety profile: checked against standard: OK",
        (
            "8:50 with 2 turns (8:30 walking, 1:00 backward), 575 m, about 33 kcal "
            "(estimate for 70 kg, the default)"
        ),
        "",
        "   START       DIR   LENGTH    SPEED km/h   INCL  LABEL",
        "    0:00    1. FWD   2:00      4.0            0%  Warm-up",
        "    2:00       TURN  forward -> backward (stop, 10 s, confirm)",
        "    2:10    2. BACK  1:00      2.0->3.0       4%",
        "    3:10    3. REST  0:30      -               -",
        "    3:40       TURN  backward -> forward (stop, 10 s, confirm)",
        "    3:50    4. FWD   400 m     4.8            0%",
        "    8:50       END",
        "",
        "speed km/h (# forward, B backward, | turn, blank rest)",
        "  4.8          |      |#######################",
        "  4.0 #########|      |#######################",
        "  3.2 #########|   B  |#######################",
        "  2.4 #########|BBBB  |#######################",
        "  1.6 #########|BBBB  |#######################",
        "  0.8 #########|BBBB  |#######################",
        "      ----------------------------------------",
        "incline %",
        "  4.0           BBBB",
        "  2.7           BBBB",
        "  1.3           BBBB",
        "      ----------------------------------------",
        "      0:00                                8:50",
    ]


def test_show_backward_start_turns_from_the_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A workout starting backward shows a turn from the start before step 1."""
    path = tmp_path / "b.yaml"
    path.write_text("name: B\nintervals:\n  - {backward: 1:00, speed: 2}\n", encoding="utf-8")
    assert main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "    0:00       TURN  start -> backward (stop, 12 s, confirm)" in out


def test_show_library_workout_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    """`retrowalk show retro-intro` finds the bundled workout."""
    assert main(["show", "retro-intro"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Retro Intro")
    assert out.count("TURN") == 6


def test_show_in_imperial_units(capsys: pytest.CaptureFixture[str]) -> None:
    """`show --units imperial` gives speeds in mph and the distance in miles, chart included."""
    assert main(["show", "retro-intro", "--units", "imperial"]) == 0
    out = capsys.readouterr().out
    assert " mi, about " in out
    assert "SPEED mph" in out
    assert "speed mph (" in out
    warm_up = next(line for line in out.splitlines() if "Warm-up" in line)
    assert warm_up.split()[4] == "2.5"  # 4.0 km/h
    assert "km" not in out


def test_show_bad_file_exits_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad file makes `show` exit 2 with the located problem lines."""
    path = tmp_path / "bad.yaml"
    path.write_text("name: T\nintervals:\n  - {backward: 2:00}\n", encoding="utf-8")
    assert main(["show", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"{path}:3:5: intervals[0].speed: required for backward walking (km/h, e.g. speed: 3.0)\n"
    )


def test_schema_is_valid_json_schema_accepting_the_library(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`retrowalk schema` prints a 2020-12 JSON Schema that accepts every library file."""
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in library_dir().glob("*.yaml"):
        validator.validate(parse_tree(path.read_text(encoding="utf-8"), str(path)).data)
    assert schema["title"] == "retrowalk workout"
    assert set(schema["required"]) == {"name", "intervals"}


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"name": "T", "intervals": [{"backward": "2:00"}]}, "missing speed"),
        ({"name": "T", "intervals": [{"rest": "1:00", "speed": 2}]}, "speed on a rest"),
        ({"name": "T", "intervals": [{"backward": "1:00", "speed": 2, "incline": -1}]}, "downhill"),
        (
            {"name": "T", "intervals": [{"forward": "1:00", "backward": "1:00", "speed": 2}]},
            "two keys",
        ),
        ({"name": "T", "intervals": [{"forward": "1:00", "sped": 2}]}, "unknown key"),
        ({"name": "T", "intervals": [{"repeat": 0, "intervals": []}]}, "repeat 0"),
        ({"name": "T", "intervals": []}, "empty"),
        (
            {"name": "T", "countdown": 20, "intervals": [{"forward": "1:00", "speed": 2}]},
            "countdown",
        ),
    ],
)
@pytest.mark.parametrize(
    "validator_class",
    [jsonschema.Draft202012Validator, jsonschema.Draft7Validator],
    ids=["2020-12", "draft-07"],
)
def test_schema_flags_what_an_editor_should_underline(
    data: dict[str, Any],
    why: str,
    validator_class: type[jsonschema.protocols.Validator],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The schema rejects the common mistakes (read as 2020-12 or, by older editors, draft-07)."""
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    validator = validator_class(schema)
    assert not validator.is_valid(data), why
    for path in library_dir().glob("*.yaml"):
        validator.validate(parse_tree(path.read_text(encoding="utf-8"), str(path)).data)


def test_schema_output_file(tmp_path: Path) -> None:
    """`retrowalk schema -o FILE` writes the same schema to FILE."""
    target = tmp_path / "workout.schema.json"
    assert main(["schema", "-o", str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8"))["title"] == "retrowalk workout"
