"""Workout format, loading, planning, safety profiles and energy estimate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrowalk.workout.check import CheckedWorkout, check_file, check_text
from retrowalk.workout.load import load_workout, parse_workout
from retrowalk.workout.plan import Direction, Plan, Step, Transition
from retrowalk.workout.planner import build_plan
from retrowalk.workout.profiles import ProfileChoice, choose_profile
from retrowalk.workout.safety import PROFILES, SafetyProfile, check_plan, get_profile

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "PROFILES",
    "CheckedWorkout",
    "Direction",
    "Plan",
    "ProfileChoice",
    "SafetyProfile",
    "Step",
    "Transition",
    "build_plan",
    "check_file",
    "check_plan",
    "check_text",
    "choose_profile",
    "get_profile",
    "load_plan",
    "load_workout",
    "parse_workout",
]


def load_plan(path: Path, *, profile: str = "standard", body_mass_kg: float | None = None) -> Plan:
    """Load, plan and check the workout at `path` against the safety profile named `profile`.

    Raises WorkoutErrors (every problem of a broken file) or SafetyError (beyond `profile`).
    """
    plan, _ = check_file(path, profile=profile, body_mass_kg=body_mass_kg).ready_to_run()
    return plan
