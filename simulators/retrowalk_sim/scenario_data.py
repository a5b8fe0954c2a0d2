"""A scenario from plain data (a parsed YAML document), every error placed at its file:line.

Public API: `scenario_from_data(data, locate=None, source=None) -> Scenario`. `data` is the
document as dicts, lists and scalars; `locate(path, key)` returns the `SourceLocation` of a path
such as "events[2].for" (of its key when `key`), so each error names the line it is about.
`retrowalk run --sim-script FILE` reads the file with the workout loader's safe YAML reader and
calls this. The format:

    tweaks: {decel_kmh_per_s: 0.2}      # optional: profile fields changed for this run
    events:                             # at: seconds (or m:ss) on the session clock
      - {at: "6:10", do: console_stop}
      - {at: "7:00", do: console_speed, kmh: 5.0}
      - {at: "8:00", do: drop_link, for: 20s}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

from retrowalk.errors import SourceLocation
from retrowalk_sim.scenario import (
    PARAMETER,
    Action,
    Scenario,
    ScenarioError,
    check_action_name,
    check_at,
    check_parameter,
    check_tweak,
    parse_seconds,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["MAX_EVENTS", "Locator", "scenario_from_data"]

T = TypeVar("T")
MAX_EVENTS = 10_000
_TOP_KEYS = ("tweaks", "events")
_ATTRIBUTE = {"for": "for_s", "kmh": "kmh", "pct": "pct", "count": "count", "bpm": "bpm"}


class Locator(Protocol):
    """Where a path of the document ("events[2].for") was written (`SourceTree` is one)."""

    def locate(self, path: str, *, key: bool = False) -> SourceLocation:
        """Return the location of `path`'s value, or of its key when `key`."""
        ...


class _Nowhere:
    """The locator of a scenario built from data in code: the path is the place."""

    def locate(self, path: str, *, key: bool = False) -> SourceLocation:
        del key
        return SourceLocation("<scenario>", None, None, path)


def scenario_from_data(
    data: object, locator: Locator | None = None, source: str | None = None
) -> Scenario:
    """Return the scenario `data` describes; ScenarioError at the first problem, with its place."""
    where = locator or _Nowhere()
    if data is None:
        raise ScenarioError("the scenario is empty; give events: and/or tweaks:", where.locate(""))
    if not isinstance(data, dict):
        raise ScenarioError(
            "a scenario is a mapping with events: (a list) and tweaks: (optional)",
            where.locate(""),
        )
    for key in data:
        if key not in _TOP_KEYS:
            raise ScenarioError(
                f"unknown key {key!r}; a scenario has {' and '.join(_TOP_KEYS)}",
                where.locate(str(key), key=True),
            )
    tweaks = data.get("tweaks") or {}
    if not isinstance(tweaks, dict):
        raise ScenarioError("tweaks: must be a mapping of profile fields", where.locate("tweaks"))
    for name, value in tweaks.items():
        _placed(check_tweak, (name, value), where.locate(f"tweaks.{name}", key=True))
    events = data.get("events") or []
    if not isinstance(events, list):
        raise ScenarioError("events: must be a list of {at:, do:, ...}", where.locate("events"))
    if len(events) > MAX_EVENTS:
        raise ScenarioError(
            f"{len(events)} events; a scenario has at most {MAX_EVENTS}", where.locate("events")
        )
    actions = [_action(item, f"events[{i}]", where) for i, item in enumerate(events)]
    return Scenario(actions, tweaks=tweaks, source=source)


def _action(item: object, path: str, where: Locator) -> Action:
    here = where.locate(path)
    if not isinstance(item, dict):
        raise ScenarioError("each event is a mapping such as {at: 90, do: console_stop}", here)
    if "do" not in item:
        raise ScenarioError("this event has no do: (the action)", here)
    if "at" not in item:
        raise ScenarioError("this event has no at: (its time)", here)
    do = _placed(check_action_name, (item["do"],), where.locate(f"{path}.do"))
    wanted = PARAMETER[do]
    allowed = ["at", "do", *([wanted] if wanted else [])]
    for key in item:
        if key not in allowed:
            raise ScenarioError(
                f"{do}: unknown field {key!r}; it takes {', '.join(allowed)}",
                where.locate(f"{path}.{key}", key=True),
            )
    at_where = where.locate(f"{path}.at")
    at = _placed(check_at, (_placed(_seconds, (item["at"], "at"), at_where),), at_where)
    values: dict[str, float | int] = {}
    if wanted is not None:
        if wanted not in item:
            raise ScenarioError(f"{do} needs {wanted}:", here)
        value_where = where.locate(f"{path}.{wanted}")
        value = item[wanted]
        if wanted == "for":
            value = _placed(_seconds, (value, "for"), value_where)
        values[_ATTRIBUTE[wanted]] = _placed(check_parameter, (do, wanted, value), value_where)
    return _placed(lambda: Action(at, do, line=here.line, **values), (), here)  # type: ignore[arg-type]


def _seconds(value: object, key: str) -> object:
    """Return a time given as text ("6:10", "20s") in seconds; numbers pass through."""
    if isinstance(value, str):
        try:
            return parse_seconds(value)
        except ScenarioError as exc:
            raise ScenarioError(f"{key}: {exc.message}") from None
    return value


def _placed(check: Callable[..., T], args: tuple[object, ...], location: SourceLocation) -> T:
    """Return `check(*args)`; a ScenarioError it raises gets `location`."""
    try:
        return check(*args)
    except ScenarioError as exc:
        raise exc.at(location) from None
