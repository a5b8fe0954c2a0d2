"""Safety profiles (docs/reference/retro-walking.md) and the one rule that picks the active one.

A profile bounds speed and incline in each direction, the longest backward bout, and how a
turn-around may be done. `choose_profile` is the rule `validate`, `show` and `run` share: the
profile the person named (--profile, else `profile` in config.toml), else the one the workout
declares when it is no looser than standard, else standard. So a looser profile is always the
person's explicit choice, and every command says the same thing about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.errors import ConfigError, did_you_mean
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from collections.abc import Sequence

DEFAULT_PROFILE = "standard"
# Before a turn-around the person hears at least "3, 2, 1" (the reference's first turn step:
# announce the change ahead). Only `advanced` may shorten or drop the countdown.
MIN_TURN_COUNTDOWN_S = 3.0


@dataclass(frozen=True, kw_only=True)
class SafetyProfile:
    """Limits a workout must stay within, per direction, and how its turn-arounds may be done."""

    name: str
    backward_speed_min_kmh: float
    backward_speed_max_kmh: float
    backward_incline_max_pct: float
    backward_bout_max_s: float
    forward_speed_min_kmh: float
    forward_speed_max_kmh: float
    forward_incline_min_pct: float
    forward_incline_max_pct: float
    min_countdown_s: float = MIN_TURN_COUNTDOWN_S  # when the workout has a turn-around
    slow_turns: bool = False  # `turn: {mode: slow}`: turning on a moving belt
    unconfirmed_turns: bool = False  # `turn: {confirm: false}`: the belt restarts on a timer

    def max_speed_kmh(self, direction: Direction) -> float | None:
        """Return the highest speed allowed in `direction` (0 for a rest)."""
        return _pick(direction, self.backward_speed_max_kmh, self.forward_speed_max_kmh, 0.0)

    def min_speed_kmh(self, direction: Direction) -> float | None:
        """Return the lowest walking speed allowed in `direction` (None for a rest)."""
        return _pick(direction, self.backward_speed_min_kmh, self.forward_speed_min_kmh, None)

    def max_incline_pct(self, direction: Direction) -> float | None:
        """Return the highest incline allowed in `direction` (None for a rest)."""
        return _pick(direction, self.backward_incline_max_pct, self.forward_incline_max_pct, None)

    def min_incline_pct(self, direction: Direction) -> float | None:
        """Return the lowest incline allowed in `direction`: never downhill backward."""
        return _pick(direction, 0.0, self.forward_incline_min_pct, None)

    def is_looser_than(self, other: SafetyProfile) -> bool:
        """Return whether this profile allows anything faster, steeper or longer than `other`."""
        higher = [
            (self.backward_speed_max_kmh, other.backward_speed_max_kmh),
            (self.backward_incline_max_pct, other.backward_incline_max_pct),
            (self.backward_bout_max_s, other.backward_bout_max_s),
            (self.forward_speed_max_kmh, other.forward_speed_max_kmh),
            (self.forward_incline_max_pct, other.forward_incline_max_pct),
            (other.forward_incline_min_pct, self.forward_incline_min_pct),  # steeper downhill
            (other.min_countdown_s, self.min_countdown_s),  # a shorter warning
            (self.slow_turns, other.slow_turns),
            (self.unconfirmed_turns, other.unconfirmed_turns),
        ]
        return any(mine > theirs for mine, theirs in higher)


def _pick(
    direction: Direction, backward: float, forward: float, rest: float | None
) -> float | None:
    if direction is Direction.BACKWARD:
        return backward
    return forward if direction is Direction.FORWARD else rest


PROFILES: dict[str, SafetyProfile] = {
    p.name: p
    for p in (
        SafetyProfile(
            name="beginner",
            backward_speed_min_kmh=1.0,
            backward_speed_max_kmh=3.0,
            backward_incline_max_pct=0.0,
            backward_bout_max_s=180.0,
            forward_speed_min_kmh=1.0,
            forward_speed_max_kmh=6.0,
            forward_incline_min_pct=0.0,
            forward_incline_max_pct=5.0,
        ),
        SafetyProfile(
            name="standard",
            backward_speed_min_kmh=1.0,
            backward_speed_max_kmh=4.5,
            backward_incline_max_pct=5.0,
            backward_bout_max_s=360.0,
            forward_speed_min_kmh=1.0,
            forward_speed_max_kmh=8.0,
            forward_incline_min_pct=0.0,
            forward_incline_max_pct=10.0,
        ),
        SafetyProfile(
            name="advanced",
            backward_speed_min_kmh=1.0,
            backward_speed_max_kmh=6.0,
            backward_incline_max_pct=10.0,
            backward_bout_max_s=600.0,
            forward_speed_min_kmh=1.0,
            forward_speed_max_kmh=12.0,
            forward_incline_min_pct=-3.0,
            forward_incline_max_pct=15.0,
            min_countdown_s=0.0,
            slow_turns=True,
            unconfirmed_turns=True,
        ),
        SafetyProfile(
            name="supervised",
            backward_speed_min_kmh=0.5,
            backward_speed_max_kmh=2.5,
            backward_incline_max_pct=0.0,
            backward_bout_max_s=120.0,
            forward_speed_min_kmh=0.5,
            forward_speed_max_kmh=4.0,
            forward_incline_min_pct=0.0,
            forward_incline_max_pct=5.0,
        ),
    )
}


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
class ProfileChoice:
    """The profile a workout is checked and run against, and whether the person chose it."""

    profile: SafetyProfile
    declared: str
    chosen: bool  # named by --profile or config.toml; False: the default rule picked it

    def verdict(self, fits: Sequence[str]) -> str:
        """Return the one sentence every command says; `fits` are the profiles the plan fits."""
        name = self.profile.name
        if name in fits:
            return f"checked against {name}: OK"
        why = "the profile you chose" if self.chosen else "the default"
        return f"beyond {name}, {why}; {advice(fits, self.declared)}"

    def needs_explicit_choice(self, fits: Sequence[str]) -> bool:
        """Return whether the plan fits its declared profile, which the person must name to run."""
        return not self.chosen and self.profile.name not in fits and self.declared in fits


def advice(fits: Sequence[str], declared: str) -> str:
    """Return how to run a plan that fits the profiles `fits`, or that no profile allows it."""
    if not fits:
        return "no safety profile allows it; change the workout"
    pick = declared if declared in fits else fits[0]
    return (
        f"OK under {', '.join(fits)}; run it with --profile {pick} "
        f'or set profile = "{pick}" in config.toml'
    )


def choose_profile(
    declared: str, *, option: str | None = None, config: str | None = None
) -> ProfileChoice:
    """Return the profile to check and run `declared`'s workout against (the one rule).

    `option` is --profile, `config` the profile in config.toml (None: not given); the first
    given wins. Otherwise the declared profile, unless it is looser than standard.
    """
    if option is not None:
        return ProfileChoice(get_profile(option), declared, chosen=True)
    if config is not None:
        try:
            return ProfileChoice(get_profile(config), declared, chosen=True)
        except ConfigError as exc:
            raise ConfigError(f"profile in config.toml: {exc}") from None
    own, base = PROFILES.get(declared), PROFILES[DEFAULT_PROFILE]
    default = base if own is None or own.is_looser_than(base) else own
    return ProfileChoice(default, declared, chosen=False)
