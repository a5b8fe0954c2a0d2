"""A scripted fault scenario: what happens to a simulated treadmill, and when.

Public API:
- `Action(at_s, do, *, for_s=None, kmh=None, pct=None, count=None, bpm=None)`: one action,
  `at_s` seconds on the session clock (see `retrowalk_sim.trace`). `do` is one of `ACTIONS`;
  each takes exactly the parameter `PARAMETER[do]` names (or none). A wrong one raises
  `ScenarioError`.
- `Scenario(events=(...), tweaks={...})`: actions (kept sorted by time, stable) and profile fields
  changed for the run (`SimWorld.add(..., scenario=...)` applies both).
- `ScenarioError`: a `retrowalk.errors.ConfigError` (exit 2) with a `location` (file:line) when
  the scenario came from a file (`retrowalk_sim.scenario_data.scenario_from_data`).
- `parse_seconds(text)`: "90", "90.5", "20s", "2m", "6:10", "1:02:03" -> seconds.

What each action does (`retrowalk_sim.player` applies them):
console_stop, console_pause, console_start: the console's keys. console_speed (kmh),
console_incline (pct): the console's number keys (clamped and quantised to the machine's grid;
a speed key does nothing while the belt stands). drop_link (for): the link drops and reconnects
are refused for that long. ignore_stop (for): Stop and Pause requests are acknowledged with
success and ignored (the belt keeps running). stale_telemetry (for): no Treadmill Data (the
control point still answers). ignore_speed (for): Set Target Speed acknowledged and ignored.
mute_control_point (for): writes taken, never acted on or answered. revoke_control: status 0xFF,
control lost. pull_safety_key, insert_safety_key. garbage (count): that many 1-byte Treadmill
Data notifications. refuse_control (count): the next Request Controls answer 0x05. hr_bpm (bpm):
the strap reports this heart rate from now on. hr_lost (for): the strap loses contact.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, get_args

from retrowalk.errors import ConfigError, SourceLocation
from retrowalk_sim.profiles import MachineProfile

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "ACTIONS",
    "PARAMETER",
    "Action",
    "ActionName",
    "Scenario",
    "ScenarioError",
    "check_tweak",
    "parse_seconds",
]

ActionName = Literal[
    "console_stop",
    "console_pause",
    "console_start",
    "console_speed",
    "console_incline",
    "drop_link",
    "ignore_stop",
    "stale_telemetry",
    "ignore_speed",
    "mute_control_point",
    "revoke_control",
    "pull_safety_key",
    "insert_safety_key",
    "garbage",
    "refuse_control",
    "hr_bpm",
    "hr_lost",
]
ACTIONS: tuple[ActionName, ...] = get_args(ActionName)
Parameter = Literal["for", "kmh", "pct", "count", "bpm"]
PARAMETER: dict[ActionName, Parameter | None] = {
    "console_stop": None,
    "console_pause": None,
    "console_start": None,
    "console_speed": "kmh",
    "console_incline": "pct",
    "drop_link": "for",
    "ignore_stop": "for",
    "stale_telemetry": "for",
    "ignore_speed": "for",
    "mute_control_point": "for",
    "revoke_control": None,
    "pull_safety_key": None,
    "insert_safety_key": None,
    "garbage": "count",
    "refuse_control": "count",
    "hr_bpm": "bpm",
    "hr_lost": "for",
}
HR_ACTIONS = frozenset({"hr_bpm", "hr_lost"})
MAX_AT_S = 100 * 3600.0
SPLIT_PAYLOAD_MIN = 7  # 2 bytes of flags + the 5-byte Expended Energy group
# (lowest, highest, what it is) for every parameter
_LIMITS: dict[Parameter, tuple[float, float, str]] = {
    "for": (0.0, 24 * 3600.0, "a duration above 0 s and up to 24 h (20, 20s, 2m, 1:30)"),
    "kmh": (0.0, 40.0, "a speed in km/h from 0 to 40"),
    "pct": (-20.0, 40.0, "an incline in % from -20 to 40"),
    "count": (1, 10_000, "a whole number from 1 to 10000"),
    "bpm": (25, 250, "a heart rate in bpm, a whole number from 25 to 250"),
}
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_WITH_UNIT = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|min)$")


class ScenarioError(ConfigError):
    """A scenario is wrong; `location` says where in its file (None for one built in code)."""

    def __init__(self, message: str, location: SourceLocation | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(_render(message, location))

    def at(self, location: SourceLocation) -> ScenarioError:
        """Return the same error placed at `location` (unless it already has a place)."""
        return self if self.location is not None else ScenarioError(self.message, location)


def _render(message: str, location: SourceLocation | None) -> str:
    """Return "file:line:col: message" (the path in the document where no line is known)."""
    if location is None:
        return message
    if location.line is None and location.path:
        return f"{location}: {location.path}: {message}"
    return f"{location}: {message}"


def parse_seconds(text: str) -> float:
    """Return the seconds in "90", "90.5", "20s", "2m", "2min", "6:10" or "1:02:03"."""
    clean = text.strip()
    if (match := _WITH_UNIT.match(clean)) is not None:
        return float(match[1]) * (1.0 if match[2] == "s" else 60.0)
    parts = clean.split(":")
    if len(parts) > 3 or not all(_NUMBER.match(p) for p in parts) or "." in "".join(parts[:-1]):
        raise ScenarioError(f"{text!r} is not a time: write seconds (90, 90s), 2m, m:ss or h:mm:ss")
    values = [float(p) for p in parts]
    if any(v >= 60 for v in values[1:]):
        raise ScenarioError(f"{text!r}: minutes and seconds after a ':' must be below 60")
    total = 0.0
    for value in values:
        total = total * 60.0 + value
    return total


def check_at(value: object) -> float:
    """Return `value` as an action time, or raise ScenarioError."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(f"at: {value!r} is not a time in seconds")
    if not 0 <= value <= MAX_AT_S:
        raise ScenarioError(f"at: {value:g} s is outside 0 s to {MAX_AT_S / 3600:g} h")
    return float(value)


