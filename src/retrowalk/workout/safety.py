"""Safety profiles (docs/reference/retro-walking.md) and the check of a plan against one.

The person chooses the active profile (default standard). A plan beyond it is refused before the
belt moves, with every violation listed: where, which interval, the value, the limit, and which
profiles would allow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from retrowalk.errors import ConfigError, SafetyError, did_you_mean
from retrowalk.units import format_duration
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from retrowalk.workout.plan import Plan, Step


@dataclass(frozen=True)
class SafetyProfile:
    """Limits a workout must stay within; None means no limit beyond the format's."""

    name: str
    backward_speed_min_kmh: float
    backward_speed_max_kmh: float
    backward_incline_max_pct: float
    backward_bout_max_s: float
    forward_speed_max_kmh: float | None = None
    forward_incline_max_pct: float | None = None

    def max_speed_kmh(self, direction: Direction) -> float | None:
        """Return the highest speed allowed in `direction` (None: no profile limit)."""
        if direction is Direction.BACKWARD:
            return self.backward_speed_max_kmh
        if direction is Direction.FORWARD:
            return self.forward_speed_max_kmh
        return 0.0

    def max_incline_pct(self, direction: Direction) -> float | None:
        """Return the highest incline allowed in `direction` (None: no profile limit)."""
        if direction is Direction.BACKWARD:
            return self.backward_incline_max_pct
        if direction is Direction.FORWARD:
            return self.forward_incline_max_pct
        return None


PROFILES: dict[str, SafetyProfile] = {
    p.name: p
    for p in (
        SafetyProfile("beginner", 1.0, 3.0, 0.0, 180.0),
        SafetyProfile("standard", 1.0, 4.5, 5.0, 360.0),
        SafetyProfile("advanced", 1.0, 6.0, 10.0, 600.0),
        SafetyProfile("supervised", 0.5, 2.5, 0.0, 120.0, 4.0, 5.0),
    )
}
DEFAULT_PROFILE = "standard"


def get_profile(name: str) -> SafetyProfile:
    """Return the profile called `name`; ConfigError naming the allowed names otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        allowed = ", ".join(PROFILES)
        hint = did_you_mean(name, PROFILES)
        raise ConfigError(
            f"unknown safety profile {name!r}{hint}; choose one of {allowed}"
        ) from None


@dataclass(frozen=True)
class _Finding:
    """One way a step goes beyond a profile: `value` against the profile's `limit`."""

    step: Step
    field: str
    text: str
    value: float
    limit: Callable[[SafetyProfile], float | None]
    is_minimum: bool = False

    def allows(self, profile: SafetyProfile) -> bool:
        """Return whether `profile` allows the value."""
        limit = self.limit(profile)
        if limit is None:
            return True
        return self.value >= limit if self.is_minimum else self.value <= limit


def violations(plan: Plan, profile: SafetyProfile) -> list[str]:
    """Return one line per way `plan` goes beyond `profile` (empty when it fits)."""
    lines: list[str] = []
    for finding in _findings(plan, profile):
        others = [p.name for p in PROFILES.values() if finding.allows(p)]
        allowed = f"allowed by {', '.join(others)}" if others else "no profile allows it"
        where = f"{finding.step.location.file}"
        if finding.step.location.line is not None:
            where += f":{finding.step.location.line}:{finding.step.location.column}"
        line = f"{where}: {finding.step.path}.{finding.field}: {finding.text} ({allowed})"
        if line not in lines:  # repeated steps report once
            lines.append(line)
    return lines


def profiles_allowing(plan: Plan) -> list[str]:
    """Return the names of the profiles the whole plan fits."""
    return [name for name, profile in PROFILES.items() if not violations(plan, profile)]


def check_plan(plan: Plan, profile: SafetyProfile) -> None:
    """Raise SafetyError listing every violation if `plan` goes beyond `profile`."""
    found = violations(plan, profile)
    if found:
        fits = profiles_allowing(plan)
        advice = (
            f"choose --profile {' or '.join(fits)} if that suits you, or change the workout"
            if fits
            else "change the workout"
        )
        message = (
            f"{plan.source}: beyond the '{profile.name}' safety profile; {advice}:\n"
            + "\n".join(found)
        )
        raise SafetyError(message, violations=found)


def _findings(plan: Plan, profile: SafetyProfile) -> Iterator[_Finding]:
    name = profile.name
    bout_s = 0.0
    for step in plan.steps:
        bout_s = bout_s + step.planned_s if step.direction is Direction.BACKWARD else 0.0
        if step.direction is Direction.REST or step.speed is None:
            continue
        direction = step.direction
        top = step.speed.max_kmh
        low = min(step.speed.start_kmh, step.speed.end_kmh)
        speed_cap = partial(SafetyProfile.max_speed_kmh, direction=direction)
        cap = speed_cap(profile)
        if cap is not None and top > cap:
            text = f"{direction} speed {top:g} km/h is above the {name} limit of {cap:g} km/h"
            yield _Finding(step, "speed", text, top, speed_cap)
        if direction is Direction.BACKWARD and low < profile.backward_speed_min_kmh:
            text = (
                f"backward speed {low:g} km/h is below the {name} minimum of "
                f"{profile.backward_speed_min_kmh:g} km/h"
            )
            yield _Finding(step, "speed", text, low, _backward_min, is_minimum=True)
        incline_cap = partial(SafetyProfile.max_incline_pct, direction=direction)
        cap = incline_cap(profile)
        if cap is not None and step.incline_pct > cap:
            text = (
                f"{direction} incline {step.incline_pct:g} % is above the {name} limit of {cap:g} %"
            )
            yield _Finding(step, "incline", text, step.incline_pct, incline_cap)
        if direction is Direction.BACKWARD and bout_s > profile.backward_bout_max_s:
            text = (
                f"backward bout of {format_duration(bout_s)} is longer than the {name} limit "
                f"of {format_duration(profile.backward_bout_max_s)}"
            )
            yield _Finding(step, "backward", text, bout_s, _bout_max)


def _backward_min(profile: SafetyProfile) -> float:
    return profile.backward_speed_min_kmh


def _bout_max(profile: SafetyProfile) -> float:
    return profile.backward_bout_max_s
