"""The check of a plan against a safety profile (the profiles themselves: workout/profiles.py).

A plan beyond the active profile is refused before the belt moves, with every violation listed:
where (file:line:col and the field), the value, the limit, and which profiles would allow it.
Speed and incline are checked in each direction, backward bouts as the intervals that add up to
them, turn-arounds by how they are done (slow, unconfirmed) and how long they are announced.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from typing import TYPE_CHECKING

from retrowalk.errors import SafetyError, SourceLocation, WorkoutError
from retrowalk.units import format_duration
from retrowalk.workout.plan import Direction, TurnMode
from retrowalk.workout.profiles import (
    DEFAULT_PROFILE,
    PROFILES,
    ProfileChoice,
    SafetyProfile,
    choose_profile,
    get_profile,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from retrowalk.workout.model import Interval, Workout
    from retrowalk.workout.plan import Plan, Step

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "ProfileChoice",
    "Review",
    "SafetyProfile",
    "check_plan",
    "choose_profile",
    "get_profile",
    "problems",
    "profiles_allowing",
    "refusal",
    "violations",
]


_Limit = Callable[["SafetyProfile", Direction], "float | None"]


@dataclass(frozen=True)
class _Finding:
    """A value of the plan beyond at least one profile.

    `allows` says whether a profile accepts it, `describe` words it for a profile it goes
    beyond, and `where` locates it (computed only for a finding that is reported).
    """

    where: Callable[[], SourceLocation]
    allows: Callable[[SafetyProfile], bool]
    describe: Callable[[SafetyProfile], str]


class Review:
    """Every value of one plan that some profile does not allow, found in one pass.

    `problems(profile)` words them for one profile, `fits()` names the profiles that allow
    them all; `workout` (the plan's source) lets turn problems point at the `turn:` that set
    them.
    """

    def __init__(self, plan: Plan, workout: Workout | None = None) -> None:
        self.plan = plan
        self._findings = list(_findings(plan, workout))

    def problems(self, profile: SafetyProfile) -> list[WorkoutError]:
        """Return one located problem per way the plan goes beyond `profile` (empty: fits)."""
        found: list[WorkoutError] = []
        seen: set[str] = set()
        for finding in self._findings:
            if finding.allows(profile):
                continue
            others = [p.name for p in PROFILES.values() if finding.allows(p)]
            allowed = f"allowed by {', '.join(others)}" if others else "no profile allows it"
            problem = WorkoutError(f"{finding.describe(profile)} ({allowed})", finding.where())
            line = problem.render()
            if line not in seen:  # a repeated step reports once
                seen.add(line)
                found.append(problem)
        return found

    def fits(self) -> list[str]:
        """Return the names of the profiles the whole plan fits."""
        return [
            name
            for name, profile in PROFILES.items()
            if all(finding.allows(profile) for finding in self._findings)
        ]


def problems(
    plan: Plan, profile: SafetyProfile, workout: Workout | None = None
) -> list[WorkoutError]:
    """Return one located problem per way `plan` goes beyond `profile` (empty when it fits)."""
    return Review(plan, workout).problems(profile)


def violations(plan: Plan, profile: SafetyProfile, workout: Workout | None = None) -> list[str]:
    """Return one line per way `plan` goes beyond `profile`: `FILE:LINE:COL: path: text`."""
    return [problem.render() for problem in problems(plan, profile, workout)]


def profiles_allowing(plan: Plan, workout: Workout | None = None) -> list[str]:
    """Return the names of the profiles the whole plan fits."""
    return Review(plan, workout).fits()


def check_plan(plan: Plan, profile: SafetyProfile, workout: Workout | None = None) -> None:
    """Raise SafetyError listing every violation if `plan` goes beyond `profile` (as chosen)."""
    review = Review(plan, workout)
    found = review.problems(profile)
    if found:
        choice = ProfileChoice(profile, plan.profile, chosen=True)
        raise refusal(plan, choice, found, review.fits())


def refusal(
    plan: Plan, choice: ProfileChoice, found: list[WorkoutError], fits: list[str]
) -> SafetyError:
    """Return the error that refuses `plan` under `choice`: the verdict, then each problem."""
    lines = [problem.render() for problem in found]
    message = f"{plan.source}: {choice.verdict(fits)}\n" + "\n".join(lines)
    return SafetyError(message, violations=lines)


def _findings(plan: Plan, workout: Workout | None) -> Iterator[_Finding]:
    """Yield every value of `plan` that some profile does not allow, in plan order."""
    bout: list[Step] = []
    for step in plan.steps:
        if step.direction is Direction.BACKWARD:
            bout.append(step)
        else:
            yield from _bout(bout)
            bout = []
        yield from _targets(step)
    yield from _bout(bout)
    yield from _turns(plan, workout)


def _targets(step: Step) -> Iterator[_Finding]:
    """Speed and incline of one walking step against each profile's range for its direction."""
    if step.direction is Direction.REST or step.speed is None:
        return
    direction, speed = step.direction, step.speed
    checks: tuple[tuple[str, float, _Limit, bool, str], ...] = (
        ("speed", speed.max_kmh, SafetyProfile.max_speed_kmh, False, "km/h"),
        ("speed", min(speed.start_kmh, speed.end_kmh), SafetyProfile.min_speed_kmh, True, "km/h"),
        ("incline", step.incline_pct, SafetyProfile.max_incline_pct, False, "%"),
        ("incline", step.incline_pct, SafetyProfile.min_incline_pct, True, "%"),
    )
    for field, value, limit, is_minimum, unit in checks:
        tightest = _tightest(limit, direction, is_minimum=is_minimum)
        if tightest is None or (value >= tightest if is_minimum else value <= tightest):
            continue  # the common case: every profile allows it, and nothing is built
        allows = partial(_within, limit, direction, value, is_minimum=is_minimum)
        where = partial(_at, step, field)
        describe = partial(_beyond, limit, direction, field, value, unit, is_minimum=is_minimum)
        yield _Finding(where, allows, describe)


@cache
def _tightest(limit: _Limit, direction: Direction, *, is_minimum: bool) -> float | None:
    """Return the bound of `limit` in `direction` that every profile respects (None: no bound)."""
    bounds = [b for p in PROFILES.values() if (b := limit(p, direction)) is not None]
    if not bounds:
        return None
    return max(bounds) if is_minimum else min(bounds)


def _within(
    limit: _Limit,
    direction: Direction,
    value: float,
    profile: SafetyProfile,
    *,
    is_minimum: bool,
) -> bool:
    bound = limit(profile, direction)
    if bound is None:
        return True
    return value >= bound if is_minimum else value <= bound


def _beyond(  # noqa: PLR0913, PLR0917 - the parts of one sentence
    limit: _Limit,
    direction: Direction,
    field: str,
    value: float,
    unit: str,
    profile: SafetyProfile,
    *,
    is_minimum: bool,
) -> str:
    bound = limit(profile, direction)
    side, what = ("below", "minimum") if is_minimum else ("above", "limit")
    return (
        f"{direction} {field} {value:g} {unit} is {side} the {profile.name} {what} "
        f"of {bound:g} {unit}"
    )


def _at(step: Step, field: str) -> SourceLocation:
    """Return the location of `field` of the interval behind `step`."""
    return dataclasses.replace(step.location, path=f"{step.path}.{field}")


def _bout(steps: list[Step]) -> Iterator[_Finding]:
    """One finding for a run of backward steps longer than some profile allows."""
    total = sum(step.planned_s for step in steps)
    allows = partial(_bout_fits, total)
    if not steps or all(allows(profile) for profile in PROFILES.values()):
        return
    yield _Finding(partial(_at, steps[0], "backward"), allows, partial(_long_bout, steps, total))


def _long_bout(steps: list[Step], total_s: float, profile: SafetyProfile) -> str:
    limit = f"the {profile.name} limit of {format_duration(profile.backward_bout_max_s)}"
    if len(steps) == 1:
        return f"backward bout of {format_duration(total_s)} is longer than {limit}"
    return (
        f"{_names(steps)} add up to a backward bout of {format_duration(total_s)}, "
        f"longer than {limit}"
    )


def _bout_fits(total_s: float, profile: SafetyProfile) -> bool:
    return total_s <= profile.backward_bout_max_s


def _names(steps: list[Step]) -> str:
    """Return the intervals of a bout in order ("intervals[2], intervals[3] and intervals[4]")."""
    counts: dict[str, int] = {}
    for step in steps:
        counts[step.path] = counts.get(step.path, 0) + 1
    names = [f"{path} ({n} times)" if n > 1 else path for path, n in counts.items()]
    if len(names) > 4:
        names = [names[0], names[1], "...", names[-1]]
        return f"{', '.join(names[:3])} and {names[-1]} ({len(steps)} steps)"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _turns(plan: Plan, workout: Workout | None) -> Iterator[_Finding]:
    """How each turn-around is done, and how long it is announced, against each profile."""
    for transition in plan.transitions:
        step = plan.steps[transition.before_step]
        if transition.turn.mode is TurnMode.SLOW:
            where = partial(_turn_source, step, "mode", workout)
            yield _Finding(where, _allows_slow_turns, _slow_turn)
        if not transition.turn.confirm:
            where = partial(_turn_source, step, "confirm", workout)
            yield _Finding(where, _allows_unconfirmed, _unconfirmed_turn)
    countdown = plan.countdown_s
    if plan.transitions and countdown < max(p.min_countdown_s for p in PROFILES.values()):
        where = partial(_countdown_source, plan, workout)
        yield _Finding(
            where, partial(_countdown_fits, countdown), partial(_short_countdown, countdown)
        )


def _slow_turn(profile: SafetyProfile) -> str:
    return (
        f"a slow turn (turning around on a moving belt) is not allowed under {profile.name}; "
        "use mode: stop"
    )


def _unconfirmed_turn(profile: SafetyProfile) -> str:
    return (
        "a turn-around without your confirmation (the belt restarts on a timer) is not allowed "
        f"under {profile.name}; use confirm: true"
    )


def _short_countdown(countdown_s: float, profile: SafetyProfile) -> str:
    return (
        f"a countdown of {countdown_s:g} s before each turn-around is shorter than the "
        f"{profile.name} minimum of {profile.min_countdown_s:g} s"
    )


def _allows_slow_turns(profile: SafetyProfile) -> bool:
    return profile.slow_turns


def _allows_unconfirmed(profile: SafetyProfile) -> bool:
    return profile.unconfirmed_turns


def _countdown_fits(countdown_s: float, profile: SafetyProfile) -> bool:
    return countdown_s >= profile.min_countdown_s


def _countdown_source(plan: Plan, workout: Workout | None) -> SourceLocation:
    if workout is None:
        return SourceLocation(plan.source, path="countdown")
    return workout.locate("countdown")


def _turn_source(step: Step, field: str, workout: Workout | None) -> SourceLocation:
    """Return where the turn into `step` got `field`: its interval's or the workout's `turn:`."""
    if workout is None:
        return dataclasses.replace(step.location, path=f"{step.path}.turn")
    interval = _interval_at(workout, step.path)
    override = interval.turn if interval is not None else None
    if override is not None and getattr(override, field) is not None:
        return workout.locate(f"{step.path}.turn.{field}")
    return workout.locate(f"turn.{field}")


def _interval_at(workout: Workout, path: str) -> Interval | None:
    """Return the interval at a plan path such as "intervals[1].intervals[0]"."""
    interval: Interval | None = None
    intervals = workout.intervals
    for index in re.findall(r"\[(\d+)\]", path):
        if int(index) >= len(intervals):
            return None
        interval = intervals[int(index)]
        intervals = interval.intervals or []
    return interval
