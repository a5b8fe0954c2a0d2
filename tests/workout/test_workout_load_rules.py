# ruff: noqa: E501 - each expected message is kept whole on one line, as a person sees it
"""Every format rule: the bad input and the exact line a person sees (FILE:LINE:COL: path: msg)."""

from __future__ import annotations

import textwrap

import pytest

from retrowalk.errors import WorkoutError, WorkoutErrors
from retrowalk.workout import parse_workout
from retrowalk.workout.plan import SpeedTarget, TurnMode


def problems(text: str) -> list[str]:
    """Return the problem lines for a workout text (empty if it is valid)."""
    try:
        parse_workout(textwrap.dedent(text), "w.yaml")
    except WorkoutErrors as exc:
        return [p.render() for p in exc.problems]
    except WorkoutError as exc:
        return [exc.render()]
    return []


def one_interval(body: str) -> str:
    """Return a workout whose only interval is `body` (a flow mapping)."""
    return f"name: T\nintervals:\n  - {body}\n"


def test_the_full_example_of_the_issue_loads() -> None:
    """The example that shows every feature loads into the documented values."""
    workout = parse_workout(
        textwrap.dedent("""\
        name: Ankle Incline Retro
        description: Calf and ankle loading at 7-10 % incline, backward.
        evidence: [Cipriani 1995, Hooper 2004, Cha 2016]
        profile: standard
        countdown: 5s
        turn:
          mode: stop
          window: 12s
          confirm: true
        intervals:
          - forward: 5:00
            speed: 4.0
            incline: 2
            label: Warm-up
            cue: Easy pace, look ahead.
          - repeat: 4
            intervals:
              - backward: 3:00
                speed: 2.5
                incline: 7
                turn: {window: 15s}
              - forward: 400m
                speed: "2.5 mph"
          - rest: 1:00
          - forward: 1h30min
            speed: {from: 4.0, to: "5 km/h"}
        """),
        "w.yaml",
    )
    first, repeat, rest, ramp = workout.intervals
    assert first.forward is not None
    assert first.forward.seconds == 300
    assert first.incline == 2
    assert repeat.repeat == 4
    assert repeat.intervals is not None
    assert repeat.intervals[0].turn is not None
    assert repeat.intervals[0].turn.window == 15
    assert repeat.intervals[1].forward is not None
    assert repeat.intervals[1].forward.metres == 400
    assert repeat.intervals[1].speed == SpeedTarget(4.02336, 4.02336)
    assert rest.rest == 60
    assert ramp.speed == SpeedTarget(4.0, 5.0)
    assert ramp.forward is not None
    assert ramp.forward.seconds == 5400
    assert workout.turn.mode is TurnMode.STOP
    assert workout.countdown == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "name: T\nintervals:\n  - forward: 5:00\n    sped: 4\n",
            [
                "w.yaml:3:5: intervals[0].speed: required for forward walking (km/h, e.g. speed: 3.0)",
                "w.yaml:4:5: intervals[0].sped: unknown key 'sped'; did you mean 'speed'?",
            ],
            id="unknown key with suggestion, missing speed",
        ),
        pytest.param(
            "name: T\nwibble: 1\nintervals:\n  - {forward: 5:00, speed: 4}\n",
            [
                (
                    "w.yaml:2:1: wibble: unknown key 'wibble'; allowed here: version, name, "
                    "description, evidence, profile, countdown, turn, intervals"
                )
            ],
            id="unknown key without a close match",
        ),
        pytest.param(
            one_interval("{forward: 5:00, backward: 2:00, speed: 3}"),
            [
                (
                    "w.yaml:3:5: intervals[0]: forward and backward in one interval; use exactly "
                    "one of forward, backward, rest or repeat"
                )
            ],
            id="two direction keys",
        ),
        pytest.param(
            one_interval("{speed: 3}"),
            [
                (
                    "w.yaml:3:5: intervals[0]: an interval needs exactly one of forward, backward, "
                    "rest or repeat"
                )
            ],
            id="no direction key",
        ),
        pytest.param(
            one_interval("{backward: 2:00}"),
            [
                "w.yaml:3:5: intervals[0].speed: required for backward walking (km/h, e.g. speed: 3.0)"
            ],
            id="missing speed",
        ),
        pytest.param(
            one_interval("{rest: 1:00, speed: 3, incline: 2}"),
            [
                "w.yaml:3:18: intervals[0].speed: a rest has no speed: the belt is paused",
                "w.yaml:3:28: intervals[0].incline: a rest has no incline: the belt is paused",
            ],
            id="speed and incline on a rest",
        ),
        pytest.param(
            one_interval("{backward: 2:00, speed: 2, incline: -1}"),
            [
                (
                    "w.yaml:3:41: intervals[0].incline: backward walking downhill (-1 %) is not "
                    "allowed; use 0 % or more when walking backward"
                )
            ],
            id="negative backward incline",
        ),
        pytest.param(
            one_interval("{repeat: 0, intervals: [{forward: 1:00, speed: 3}]}"),
            ["w.yaml:3:14: intervals[0].repeat: repeat must be 1 to 100, not 0"],
            id="repeat 0",
        ),
        pytest.param(
            one_interval("{repeat: 1000, intervals: [{forward: 1:00, speed: 3}]}"),
            ["w.yaml:3:14: intervals[0].repeat: repeat must be 1 to 100, not 1000"],
            id="repeat 1000",
        ),
        pytest.param(
            one_interval("{repeat: 2.5, intervals: [{forward: 1:00, speed: 3}]}"),
            ["w.yaml:3:14: intervals[0].repeat: repeat takes a whole number 1-100, not 2.5"],
            id="repeat not whole",
        ),
        pytest.param(
            one_interval("{repeat: 3}"),
            ["w.yaml:3:5: intervals[0].intervals: required: the intervals to repeat"],
            id="repeat without intervals",
        ),
        pytest.param(
            one_interval("{repeat: 2, intervals: []}"),
            ["w.yaml:3:28: intervals[0].intervals: must not be empty: add at least one interval"],
            id="repeat with empty intervals",
        ),
        pytest.param(
            "name: T\nintervals: []\n",
            ["w.yaml:2:12: intervals: must not be empty: add at least one interval"],
            id="empty intervals",
        ),
        pytest.param(
            "name: T\n",
            ["w.yaml:1:1: intervals: required: the list of intervals"],
            id="no intervals",
        ),
        pytest.param(
            "intervals:\n  - {forward: 5:00, speed: 4}\n",
            ["w.yaml:1:1: name: required: give the workout a name"],
            id="no name",
        ),
        pytest.param(
            "name: T\nintervals: {forward: 5:00}\n",
            [
                (
                    "w.yaml:2:12: intervals: expected a list (lines starting with '- '), "
                    "not {'forward': '5:00'}"
                )
            ],
            id="intervals not a list",
        ),
        pytest.param(
            "name: [a, b]\nintervals:\n  - {forward: 5:00, speed: 4}\n",
            ["w.yaml:1:7: name: expected text, not ['a', 'b']"],
            id="wrong type",
        ),
        pytest.param(
            one_interval("{forward: 5m, speed: 4}"),
            [
                (
                    "w.yaml:3:15: intervals[0].forward: '5m' is 5 m, shorter than the 50 m minimum; "
                    "for 5 minutes write 5min"
                )
            ],
            id="5m means metres",
        ),
        pytest.param(
            one_interval("{forward: 5, speed: 4}"),
            [
                (
                    "w.yaml:3:15: intervals[0].forward: a bare number (5) is ambiguous; write a "
                    "unit: 5:00, 5min, 90s (a duration) or 400m (a distance)"
                )
            ],
            id="bare number duration",
        ),
        pytest.param(
            one_interval("{forward: ten minutes, speed: 4}"),
            [
                (
                    "w.yaml:3:15: intervals[0].forward: 'ten minutes' is not a duration; write "
                    "m:ss, h:mm:ss, 90s, 5min, 1h or 1h30min"
                )
            ],
            id="bad duration",
        ),
        pytest.param(
            one_interval("{forward: 0:05, speed: 4}"),
            [
                (
                    "w.yaml:3:15: intervals[0].forward: '0:05' is 0:05; a walking interval lasts "
                    "10 s to 3:00:00"
                )
            ],
            id="too short",
        ),
        pytest.param(
            one_interval("{rest: 400m}"),
            [
                (
                    "w.yaml:3:12: intervals[0].rest: '400m' is 400 metres, not a duration; for "
                    "minutes write 400min"
                )
            ],
            id="rest as a distance",
        ),
        pytest.param(
            one_interval("{forward: 5:00, speed: fast}"),
            [
                (
                    "w.yaml:3:28: intervals[0].speed: 'fast' is not a speed; write a number in km/h, "
                    '"2.5 mph" or "4 km/h"'
                )
            ],
            id="bad speed",
        ),
        pytest.param(
            one_interval("{forward: 5:00, speed: 30}"),
            ["w.yaml:3:28: intervals[0].speed: speed must be 0.5 to 20 km/h, not 30 km/h"],
            id="speed out of range",
        ),
        pytest.param(
            one_interval("{forward: 5:00, speed: {from: 3}}"),
            ["w.yaml:3:28: intervals[0].speed: a speed ramp is written {from: 3.0, to: 4.0}"],
            id="half a ramp",
        ),
        pytest.param(
            one_interval("{forward: 5:00, speed: {form: 3, to: 4}}"),
            [
                "w.yaml:3:28: intervals[0].speed: a speed ramp is written {from: 3.0, to: 4.0}",
                "w.yaml:3:29: intervals[0].speed.form: unknown key 'form'; did you mean 'from'?",
            ],
            id="ramp key typo",
        ),
        pytest.param(
            "name: T\ncountdown: 20s\nintervals:\n  - {forward: 5:00, speed: 4}\n",
            ["w.yaml:2:12: countdown: must be 0 to 15 s, not 20 s"],
            id="countdown over 15 s",
        ),
        pytest.param(
            "name: T\nturn: {window: 2s}\nintervals:\n  - {forward: 5:00, speed: 4}\n",
            ["w.yaml:2:16: turn.window: must be 5 to 60 s, not 2 s"],
            id="turn window under 5 s",
        ),
        pytest.param(
            "name: T\nturn: {mode: slow, slow_speed: 2}\nintervals:\n  - {forward: 5:00, speed: 4}\n",
            ["w.yaml:2:32: turn.slow_speed: must be more than 0 and at most 1.5 km/h, not 2"],
            id="slow turn speed over 1.5",
        ),
        pytest.param(
            "name: T\nturn: {mode: stop, slow_speed: 1}\nintervals:\n  - {forward: 5:00, speed: 4}\n",
            ["w.yaml:2:7: turn: slow_speed applies only to mode: slow"],
            id="slow speed with mode stop",
        ),
        pytest.param(
            "name: T\nturn: {mode: spin}\nintervals:\n  - {forward: 5:00, speed: 4}\n",
            ["w.yaml:2:14: turn.mode: 'spin' is not allowed; use one of stop, slow"],
            id="bad turn mode",
        ),
        pytest.param(
            "name: T\nprofile: advnced\nintervals:\n  - {forward: 5:00, speed: 4}\n",
            [
                (
                    "w.yaml:2:10: profile: 'advnced' is not allowed; use one of beginner, standard, "
                    "advanced, supervised (did you mean 'advanced'?)"
                )
            ],
            id="bad profile name",
        ),
        pytest.param(
            "name: T\nconfirm: yes\nturn: {confirm: maybe}\nintervals:\n  - {forward: 5:00, speed: 4}\n",
            [
                (
                    "w.yaml:2:1: confirm: unknown key 'confirm'; allowed here: version, name, "
                    "description, evidence, profile, countdown, turn, intervals"
                ),
                "w.yaml:3:17: turn.confirm: expected true or false, not 'maybe'",
            ],
            id="bool expected",
        ),
        pytest.param(
            "name: T\nturn: slow\nintervals:\n  - forward\n  - {forward: 1:00, speed: 4}\n",
            [
                "w.yaml:2:7: turn: expected a mapping (key: value lines), not 'slow'",
                "w.yaml:4:5: intervals[0]: expected a mapping (key: value lines), not 'forward'",
            ],
            id="text where a mapping belongs",
        ),
        pytest.param(
            "name: T\nturn: {mode: }\nintervals:\n  - {forward: null, speed: 4}\n  - {repeat: ~, intervals: [{rest: 1:00}]}\n",
            [
                "w.yaml:2:14: turn.mode: has no value; give one or leave the key out",
                "w.yaml:4:15: intervals[0].forward: has no value; give one or leave the key out",
                "w.yaml:5:14: intervals[1].repeat: has no value; give one or leave the key out",
            ],
            id="empty values",
        ),
        pytest.param(
            "name: T\nname: U\nintervals:\n  - {forward: 5:00, speed: 4}\n",
            ["w.yaml:2:1: name: duplicate key 'name'"],
            id="duplicate key",
        ),
    ],
)
def test_rule(text: str, expected: list[str]) -> None:
    """The bad input is refused with exactly these lines, in file order."""
    assert problems(text) == expected


