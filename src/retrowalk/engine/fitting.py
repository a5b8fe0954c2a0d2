"""Fit a plan to one machine: every target inside its ranges and on its increments.

A target the machine cannot take exactly (outside its range, or between two of its increments)
refuses the plan with a CapabilityError naming each step and the machine's range, unless the
person asked to clamp; then each changed target becomes one warning line, and a fitted target
never rises above the safety profile's cap for the step's direction.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

from retrowalk.errors import CapabilityError
from retrowalk.ftms.control_point import quantize
from retrowalk.workout.plan import Direction, Plan, SpeedTarget, Step

if TYPE_CHECKING:
    from retrowalk.device.api import Capabilities
    from retrowalk.workout.safety import SafetyProfile

_EPS = 1e-6


def _on_grid(value: float, minimum: float, increment: float) -> bool:
    """Return whether `value` is on the machine's grid `minimum + k * increment`."""
    if increment <= 0:
        return True
    ratio = (value - minimum) / increment
    return math.isclose(ratio, round(ratio), abs_tol=1e-6)


def _describe(step: Step) -> str:
    label = f" '{step.label}'" if step.label else ""
    return f"step {step.index + 1} ({step.direction.value}{label}, {step.path})"


class _Fitter:
    """Collects problems (refuse) or changes (clamp) while fitting each target."""

    def __init__(self, caps: Capabilities, profile: SafetyProfile, *, clamp: bool) -> None:
        self.caps = caps
        self.profile = profile
        self.clamp = clamp
        self.problems: list[str] = []
        self.changes: list[str] = []

    def speed(self, step: Step, what: str, value: float) -> float:
        rng = self.caps.speed_range
        if rng is None or value <= 0:
            return value
        span = (
            f"the machine takes {rng.minimum_kmh:g}-{rng.maximum_kmh:g} km/h "
            f"in steps of {rng.increment_kmh:g}"
        )
        inside = rng.minimum_kmh - _EPS <= value <= rng.maximum_kmh + _EPS
        if inside and _on_grid(value, rng.minimum_kmh, rng.increment_kmh):
            return value
        if not self.clamp:
            self.problems.append(f"{_describe(step)}: {what} {value:g} km/h does not fit: {span}")
            return value
        fitted = quantize(
            value,
            increment=rng.increment_kmh,
            minimum=rng.minimum_kmh,
            maximum=rng.maximum_kmh,
        )
        cap = self.profile.max_speed_kmh(step.direction)
        if cap is not None and fitted > cap + _EPS and fitted > value:
            # Rounding up would break the safety profile: take the increment below instead.
            fitted = max(rng.minimum_kmh, fitted - rng.increment_kmh)
        self.changes.append(f"{_describe(step)}: {what} {value:g} km/h -> {fitted:g} km/h ({span})")
        return fitted

    def incline(self, step: Step, value: float) -> float:
        rng = self.caps.incline_range
        settable = self.caps.can_set_incline or not self.caps.has_control_point
        if rng is None:
            if abs(value) < _EPS or not self.caps.has_control_point:
                return value
            if not self.clamp:
                self.problems.append(
                    f"{_describe(step)}: incline {value:g} % does not fit: "
                    "the machine cannot set an incline"
                )
                return value
            self.changes.append(
                f"{_describe(step)}: incline {value:g} % -> 0 % (the machine has no incline)"
            )
            return 0.0
        span = (
            f"the machine takes {rng.minimum_pct:g}-{rng.maximum_pct:g} % "
            f"in steps of {rng.increment_pct:g}"
        )
        inside = rng.minimum_pct - _EPS <= value <= rng.maximum_pct + _EPS
        if settable and inside and _on_grid(value, rng.minimum_pct, rng.increment_pct):
            return value
        if not self.clamp:
            self.problems.append(f"{_describe(step)}: incline {value:g} % does not fit: {span}")
            return value
        fitted = quantize(
            value, increment=rng.increment_pct, minimum=rng.minimum_pct, maximum=rng.maximum_pct
        )
        cap = self.profile.max_incline_pct(step.direction)
        if cap is not None and fitted > cap + _EPS and fitted > value:
            fitted = max(rng.minimum_pct, fitted - rng.increment_pct)
        if step.direction == Direction.BACKWARD and fitted < 0:
            fitted = 0.0  # never backward downhill
        self.changes.append(f"{_describe(step)}: incline {value:g} % -> {fitted:g} % ({span})")
        return fitted


def fit_plan(
    plan: Plan, caps: Capabilities, profile: SafetyProfile, *, clamp: bool
) -> tuple[Plan, list[str]]:
    """Return the plan fitted to the machine and one line per changed target.

    Raises CapabilityError listing every target that does not fit when `clamp` is False.
    """
    fitter = _Fitter(caps, profile, clamp=clamp)
    steps: list[Step] = []
    for step in plan.steps:
        speed = step.speed
        if speed is not None and step.direction != Direction.REST:
            if speed.is_ramp:
                start = fitter.speed(step, "ramp start speed", speed.start_kmh)
                end = fitter.speed(step, "ramp end speed", speed.end_kmh)
            else:
                start = end = fitter.speed(step, "speed", speed.start_kmh)
            speed = SpeedTarget(start, end)
        incline = fitter.incline(step, step.incline_pct)
        steps.append(dataclasses.replace(step, speed=speed, incline_pct=incline))
    if fitter.problems:
        lines = "\n".join(f"  {p}" for p in fitter.problems)
        raise CapabilityError(
            f"the workout {plan.name!r} does not fit {caps.name}:\n{lines}\n"
            "Choose another workout, or run with --clamp to fit each target to the machine."
        )
    return dataclasses.replace(plan, steps=tuple(steps)), fitter.changes
