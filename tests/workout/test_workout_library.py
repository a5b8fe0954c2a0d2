"""The bundled library: every workout the reference lists, valid under its declared profile."""

from __future__ import annotations

import itertools
from pathlib import Path

import jsonschema
import pytest

from retrowalk.errors import SafetyError, WorkoutError
from retrowalk.workout import build_plan, check_file, load_plan, load_workout
from retrowalk.workout.library import find_workout, library_dir, library_names
from retrowalk.workout.model import workout_json_schema
from retrowalk.workout.source import parse_tree

EXPECTED = {
    "retro-intro",
    "knee-friendly-retro-10",
    "ankle-incline-retro",
    "steady-balance-retro",
    "retro-cardio-intervals",
    "hamstring-low-back-retro",
    "retro-hill-20",
    *(f"retro-6-week-starter-week{n}" for n in range(1, 7)),
}
FILES = sorted(library_dir().glob("*.yaml"))


def test_library_holds_every_listed_workout() -> None:
    """The library has the reference's workouts, the 6-week starter as six weekly files."""
    assert set(library_names()) == EXPECTED
    assert library_dir() == Path(__file__).resolve().parents[2] / "workouts"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_workout_is_valid_under_its_declared_profile_and_cites_evidence(path: Path) -> None:
    """Each file loads, cites evidence, and fits the profile it declares, turns included."""
    workout = load_workout(path)
    assert workout.evidence, "a library workout cites its evidence"
    assert workout.description
    checked = check_file(path, profile=workout.profile)
    assert checked.problems() == []
    plan, profile = checked.ready_to_run()
    assert profile.name == workout.profile
    assert plan.totals.backward_s > 0


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_declared_profile_is_the_least_it_needs(path: Path) -> None:
    """A workout declaring beginner, standard or advanced fits no tighter one of the three."""
    checked = check_file(path)
    ladder = ["beginner", "standard", "advanced"]
    if checked.declared in ladder:
        tighter = ladder[: ladder.index(checked.declared)]
        assert not set(tighter) & set(checked.fits), checked.fits
    assert checked.declared in checked.fits


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_schema_accepts_each_library_file(path: Path) -> None:
    """`retrowalk schema` accepts every library file as an editor reads it (YAML 1.2 scalars)."""
    data = parse_tree(path.read_text(encoding="utf-8"), str(path)).data
    jsonschema.Draft202012Validator(workout_json_schema()).validate(data)


def test_six_week_starter_changes_one_thing_a_week() -> None:
    """Week to week the starter changes bout length or speed, and ends at 2 x 10 min backward."""
    plans = [
        build_plan(load_workout(find_workout(f"retro-6-week-starter-week{n}"))) for n in range(1, 7)
    ]
    shapes: list[tuple[int, float, float]] = []
    for plan in plans:
        backward = [s for s in plan.steps if s.direction == "backward"]
        assert backward
        assert all(s.incline_pct == 0 for s in backward)
        speeds = {s.speed.start_kmh for s in backward if s.speed is not None}
        assert len(speeds) == 1
        shapes.append((len(backward), backward[0].planned_s, speeds.pop()))
    assert shapes[0] == (3, 120.0, 2.0)
    assert shapes[-1] == (2, 600.0, 2.5)
    for before, after in itertools.pairwise(shapes):
        changed = [i for i in (1, 2) if before[i] != after[i]]
        assert len(changed) == 1, (before, after)
        assert after[1] * after[0] >= before[1] * before[0]  # backward time never drops


def test_find_workout_by_name_or_path() -> None:
    """A library name or a path resolves to the file; anything else lists the library."""
    assert find_workout("retro-intro") == library_dir() / "retro-intro.yaml"
    assert find_workout("retro-intro.yaml") == library_dir() / "retro-intro.yaml"
    assert find_workout(str(FILES[0])) == FILES[0]
    with pytest.raises(WorkoutError) as caught:
        find_workout("retro-extreme")
    assert str(caught.value).startswith(
        "retro-extreme: no such file, and not a library workout; library workouts: "
        "ankle-incline-retro, hamstring-low-back-retro, "
    )


def test_load_plan_checks_against_the_chosen_profile() -> None:
    """load_plan refuses a workout beyond the chosen profile and accepts it under a wider one."""
    path = find_workout("retro-hill-20")
    with pytest.raises(SafetyError):
        load_plan(path)  # standard, the default
    plan = load_plan(path, profile="advanced", body_mass_kg=80)
    assert plan.totals.body_mass_kg == 80
    assert plan.profile == "advanced"
