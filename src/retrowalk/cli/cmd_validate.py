"""`retrowalk validate FILE...`: check workouts against the format and a safety profile.

Each file is checked completely (workout/check.py): format, size, turn rules and the safety
profile, every problem at once. The profile is the one rule `show` and `run` share
(workout/profiles.py): --profile, else `profile` in config.toml, else the profile each workout
declares; a workout that fits a declared `advanced` is a good file, and its profile line says
what `run` will say: "run it with --profile advanced". Each good file gets a plan summary table
(exit 0). Each problem prints as one line, `FILE:LINE:COL: path: message`, on stderr, and the
command exits 2.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from retrowalk.workout.check import CheckedWorkout

PROFILE_NAMES = ("beginner", "standard", "advanced", "supervised")  # here for a fast --help
PROFILE_HELP = (
    f"safety profile you will run with: {', '.join(PROFILE_NAMES)} (default: profile in "
    "config.toml, else the one the workout declares, never looser than standard for `run`)"
)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk validate`."""
    p = subparsers.add_parser(
        "validate",
        help="check workout files and show their plan summary",
        description="Check each workout FILE (or library name) against the format and the "
        "safety profile; print a plan summary per file, or one line per problem (exit 2).",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="workout file or library name")
    p.add_argument("--profile", metavar="P", help=PROFILE_HELP)
    p.add_argument("--weight", type=float, metavar="KG", help="body mass for the energy estimate")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate every file; return 0 when all pass, 2 otherwise."""
    from retrowalk.config import load_config  # noqa: PLC0415 - keep --help fast
    from retrowalk.errors import EXIT_BAD_INPUT, WorkoutError  # noqa: PLC0415
    from retrowalk.workout.check import check_file  # noqa: PLC0415
    from retrowalk.workout.energy import check_body_mass  # noqa: PLC0415
    from retrowalk.workout.library import find_workout  # noqa: PLC0415
    from retrowalk.workout.profiles import choose_profile  # noqa: PLC0415

    config_profile = load_config().profile
    # A wrong --profile, profile in config.toml or --weight is refused once, before any file.
    chosen = choose_profile("standard", option=args.profile, config=config_profile)
    if args.weight is not None:
        check_body_mass(args.weight, "--weight")
    failed = 0
    for name in args.files:
        try:
            checked = check_file(
                find_workout(name),
                profile=args.profile,
                config_profile=config_profile,
                body_mass_kg=args.weight,
            )
        except WorkoutError as exc:  # unreadable, or a YAML syntax error
            lines = exc.render().splitlines()
        else:
            problems = checked.problems()
            lines = [problem.render() for problem in problems]
            if problems and checked.workout is not None:
                lines.append(f"{checked.source}: {checked.verdict()}")
        if lines:
            failed += 1
            for line in lines:
                print(line, file=sys.stderr)
            continue
        print(summary(checked))
    if failed:
        against = (
            f"the {chosen.profile.name} profile" if chosen.chosen else "the profiles they declare"
        )
        print(
            f"retrowalk: {failed} of {len(args.files)} file(s) have problems "
            f"(checked against {against})",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    return 0


def summary(checked: CheckedWorkout) -> str:
    """Return the plan summary table of one good workout."""
    from retrowalk.units import format_distance, format_duration  # noqa: PLC0415

    plan = checked.plan
    assert plan is not None  # a good file has a plan
    t = plan.totals
    backward_steps = sum(1 for s in plan.steps if s.direction == "backward")
    mass = f"{t.body_mass_kg:g} kg" + (" (default; set --weight)" if t.body_mass_is_default else "")
    rows = [
        ("workout", plan.name),
        ("profile", f"needs {plan.profile}; {checked.verdict()}"),
        ("steps", f"{len(plan.steps)} ({backward_steps} backward)"),
        ("time", f"{format_duration(t.duration_with_turns_s)} with turns"),
        ("walking", format_duration(t.duration_s)),
        ("backward", format_duration(t.backward_s)),
        ("turns", str(t.turns)),
        ("distance", format_distance(t.distance_m)),
        ("energy", f"about {t.energy_kcal:.0f} kcal (estimate, +-25 %)"),
        ("body mass", mass),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{plan.source}: OK"]
    lines += [f"  {key:<{width}}  {value}" for key, value in rows]
    return "\n".join(lines)
