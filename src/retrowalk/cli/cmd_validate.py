"""`retrowalk validate FILE...`: check workouts against the format and a safety profile.

Without --profile each file is checked against the profile it declares (the least it needs),
so the whole library validates; with --profile P every file is checked against P, the profile
the person will run with. Each good file gets a plan summary table (exit 0). Each problem
prints as one line, `FILE:LINE:COL: path: message`, on stderr, and the command exits 2.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from retrowalk.workout.plan import Plan

PROFILE_NAMES = ("beginner", "standard", "advanced", "supervised")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk validate`."""
    p = subparsers.add_parser(
        "validate",
        help="check workout files and show their plan summary",
        description="Check each workout FILE (or library name) against the format and the "
        "safety profile; print a plan summary per file, or one line per problem (exit 2).",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="workout file or library name")
    p.add_argument(
        "--profile",
        metavar="P",
        help=f"safety profile you will run with: {', '.join(PROFILE_NAMES)} "
        "(default: the profile each workout declares)",
    )
    p.add_argument("--weight", type=float, metavar="KG", help="body mass for the energy estimate")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate every file; return 0 when all pass, 2 otherwise."""
    from retrowalk.errors import EXIT_BAD_INPUT, WorkoutError, WorkoutErrors  # noqa: PLC0415
    from retrowalk.workout import build_plan, load_workout  # noqa: PLC0415 - keep --help fast
    from retrowalk.workout.library import find_workout  # noqa: PLC0415
    from retrowalk.workout.load import location_of  # noqa: PLC0415
    from retrowalk.workout.safety import get_profile, profiles_allowing, violations  # noqa: PLC0415

    chosen = get_profile(args.profile) if args.profile is not None else None
    failed = 0
    for name in args.files:
        problems: list[str] = []
        try:
            workout = load_workout(find_workout(name))
            plan = build_plan(workout, body_mass_kg=args.weight)
        except WorkoutErrors as exc:
            problems = [p.render() for p in exc.problems]
        except WorkoutError as exc:
            problems = [exc.render()]
        else:
            profile = chosen or get_profile(plan.profile)
            problems = violations(plan, profile)
            fits = profiles_allowing(plan)
            if plan.profile not in fits:
                where = location_of(workout, "profile")
                problems.append(
                    f"{where}: profile: declares {plan.profile!r} but goes beyond it; "
                    f"profiles that allow this workout: {', '.join(fits) or 'none'}"
                )
        if problems:
            failed += 1
            for line in problems:
                print(line, file=sys.stderr)
            continue
        print(summary(plan, profile.name))
    if failed:
        against = f"the {chosen.name} profile" if chosen else "the profiles they declare"
        print(
            f"retrowalk: {failed} of {len(args.files)} file(s) have problems "
            f"(checked against {against})",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    return 0


def summary(plan: Plan, profile: str) -> str:
    """Return the plan summary table of one workout."""
    from retrowalk.units import format_distance, format_duration  # noqa: PLC0415

    t = plan.totals
    backward_steps = sum(1 for s in plan.steps if s.direction == "backward")
    mass = f"{t.body_mass_kg:g} kg" + (" (default; set --weight)" if t.body_mass_is_default else "")
    rows = [
        ("workout", plan.name),
        ("profile", f"needs {plan.profile}; checked against {profile}: OK"),
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