def check_parameter(do: str, key: Parameter, value: object) -> float | int:
    """Return `value` checked as action `do`'s parameter `key`, or raise ScenarioError."""
    low, high, what = _LIMITS[key]
    kind = int if key in {"count", "bpm"} else int | float
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ScenarioError(f"{do}: {key}: {value!r} is not allowed; give {what}")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise ScenarioError(f"{do}: {key}: {value!r} is not allowed; give {what}")
    if key == "for" and not number > 0:
        raise ScenarioError(f"{do}: for: must be above 0 s")
    return value if kind is int else number


def check_action_name(do: object) -> ActionName:
    """Return `do` as an action name, or raise ScenarioError listing the allowed ones."""
    for name in ACTIONS:
        if do == name:
            return name
    raise ScenarioError(f"unknown action {do!r}; allowed: {', '.join(ACTIONS)}")


@dataclass(frozen=True)
class Action:
    """One scripted action at `at_s` seconds on the session clock; see the module docstring."""

    at_s: float
    do: ActionName
    for_s: float | None = None
    kmh: float | None = None
    pct: float | None = None
    count: int | None = None
    bpm: int | None = None
    line: int | None = field(default=None, compare=False)  # where it was written, if in a file

    def __post_init__(self) -> None:
        do = check_action_name(self.do)
        object.__setattr__(self, "at_s", check_at(self.at_s))
        wanted = PARAMETER[do]
        for key in typing.get_args(Parameter):
            if key != wanted and getattr(self, _ATTRIBUTE[key]) is not None:
                takes = f"takes only {wanted}:" if wanted else "takes no parameter"
                raise ScenarioError(f"{do} {takes}, not {key}:")
        if wanted is not None:
            value = getattr(self, _ATTRIBUTE[wanted])
            if value is None:
                raise ScenarioError(f"{do} needs {wanted}: {_LIMITS[wanted][2]}")
            object.__setattr__(self, _ATTRIBUTE[wanted], check_parameter(do, wanted, value))

    @property
    def value(self) -> float | int | None:
        """Return the action's one parameter (seconds, km/h, %, count or bpm), if it takes one."""
        key = PARAMETER[self.do]
        return None if key is None else getattr(self, _ATTRIBUTE[key])

    def describe(self) -> str:
        """Return the action as a scenario line would say it ("drop_link for 20 s")."""
        key = PARAMETER[self.do]
        if key is None:
            return self.do
        unit = {"for": " s", "kmh": " km/h", "pct": " %", "count": "", "bpm": " bpm"}[key]
        return f"{self.do} {key} {self.value:g}{unit}"


