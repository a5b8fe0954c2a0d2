"""A workout file checked completely: format, size, turn rules and safety profile, all at once.

`validate`, `show` and `run` all start here, so they agree on the profile (workout/profiles.py,
`choose_profile`) and say the same sentence about it. A YAML syntax error stops the check (the
rest of the file cannot be read); every other problem is collected, each with file:line:col:
the format's, the size limits', and the profile's, the latter also from the valid parts of a
file with format problems (workout/salvage.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.errors import WorkoutError, WorkoutErrors
from retrowalk.workout.load import in_file_order, validate_tree
from retrowalk.workout.planner import build_plan
from retrowalk.workout.profiles import ProfileChoice, SafetyProfile, choose_profile, get_profile
from retrowalk.workout.safety import Review, refusal
from retrowalk.workout.salvage import salvage
from retrowalk.workout.size import size_problem
from retrowalk.workout.source import SourceTree, decode, parse_tree, read_text

if TYPE_CHECKING:
    from pathlib import Path

    from retrowalk.workout.model import Workout
    from retrowalk.workout.plan import Plan


@dataclass(frozen=True)
class CheckedWorkout:
    """One workout file after every check; what each command shows or refuses comes from here.

    `workout` and `plan` are None when the file has a format problem; `review` holds the
    profile findings of the plan of its valid parts (workout/salvage.py), or of the workout.
    """

    source: str
    choice: ProfileChoice
    workout: Workout | None
    plan: Plan | None
    format_problems: tuple[WorkoutError, ...]
    review: Review | None  # None when not even a salvaged plan could be built
    fits: tuple[str, ...]  # the profiles the plan fits (empty without a valid plan)

    @property
    def declared(self) -> str:
        """Return the profile the workout declares (standard when it declares none)."""
        return self.choice.declared

    def verdict(self) -> str:
        """Return the profile sentence `validate`, `show` and `run` say about this workout."""
        if self.workout is None:
            return "not checked against a profile until the problems above are fixed"
        return self.choice.verdict(self.fits)

    def problems(self) -> list[WorkoutError]:
        """Return every problem of the file, in file order (what `validate` and `show` report).

        Without a chosen profile the file is held to the profile it declares: a workout that
        fits a declared `advanced` is a good file, and its verdict says how to run it.
        """
        found = list(self.format_problems)
        if self.review is not None:
            held_to = self.choice.profile if self.choice.chosen else get_profile(self.declared)
            found += self.review.problems(held_to)
        declaration = self._declaration()
        if declaration is not None:
            found.append(declaration)
        return in_file_order(found)

    def ready_to_run(self) -> tuple[Plan, SafetyProfile]:
        """Return the plan and the profile to run it under; raise if it may not run so.

        WorkoutErrors lists every problem of a broken file; SafetyError the verdict and every
        way the plan goes beyond the chosen profile.
        """
        profile = self.choice.profile
        beyond = self.review.problems(profile) if self.review is not None else []
        if self.format_problems or self.plan is None:
            raise WorkoutErrors(in_file_order([*self.format_problems, *beyond]))
        if beyond:
            raise refusal(self.plan, self.choice, beyond, list(self.fits))
        return self.plan, profile

    def _declaration(self) -> WorkoutError | None:
        """Return the problem of a declared profile the valid workout goes beyond."""
        if self.workout is None or self.declared in self.fits:
            return None
        others = ", ".join(self.fits) or "none"
        if "profile" in self.workout.model_fields_set:
            message = f"declares {self.declared!r} but goes beyond it"
        else:
            message = f"none declared, so {self.declared!r}, which the workout goes beyond"
        return WorkoutError(
            f"{message}; profiles that allow this workout: {others}",
            self.workout.locate("profile"),
        )


def check_file(
    path: Path,
    *,
    profile: str | None = None,
    config_profile: str | None = None,
    body_mass_kg: float | None = None,
) -> CheckedWorkout:
    """Check the workout file at `path` (a YAML syntax error or unreadable file raises).

    `profile` is the person's --profile, `config_profile` the profile in config.toml.
    """
    tree = parse_tree(read_text(path), str(path))
    return check_tree(
        tree, profile=profile, config_profile=config_profile, body_mass_kg=body_mass_kg
    )


def check_text(
    text: str | bytes,
    source: str = "<workout>",
    *,
    profile: str | None = None,
    config_profile: str | None = None,
    body_mass_kg: float | None = None,
) -> CheckedWorkout:
    """Check a workout given as text; `source` names it in messages."""
    if isinstance(text, bytes):
        text = decode(text, source)
    return check_tree(
        parse_tree(text, source),
        profile=profile,
        config_profile=config_profile,
        body_mass_kg=body_mass_kg,
    )


def check_tree(
    tree: SourceTree,
    *,
    profile: str | None = None,
    config_profile: str | None = None,
    body_mass_kg: float | None = None,
) -> CheckedWorkout:
    """Check a parsed document: format, size, then the profile, on the valid parts at least."""
    workout, format_problems = validate_tree(tree)
    salvaged = workout if workout is not None else salvage(tree)
    declared = salvaged.profile if salvaged is not None else "standard"
    choice = choose_profile(declared, option=profile, config=config_profile)
    review = None
    if salvaged is not None and (workout is not None or size_problem(salvaged) is None):
        review = Review(build_plan(salvaged, body_mass_kg=body_mass_kg), salvaged)
    valid = review if workout is not None else None
    return CheckedWorkout(
        source=tree.file,
        choice=choice,
        workout=workout,
        plan=valid.plan if valid is not None else None,
        format_problems=tuple(format_problems),
        review=review,
        fits=tuple(valid.fits()) if valid is not None else (),
    )
