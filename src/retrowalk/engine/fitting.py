"""Fit a plan to one machine: every target on its grid, inside its range, under the caps.

Every treadmill console rounds to its own steps, and so does this (the default): a target inside
the machine's range goes to the nearest step of its grid, never above the safety profile's cap
for the step's direction (then the step below). A target outside the range refuses the plan with
a CapabilityError naming each step and the machine's range, unless the person asked to clamp;
then it goes to the nearest edge. A machine whose lowest speed is above the cap for a direction
the workout walks is refused either way: nobody walks backward faster than their profile allows.
Every changed target is one `FitChange`, shown before the start as one line in the person's
units ("fitted to this treadmill: step 2 (forward, ...): speed 2.50 -> 2.49 mph").
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from retrowalk.device.grid import snap_incline, snap_speed
from retrowalk.errors import CapabilityError
from retrowalk.units import speed_in, speed_unit
from retrowalk.workout.plan import Direction, Plan, SpeedTarget, Step

if TYPE_CHECKING:
    from retrowalk.device.api import Capabilities
    from retrowalk.units import UnitSystem
    from retrowalk.workout.safety import SafetyProfile

_EPS = 1e-6


def _describe(step: Step) -> str:
    label = f" '{step.label}'" if step.label else ""
    return f"step {step.index + 1} ({step.direction.value}{label}, {step.path})"


@dataclasses.dataclass(frozen=True)
class FitChange:
    """One target changed to fit the machine: km/h for speeds, % for inclines."""

    step: Step
    what: str  # "speed", "ramp start speed", "ramp end speed" or "incline"
    before: float
    after: float
    why: str = ""  # beside the new value: "no incline"

    @property
    def is_speed(self) -> bool:
        """Return whether this is a speed (else an incline)."""
        return self.what != "incline"

    def text(self, units: UnitSystem = "metric") -> str:
        """Return the line a person reads, speeds in `units`."""
        if self.is_speed and units == "imperial":  # mph between the grid's steps: 2 decimals
            before, after = speed_in(self.before, units), speed_in(self.after, units)
            change = f"{before:.2f} -> {after:.2f} {speed_unit(units)}"
        elif self.is_speed:
            change = f"{self.before:.3g} -> {self.after:g} km/h"
        else:
            change = f"{self.before:g} -> {self.after:g} %"
        why = f" ({self.why})" if self.why else ""
        return f"{_describe(self.step)}: {self.what} {change}{why}"


class _Fitter:
    """Collects what cannot run (refusals), what needs --clamp (problems) and what changed."""

    def __init__(self, caps: Capabilities, profile: SafetyProfile, *, clamp: bool) -> None:
        self.caps = caps
        self.profile = profile
        self.clamp = clamp
        self.refusals: list[str] = []
        self.problems: list[str] = []
        self.changes: list[FitChange] = []

    def speed(self, step: Step, what: str, value: float) -> float:
        rng = self.caps.speed_range
        if rng is None or value <= 0:
            return value
        cap = self.profile.max_speed_kmh(step.direction)
        if cap is not None and rng.minimum_kmh > cap + _EPS:
            self.refusals.append(
                f"{_describe(step)}: the treadmill's lowest speed {rng.minimum_kmh:g} km/h is "
                f"above the {self.profile.name} limit of {cap:g} km/h for walking "
                f"{step.direction.value}"
            )
            return value
        span = (
            f"the machine takes {rng.minimum_kmh:g}-{rng.maximum_kmh:g} km/h "
            f"in steps of {rng.increment_kmh:g}"
        )
        inside = rng.minimum_kmh - _EPS <= value <= rng.maximum_kmh + _EPS
        if not inside and not self.clamp:
            self.problems.append(f"{_describe(step)}: {what} {value:.3g} km/h does not fit: {span}")
            return value
        fitted = snap_speed(value, rng)
        if cap is not None and fitted > cap + _EPS:
            # The nearest step would break the safety profile: take the step below instead.
            fitted = snap_speed(max(rng.minimum_kmh, fitted - rng.increment_kmh), rng)
        if abs(fitted - value) > _EPS:
            self.changes.append(FitChange(step, what, value, fitted))
        return fitted

    def incline(self, step: Step, value: float) -> float:
        rng = self.caps.incline_range
        settable = self.caps.can_set_incline or not self.caps.has_control_point
        if rng is None or not settable:
            if abs(value) < _EPS or not self.caps.has_control_point:
                return value
            if not self.clamp:
                self.problems.append(
                    f"{_describe(step)}: incline {value:g} % does not fit: "
                    "the machine cannot set an incline"
                )
                return value
            self.changes.append(FitChange(step, "incline", value, 0.0, "no incline"))
            return 0.0
        span = (
            f"the machine takes {rng.minimum_pct:g}-{rng.maximum_pct:g} % "
            f"in steps of {rng.increment_pct:g}"
        )
        inside = rng.minimum_pct - _EPS <= value <= rng.maximum_pct + _EPS
        if not inside and not self.clamp:
            self.problems.append(f"{_describe(step)}: incline {value:g} % does not fit: {span}")
            return value
        fitted = snap_incline(value, rng)
        cap = self.profile.max_incline_pct(step.direction)
        if cap is not None and fitted > cap + _EPS:
            fitted = snap_incline(max(rng.minimum_pct, fitted - rng.increment_pct), rng)
        if step.direction == Direction.BACKWARD and fitted < 0:
            fitted = snap_incline(fitted + rng.increment_pct, rng)  # never backward downhill
        if abs(fitted - value) > _EPS:
            self.changes.append(FitChange(step, "incline", value, fitted))
        return fitted


def fit_plan(
    plan: Plan, caps: Capabilities, profile: SafetyProfile, *, clamp: bool
) -> tuple[Plan, list[FitChange]]:
    """Return the plan fitted to the machine and each changed target.

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
    if fitter.refusals:
        lines = "\n".join(f"  {p}" for p in fitter.refusals + fitter.problems)
        raise CapabilityError(
            f"the workout {plan.name!r} cannot run safely on {caps.name}:\n{lines}\n"
            "Choose another treadmill or a workout for a higher profile."
        )
    if fitter.problems:
        lines = "\n".join(f"  {p}" for p in fitter.problems)
        raise CapabilityError(
            f"the workout {plan.name!r} does not fit {caps.name}:\n{lines}\n"
            "Choose another workout, or run with --clamp to fit each target to the machine."
        )
    return dataclasses.replace(plan, steps=tuple(steps)), fitter.changes