def test_all_problems_of_a_file_are_reported_together() -> None:
    """Problems in different intervals are collected in one pass, in file order."""
    found = problems(
        """\
        name: T
        intervals:
          - forward: 5:00
            speed: 40
          - backward: 2:00
          - rest: 1:00
            speed: 2
        """
    )
    assert found == [
        "w.yaml:4:12: intervals[0].speed: speed must be 0.5 to 20 km/h, not 40 km/h",
        "w.yaml:5:5: intervals[1].speed: required for backward walking (km/h, e.g. speed: 3.0)",
        "w.yaml:7:5: intervals[2].speed: a rest has no speed: the belt is paused",
    ]


def test_nested_repeat_paths_name_the_nesting() -> None:
    """A problem inside nested repeats names the full path to the field."""
    found = problems(
        """\
        name: T
        intervals:
          - repeat: 2
            intervals:
              - repeat: 3
                intervals:
                  - backward: 1:00
                    speed: 2
                    incline: -3
        """
    )
    assert found == [
        (
            "w.yaml:9:22: intervals[0].intervals[0].intervals[0].incline: backward walking "
            "downhill (-3 %) is not allowed; use 0 % or more when walking backward"
        )
    ]


def test_five_colon_zero_zero_is_five_minutes_not_300_anything() -> None:
    """`5:00` unquoted (a YAML 1.1 sexagesimal integer) is read as five minutes."""
    workout = parse_workout("name: T\nintervals:\n  - {backward: 5:00, speed: 2}\n", "w.yaml")
    extent = workout.intervals[0].backward
    assert extent is not None
    assert extent.seconds == 300
    assert extent.metres is None


def test_yes_and_on_are_booleans_and_quoted_text_stays_text() -> None:
    """YAML 1.1 booleans work for confirm; a quoted value is always text."""
    workout = parse_workout(
        'name: "5:00"\nturn: {confirm: no}\nintervals:\n  - {forward: "5:00", speed: "4"}\n',
        "w.yaml",
    )
    assert workout.name == "5:00"
    assert workout.turn.confirm is False
    assert workout.intervals[0].speed == SpeedTarget(4.0, 4.0)


def test_countdown_and_turn_window_accept_bare_seconds() -> None:
    """`countdown: 5` and `window: 12` are seconds (only these two fields take bare numbers)."""
    workout = parse_workout(
        "name: T\ncountdown: 5\nturn: {window: 12}\nintervals:\n  - {forward: 1:00, speed: 4}\n",
        "w.yaml",
    )
    assert (workout.countdown, workout.turn.window) == (5.0, 12.0)
