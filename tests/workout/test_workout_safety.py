"""Safety profiles: the reference table's limits, and refusals that list every violation."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pytest

from retrowalk.errors import ConfigError, SafetyError
from retrowalk.workout import PROFILES, build_plan, check_plan, get_profile, parse_workout
from retrowalk.workout.plan import Direction, Plan
from retrowalk.workout.safety import profiles_allowing, violations

if TYPE_CHECKING:
    from retrowalk.workout.model import Workout


def plan_of(intervals: str) -> Plan:
    """Return the plan of a workout with these intervals (YAML list lines)."""
    return build_plan(parse_workout(f"name: T\nintervals:\n{textwrap.dedent(intervals)}", "w.yaml"))


@pytest.mark.parametrize(
    ("name", "backward", "bout_s", "forward"),
    [  # (speed min, speed max, incline min, incline max) in each direction
        ("beginner", (1.0, 3.0, 0.0, 0.0), 180, (1.0, 6.0, 0.0, 5.0)),
        ("standard", (1.0, 4.5, 0.0, 5.0), 360, (1.0, 8.0, 0.0, 10.0)),
        ("advanced", (1.0, 6.0, 0.0, 10.0), 600, (1.0, 12.0, -3.0, 15.0)),
        ("supervised", (0.5, 2.5, 0.0, 0.0), 120, (0.5, 4.0, 0.0, 5.0)),
    ],
)
def test_profiles_hold_the_reference_limits(
    name: str,
    backward: tuple[float, float, float, float],
    bout_s: float,
    forward: tuple[float, float, float, float],
) -> None:
    """Each profile has exactly the limits of the tables in docs/reference/retro-walking.md."""
    p = get_profile(name)
    for direction, expected in ((Direction.BACKWARD, backward), (Direction.FORWARD, forward)):
        limits = (
            p.min_speed_kmh(direction),
            p.max_speed_kmh(direction),
            p.min_incline_pct(direction),
            p.max_incline_pct(direction),
        )
        assert limits == expected, direction
    assert (p.name, p.backward_bout_max_s) == (name, bout_s)


def test_unknown_profile_names_the_choices() -> None:
    """An unknown profile name is a ConfigError that lists the allowed names."""
    with pytest.raises(ConfigError) as caught:
        get_profile("expert")
    assert str(caught.value) == (
        "unknown safety profile 'expert'; choose one of beginner, standard, advanced, supervised"
    )
    assert list(PROFILES) == ["beginner", "standard", "advanced", "supervised"]


def test_every_violation_is_listed_with_place_value_limit_and_alternative() -> None:
    """Beyond beginner: speed, incline and bout are each named with file:line and profiles."""
    plan = plan_of(
        """\
        - {forward: 5:00, speed: 4}
        - {backward: 4:00, speed: 3.5, incline: 4}
        """
    )
    with pytest.raises(SafetyError) as caught:
        check_plan(plan, get_profile("beginner"))
    assert caught.value.violations == [
        (
            "w.yaml:4:3: intervals[1].speed: backward speed 3.5 km/h is above the beginner limit "
            "of 3 km/h (allowed by standard, advanced)"
        ),
        (
            "w.yaml:4:3: intervals[1].incline: backward incline 4 % is above the beginner limit "
            "of 0 % (allowed by standard, advanced)"
        ),
        (
            "w.yaml:4:3: intervals[1].backward: backward bout of 4:00 is longer than the beginner "
            "limit of 3:00 (allowed by standard, advanced)"
        ),
    ]
    assert str(caught.value).splitlines()[0] == (
        "w.yaml: beyond beginner, the profile you chose; OK under standard, advanced; "
        'run it with --profile standard or set profile = "standard" in config.toml'
    )
    assert caught.value.exit_code == 2


def test_supervised_caps_forward_speed_and_incline() -> None:
    """Supervised caps forward walking at 4 km/h and 5 %."""
    plan = plan_of("- {forward: 5:00, speed: 4.5, incline: 6}\n")
    assert violations(plan, get_profile("supervised")) == [
        (
            "w.yaml:3:3: intervals[0].speed: forward speed 4.5 km/h is above the supervised limit "
            "of 4 km/h (allowed by beginner, standard, advanced)"
        ),
        (
            "w.yaml:3:3: intervals[0].incline: forward incline 6 % is above the supervised limit "
            "of 5 % (allowed by standard, advanced)"
        ),
    ]


def test_beginner_refuses_forward_12_mph_at_15_percent() -> None:
    """Forward 12 mph at 15 % is beyond every profile but nothing: beginner names both caps."""
    plan = plan_of('- {forward: 5:00, speed: "12 mph", incline: 15}\n')
    assert violations(plan, get_profile("beginner")) == [
        (
            "w.yaml:3:3: intervals[0].speed: forward speed 19.3121 km/h is above the beginner "
            "limit of 6 km/h (no profile allows it)"
        ),
        (
            "w.yaml:3:3: intervals[0].incline: forward incline 15 % is above the beginner limit "
            "of 5 % (allowed by advanced)"
        ),
    ]


def test_forward_minimums_and_downhill_per_profile() -> None:
    """Forward 0.8 km/h needs supervised; forward -2 % downhill needs advanced."""
    slow = plan_of("- {forward: 5:00, speed: 0.8}\n")
    assert violations(slow, get_profile("standard")) == [
        (
            "w.yaml:3:3: intervals[0].speed: forward speed 0.8 km/h is below the standard minimum "
            "of 1 km/h (allowed by supervised)"
        )
    ]
    downhill = plan_of("- {forward: 5:00, speed: 5, incline: -2}\n")
    assert violations(downhill, get_profile("standard")) == [
        (
            "w.yaml:3:3: intervals[0].incline: forward incline -2 % is below the standard minimum "
            "of 0 % (allowed by advanced)"
        )
    ]
    assert profiles_allowing(plan_of("- {forward: 5:00, speed: 5, incline: -4}\n")) == []


def test_too_slow_backward_and_a_ramp_beyond_the_cap() -> None:
    """A backward ramp is checked at both ends: too slow for standard, too fast for it too."""
    plan = plan_of("- {backward: 2:00, speed: {from: 0.6, to: 5}}\n")
    assert violations(plan, get_profile("standard")) == [
        (
            "w.yaml:3:3: intervals[0].speed: backward speed 5 km/h is above the standard limit of "
            "4.5 km/h (allowed by advanced)"
        ),
        (
            "w.yaml:3:3: intervals[0].speed: backward speed 0.6 km/h is below the standard minimum "
            "of 1 km/h (allowed by supervised)"
        ),
    ]


def test_no_profile_allows_it() -> None:
    """Backward faster than every profile says that no profile allows it."""
    plan = plan_of("- {backward: 2:00, speed: 7}\n")
    assert violations(plan, get_profile("advanced")) == [
        (
            "w.yaml:3:3: intervals[0].speed: backward speed 7 km/h is above the advanced limit of "
            "6 km/h (no profile allows it)"
        )
    ]
    assert profiles_allowing(plan) == []


def test_consecutive_backward_steps_form_one_bout_and_rests_break_it() -> None:
    """Backward steps in a row add up to one bout, named by its intervals; a rest ends it."""
    joined = plan_of(
        "- {forward: 2:00, speed: 4}\n- {backward: 2:00, speed: 2}\n"
        "- {backward: 2:00, speed: 2.5}\n- {backward: 3:00, speed: 2.5}\n"
    )
    assert violations(joined, get_profile("standard")) == [
        (
            "w.yaml:4:3: intervals[1].backward: intervals[1], intervals[2] and intervals[3] add "
            "up to a backward bout of 7:00, longer than the standard limit of 6:00 "
            "(allowed by advanced)"
        )
    ]
    broken = plan_of(
        "- {backward: 2:00, speed: 2}\n- {rest: 0:30}\n- {backward: 2:00, speed: 2.5}\n"
    )
    assert violations(broken, get_profile("beginner")) == []


def test_repeated_steps_report_once() -> None:
    """A violating interval inside a repeat of 5 is reported once, not five times."""
    plan = plan_of(
        """\
        - repeat: 5
          intervals:
            - {backward: 1:00, speed: 4}
            - {forward: 1:00, speed: 4}
        """
    )
    assert len(violations(plan, get_profile("beginner"))) == 1


def test_a_fitting_plan_passes_and_names_its_profiles() -> None:
    """A gentle plan passes every profile's check."""
    plan = plan_of("- {forward: 2:00, speed: 3}\n- {backward: 2:00, speed: 1.5}\n")
    for profile in PROFILES.values():
        check_plan(plan, profile)
    assert profiles_allowing(plan) == ["beginner", "standard", "advanced", "supervised"]


