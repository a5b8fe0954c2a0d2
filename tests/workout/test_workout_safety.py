"""Safety profiles: the reference table's limits, and refusals that list every violation."""

from __future__ import annotations

import textwrap

import pytest

from retrowalk.errors import ConfigError, SafetyError
from retrowalk.workout import PROFILES, build_plan, check_plan, get_profile, parse_workout
from retrowalk.workout.plan import Direction, Plan
from retrowalk.workout.safety import profiles_allowing, violations


def plan_of(intervals: str) -> Plan:
    """Return the plan of a workout with these intervals (YAML list lines)."""
    return build_plan(parse_workout(f"name: T\nintervals:\n{textwrap.dedent(intervals)}", "w.yaml"))


@pytest.mark.parametrize(
    ("name", "speed_min", "speed_max", "incline_max", "bout_s", "fwd_speed", "fwd_incline"),
    [
        ("beginner", 1.0, 3.0, 0.0, 180, None, None),
        ("standard", 1.0, 4.5, 5.0, 360, None, None),
        ("advanced", 1.0, 6.0, 10.0, 600, None, None),
        ("supervised", 0.5, 2.5, 0.0, 120, 4.0, 5.0),
    ],
)
def test_profiles_hold_the_reference_limits(  # noqa: PLR0917 - one argument per table column
    name: str,
    speed_min: float,
    speed_max: float,
    incline_max: float,
    bout_s: float,
    fwd_speed: float | None,
    fwd_incline: float | None,
) -> None:
    """Each profile has exactly the limits of the table in docs/reference/retro-walking.md."""
    p = get_profile(name)
    assert (p.name, p.backward_speed_min_kmh, p.backward_speed_max_kmh) == (
        name,
        speed_min,
        speed_max,
    )
    assert (p.backward_incline_max_pct, p.backward_bout_max_s) == (incline_max, bout_s)
    assert p.max_speed_kmh(Direction.BACKWARD) == speed_max
    assert p.max_incline_pct(Direction.BACKWARD) == incline_max
    assert p.max_speed_kmh(Direction.FORWARD) == fwd_speed
    assert p.max_incline_pct(Direction.FORWARD) == fwd_incline


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
        "w.yaml: beyond the 'beginner' safety profile; choose --profile standard or advanced "
        "if that suits you, or change the workout:"
    )
    assert caught.value.exit_code == 2


def test_supervised_caps_forward_speed_and_incline() -> None:
    """Supervised also caps forward walking at 4 km/h and 5 %."""
    plan = plan_of("- {forward: 5:00, speed: 4.5, incline: 6}\n")
    assert violations(plan, get_profile("supervised")) == [
        (
            "w.yaml:3:3: intervals[0].speed: forward speed 4.5 km/h is above the supervised limit "
            "of 4 km/h (allowed by beginner, standard, advanced)"
        ),
        (
            "w.yaml:3:3: intervals[0].incline: forward incline 6 % is above the supervised limit "
            "of 5 % (allowed by beginner, standard, advanced)"
        ),
    ]


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
    """Backward steps in a row add up to one bout; a rest or forward step ends the bout."""
    joined = plan_of("- {backward: 2:00, speed: 2}\n- {backward: 2:00, speed: 2.5}\n")
    assert violations(joined, get_profile("beginner")) == [
        (
            "w.yaml:4:3: intervals[1].backward: backward bout of 4:00 is longer than the beginner "
            "limit of 3:00 (allowed by standard, advanced)"
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