_ATTRIBUTE: dict[Parameter, str] = {
    "for": "for_s",
    "kmh": "kmh",
    "pct": "pct",
    "count": "count",
    "bpm": "bpm",
}


@dataclass(frozen=True)
class Scenario:
    """Actions in time order and the profile fields tweaked for the run."""

    events: tuple[Action, ...] = ()
    tweaks: Mapping[str, object] = field(default_factory=dict)
    source: str | None = None  # the file it came from, if any

    def __init__(
        self,
        events: Iterable[Action] = (),
        tweaks: Mapping[str, object] | None = None,
        source: str | None = None,
    ) -> None:
        ordered = tuple(sorted(events, key=lambda a: a.at_s))
        for name, value in (tweaks or {}).items():
            check_tweak(name, value)
        object.__setattr__(self, "events", ordered)
        object.__setattr__(self, "tweaks", types.MappingProxyType(dict(tweaks or {})))
        object.__setattr__(self, "source", source)

    @property
    def needs_hr_strap(self) -> Action | None:
        """Return the first heart-rate action (they need a simulated strap), if any."""
        return next((a for a in self.events if a.do in HR_ACTIONS), None)


# ---- tweaks: scalar profile fields only ------------------------------------------------------

_NOT_TWEAKABLE = frozenset(
    {"name", "description", "speed_range", "incline_range", "features", "record_fields"}
)
_POSITIVE = ("_per_s", "notify_hz")
_HINTS = typing.get_type_hints(MachineProfile)
TWEAKABLE: dict[str, object] = {
    f.name: _HINTS[f.name]
    for f in dataclasses.fields(MachineProfile)
    if f.name not in _NOT_TWEAKABLE and f.name != "extra_notes"
}


def check_tweak(name: str, value: object) -> None:
    """Raise ScenarioError unless `value` is allowed for profile field `name`."""
    if name not in TWEAKABLE:
        raise ScenarioError(
            f"tweaks: {name!r} is not a profile field that can be changed; "
            f"allowed: {', '.join(sorted(TWEAKABLE))}"
        )
    hint = TWEAKABLE[name]
    if not _fits(hint, value):
        raise ScenarioError(f"tweaks: {name}: {value!r} is not {_describe(hint)}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or value < 0:
            raise ScenarioError(f"tweaks: {name}: {value!r} must be a number of at least 0")
        if name.endswith(_POSITIVE) and not value > 0:
            raise ScenarioError(f"tweaks: {name}: must be above 0")
        if name == "notify_hz" and value > 50:
            raise ScenarioError("tweaks: notify_hz: at most 50 notifications a second")
        if name == "split_payload" and value < SPLIT_PAYLOAD_MIN:
            raise ScenarioError(
                f"tweaks: split_payload: at least {SPLIT_PAYLOAD_MIN} bytes "
                "(the flags and the largest field group, energy)"
            )


def _fits(hint: object, value: object) -> bool:  # noqa: PLR0911 - one return per kind of type
    origin = typing.get_origin(hint)
    if origin is Literal:
        return value in typing.get_args(hint)
    if origin in {typing.Union, types.UnionType}:
        return any(_fits(arm, value) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(hint, type) and isinstance(value, hint)


def _describe(hint: object) -> str:
    origin = typing.get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(v) for v in typing.get_args(hint))
    if origin in {typing.Union, types.UnionType}:
        return " or ".join(_describe(arm) for arm in typing.get_args(hint))
    names: dict[object, str] = {
        bool: "true or false",
        float: "a number",
        int: "a whole number",
        type(None): "null",
    }
    return names.get(hint, str(hint))
