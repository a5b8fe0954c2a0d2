# ruff: noqa: E501 - expected messages are kept whole, as a person sees them
"""The whole check of a file: one profile rule, and every problem at once (the API under the CLI)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from test_workout_properties import workouts

from retrowalk.errors import ConfigError, SafetyError, WorkoutError, WorkoutErrors
from retrowalk.workout import check_text, choose_profile


def lines(text: str, **options: str) -> list[str]:
    """Return the problem lines `validate` prints for a workout text."""
    return [p.render() for p in check_text(textwrap.dedent(text), "w.yaml", **options).problems()]


@pytest.mark.parametrize(
    ("declared", "option", "config", "profile", "chosen"),
    [
        ("beginner", None, None, "beginner", False),
        ("supervised", None, None, "supervised", False),
        ("standard", None, None, "standard", False),
        ("advanced", None, None, "standard", False),  # looser than standard: never by default
        ("advanced", None, "advanced", "advanced", True),
        ("beginner", None, "advanced", "advanced", True),
        ("advanced", "beginner", "advanced", "beginner", True),  # --profile wins over the file
    ],
)
def test_one_rule_picks_the_profile(
    declared: str, option: str | None, config: str | None, profile: str, chosen: bool
) -> None:
    """--profile, else config.toml's profile, else the declared one unless looser than standard."""
    choice = choose_profile(declared, option=option, config=config)
    assert (choice.profile.name, choice.chosen) == (profile, chosen)


def test_the_verdict_is_one_sentence_for_every_case() -> None:
    """Fits, needs naming, beyond a chosen profile, beyond every profile: each said one way."""
    assert choose_profile("beginner").verdict(["beginner"]) == "checked against beginner: OK"
    assert choose_profile("advanced").verdict(["advanced"]) == (
        'beyond standard, the default; OK under advanced; run it with --profile advanced or set profile = "advanced" in config.toml'
    )
    assert choose_profile("beginner", option="supervised").verdict(["beginner", "standard"]) == (
        'beyond supervised, the profile you chose; OK under beginner, standard; run it with --profile beginner or set profile = "beginner" in config.toml'
    )
    assert choose_profile("standard").verdict([]) == (
        "beyond standard, the default; no safety profile allows it; change the workout"
    )
    with pytest.raises(ConfigError, match=r"^profile in config\.toml: unknown safety profile"):
        choose_profile("standard", config="x")


def test_format_direction_and_profile_problems_come_together() -> None:
    """A broken file reports its format problems and the profile limits of its valid parts."""
    assert lines(
        """\
        name: T
        countdown: 0
        turn: {mode: slow}
        intervals:
          - {forward: 5:00, speed: 4}
          - {backward: 4:00, speed: 3, incline: -1}
          - {backward: 3:00, sped: 3}
        """,
        profile="beginner",
    ) == [
        "w.yaml:2:12: countdown: a countdown of 0 s before each turn-around is shorter than the beginner minimum of 3 s (allowed by advanced)",
        "w.yaml:3:14: turn.mode: a slow turn (turning around on a moving belt) is not allowed under beginner; use mode: stop (allowed by advanced)",
        "w.yaml:6:5: intervals[1].backward: backward bout of 4:00 is longer than the beginner limit of 3:00 (allowed by standard, advanced)",
        "w.yaml:6:41: intervals[1].incline: backward walking downhill (-1 %) is not allowed; use 0 % or more when walking backward",
        "w.yaml:7:5: intervals[2].speed: required for backward walking (km/h, e.g. speed: 3.0)",
        "w.yaml:7:22: intervals[2].sped: unknown key 'sped'; did you mean 'speed'?",
    ]


def test_a_salvaged_file_never_reports_a_longer_bout_than_it_has() -> None:
    """An unreadable interval between two backward ones ends the bout: no bout is invented."""
    found = lines(
        """\
        name: T
        intervals:
          - {backward: 4:00, speed: 2}
          - {forward: soon, speed: 4}
          - {backward: 4:00, speed: 2}
        """
    )
    assert len(found) == 1
    assert found[0].startswith("w.yaml:4:15: intervals[1].forward: 'soon' is not a duration")


def test_ready_to_run_refuses_with_every_problem() -> None:
    """A broken file raises every line at once; a valid one beyond the profile, the verdict first."""
    broken = check_text("name: T\nintervals:\n  - {backward: 8:00, speed: 2, labl: x}\n", "w.yaml")
    with pytest.raises(WorkoutErrors) as caught:
        broken.ready_to_run()
    assert [p.location.path for p in caught.value.problems if p.location] == [
        "intervals[0].backward",
        "intervals[0].labl",
    ]
    beyond = check_text("name: T\nintervals:\n  - {backward: 8:00, speed: 2}\n", "w.yaml")
    with pytest.raises(SafetyError) as refused:
        beyond.ready_to_run()
    assert str(refused.value).splitlines() == [
        'w.yaml: beyond standard, the default; OK under advanced; run it with --profile advanced or set profile = "advanced" in config.toml',
        "w.yaml:3:5: intervals[0].backward: backward bout of 8:00 is longer than the standard limit of 6:00 (allowed by advanced)",
    ]
    plan, profile = check_text(
        "name: T\nintervals:\n  - {backward: 8:00, speed: 2}\n", "w.yaml", profile="advanced"
    ).ready_to_run()
    assert (len(plan.steps), profile.name) == (1, "advanced")


KEYS = ["forward", "backward", "rest", "repeat", "intervals", "speed", "incline", "turn", "mode"]
KEYS += ["confirm", "window", "profile", "countdown", "name", "from", "to", "sped"]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    st.sampled_from(["5:00", "10s", "400m", "slow", "advanced", "2.5 mph", "-3", "", "1h"]),
    st.just({"mode": "slow", "confirm": False}),
    st.just([{"forward": "1:00", "speed": 3}]),
)


def poke(node: object, draw: st.DrawFn) -> None:
    """Change one place of a workout's data: a key set to junk, a key removed, or deeper."""
    if isinstance(node, dict):
        choice = draw(st.integers(0, 2))
        if choice == 0 or not node:
            node[draw(st.sampled_from(KEYS))] = draw(VALUES)
        elif choice == 1:
            del node[draw(st.sampled_from(sorted(node)))]
        else:
            poke(node[draw(st.sampled_from(sorted(node)))], draw)
    elif isinstance(node, list) and node:
        poke(node[draw(st.integers(0, len(node) - 1))], draw)


@settings(max_examples=150, deadline=None)
@given(workouts, st.data(), st.sampled_from([None, "beginner", "advanced", "supervised"]))
def test_any_broken_workout_is_checked_to_the_end(
    data: dict[str, Any], draw: st.DataObject, profile: str | None
) -> None:
    """However a workout is broken, the whole check ends in located lines, never a crash."""
    for _ in range(draw.draw(st.integers(1, 4))):
        poke(data, draw.draw)
    try:
        checked = check_text(yaml.safe_dump(data, sort_keys=False), "m.yaml", profile=profile)
    except WorkoutError as exc:  # the document itself could not be read
        lines = exc.render().splitlines()
    else:
        lines = [p.render() for p in checked.problems()]
        assert checked.verdict()
        refusal: Exception | None = None
        try:
            checked.ready_to_run()
        except (WorkoutError, SafetyError) as exc:
            refusal = exc
        assert refusal is None or str(refusal).strip()
    assert all(line.startswith("m.yaml") for line in lines)
