"""The best-effort workout of a file with format problems, so its profile limits are checked too.

A person fixing a file should see every problem in one run: the format's, and the safety
profile's. So the parts of a broken file that are valid are kept: a top-level field with a
problem falls back to its default, an interval loses the optional fields that are wrong
(incline, label, cue, turn, unknown keys), a repeat with a wrong count runs once, and an interval
that cannot be read at all becomes a short rest. A rest ends a backward bout, so a salvaged plan
never reports a bout longer than the file's; it may miss one, never invent one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from retrowalk.workout.fields import MAX_REPEAT
from retrowalk.workout.model import SOURCE_CONTEXT, Interval, Workout

if TYPE_CHECKING:
    from retrowalk.workout.source import SourceTree

_OPTIONAL = frozenset({"incline", "label", "cue", "turn"})
_PLACEHOLDER = Interval.model_validate({"rest": "5s"})  # for an interval that cannot be read


def salvage(tree: SourceTree) -> Workout | None:
    """Return the valid parts of the document in `tree` as a Workout (None without intervals)."""
    if not isinstance(tree.data, dict):
        return None
    data: dict[str, Any] = dict(tree.data)
    data["intervals"] = _intervals(data.get("intervals"))
    if not data["intervals"]:
        return None
    for _ in range(3):  # each round drops the fields that failed; two rounds always suffice
        try:
            return Workout.model_validate(data, context={SOURCE_CONTEXT: tree})
        except ValidationError as exc:
            failed = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        data = {key: value for key, value in data.items() if key not in failed - {"intervals"}}
        data.setdefault("name", "(unnamed)")
    return None


def _intervals(raw: object) -> list[Interval]:
    if not isinstance(raw, list):
        return []
    return [_interval(item) for item in raw]


def _interval(raw: object) -> Interval:
    try:
        return Interval.model_validate(raw)
    except ValidationError as exc:
        failed = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
    if isinstance(raw, dict) and "repeat" in raw:
        body = _intervals(raw.get("intervals"))
        count = raw["repeat"]
        valid_count = isinstance(count, int) and not isinstance(count, bool)
        if body:
            return Interval.model_validate(
                {
                    "repeat": count if valid_count and 1 <= count <= MAX_REPEAT else 1,
                    "intervals": body,
                }
            )
    elif isinstance(raw, dict):
        droppable = _OPTIONAL | (raw.keys() - Interval.model_fields.keys())
        if failed <= droppable:
            try:
                return Interval.model_validate({k: v for k, v in raw.items() if k not in failed})
            except ValidationError:
                pass
    return _PLACEHOLDER