def test_a_bout_across_repeats_names_the_repeated_interval() -> None:
    """A repeat of backward steps is one bout, named once with how often it repeats."""
    plan = plan_of(
        """\
        - repeat: 4
          intervals:
            - {backward: 1:00, speed: 2}
        """
    )
    assert violations(plan, get_profile("beginner")) == [
        (
            "w.yaml:5:7: intervals[0].intervals[0].backward: intervals[0].intervals[0] (4 times) "
            "add up to a backward bout of 4:00, longer than the beginner limit of 3:00 "
            "(allowed by standard, advanced)"
        )
    ]


UNSUPERVISED_TURN = """\
name: T
countdown: 0
turn: {mode: slow, confirm: false}
intervals:
  - {forward: 2:00, speed: 3}
  - {backward: 1:00, speed: 2}
"""


def workout_plan(text: str) -> tuple[Workout, Plan]:
    """Return a workout read from `text` and its plan."""
    workout = parse_workout(text, "w.yaml")
    return workout, build_plan(workout)


@pytest.mark.parametrize("name", ["beginner", "standard", "supervised"])
def test_slow_unconfirmed_turns_without_countdown_only_under_advanced(name: str) -> None:
    """mode: slow, confirm: false and countdown 0 are each refused, at their line, but advanced."""
    workout, plan = workout_plan(UNSUPERVISED_TURN)
    assert violations(plan, get_profile(name), workout) == [
        (
            f"w.yaml:3:14: turn.mode: a slow turn (turning around on a moving belt) is not allowed "
            f"under {name}; use mode: stop (allowed by advanced)"
        ),
        (
            f"w.yaml:3:29: turn.confirm: a turn-around without your confirmation (the belt "
            f"restarts on a timer) is not allowed under {name}; use confirm: true "
            "(allowed by advanced)"
        ),
        (
            f"w.yaml:2:12: countdown: a countdown of 0 s before each turn-around is shorter than "
            f"the {name} minimum of 3 s (allowed by advanced)"
        ),
    ]
    assert violations(plan, get_profile("advanced"), workout) == []
    assert profiles_allowing(plan, workout) == ["advanced"]


def test_turn_override_is_refused_where_it_is_written() -> None:
    """A slow turn set on one interval is named at that interval's turn.mode."""
    workout, plan = workout_plan(
        "name: T\nintervals:\n  - {forward: 2:00, speed: 3}\n"
        "  - {backward: 1:00, speed: 2, turn: {mode: slow}}\n"
    )
    assert [
        line.split(": a slow")[0] for line in violations(plan, PROFILES["standard"], workout)
    ] == ["w.yaml:4:45: intervals[1].turn.mode"]


def test_no_turn_no_turn_rules() -> None:
    """Without a turn-around, countdown 0 is fine and a turn override on the step is inert."""
    workout, plan = workout_plan(
        "name: T\ncountdown: 0\nintervals:\n  - {forward: 2:00, speed: 3}\n"
        "  - {forward: 1:00, speed: 4, turn: {mode: slow, confirm: false}}\n"
    )
    assert profiles_allowing(plan, workout) == ["beginner", "standard", "advanced", "supervised"]
