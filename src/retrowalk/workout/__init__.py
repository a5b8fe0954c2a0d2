"""Workout format, loading, planning, safety profiles and energy estimate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrowalk.workout.load import load_workout, parse_workout
from retrowalk.workout.plan import Direction, Plan, Step, Transition, build_plan
from retrowalk.workout.safety import PROFILES, SafetyProfile, check_plan, get_profile

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "PROFILES",
    "Direction",
    "Plan",
    "SafetyProfile",
    "Step",
    "Transition",
    "build_plan",
    "check_plan",
    "get_profile",
    "load_plan",
    "load_workout",
    "parse_workout",
]


def load_plan(path: Path, *, profile: str = "standard", body_mass_kg: float | None = None) -> Plan:
    """Load, plan and check the workout at `path` against the safety profile named `profile`."""
    active = get_profile(profile)
    plan = build_plan(load_workout(path), body_mass_kg=body_mass_kg)
    check_plan(plan, active)
    return plan
