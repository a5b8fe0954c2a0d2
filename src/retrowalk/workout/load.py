"""Load a workout file: bytes -> YAML node tree -> Workout, every problem with file:line:col."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from retrowalk.errors import WorkoutError, WorkoutErrors
from retrowalk.workout.model import (
    PROFILE_NAMES,
    SOURCE_CONTEXT,
    Workout,
    allowed_keys,
    interval_problems,
    unknown_key_message,
)
from retrowalk.workout.plan import TurnMode
from retrowalk.workout.size import size_problem
from retrowalk.workout.source import SourceTree, clip, decode, parse_tree, read_text

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from pydantic_core import ErrorDetails

_CHOICES: dict[str, tuple[str, ...]] = {
    "profile": PROFILE_NAMES,
    "mode": tuple(m.value for m in TurnMode),
    "version": ("1",),
}


def load_workout(path: Path) -> Workout:
    """Read and validate the workout at `path`; WorkoutErrors lists every problem."""
    return _valid(parse_tree(read_text(path), str(path)))


def parse_workout(text: str | bytes, source: str = "<workout>") -> Workout:
    """Validate a workout given as text (or UTF-8 bytes); `source` names it in messages."""
    if isinstance(text, bytes):
        text = decode(text, source)
    return _valid(parse_tree(text, source))


def validate_tree(tree: SourceTree) -> tuple[Workout | None, list[WorkoutError]]:
    """Return the workout and every format problem in file order (no workout if there is one).

    The format problems include the size limits of workout/size.py, checked without unrolling.
    """
    if not isinstance(tree.data, dict):
        kind = "a list" if isinstance(tree.data, list) else f"the value {tree.data!r}"
        message = (
            f"the top level must be a mapping of workout fields (name:, intervals:), not {kind}"
        )
        return None, in_file_order([*tree.problems, WorkoutError(clip(message), tree.locate(""))])
    # What the YAML walk left out is reported by the walk, once, at its own place.
    walked = {p.location.path for p in tree.problems if p.location is not None}
    problems: dict[str, WorkoutError] = {}
    _check_structure(tree, tree.data, "", problems)
    try:
        workout = Workout.model_validate(tree.data, context={SOURCE_CONTEXT: tree})
    except ValidationError as exc:
        for error in exc.errors():
            if error["type"] in {"extra_forbidden", "structure"}:
                continue  # reported by _check_structure, with suggestions and exact keys
            path = _path(error["loc"])
            if path not in problems and path not in walked:
                problems[path] = WorkoutError(clip(_message(error, path)), tree.locate(path))
        if not problems and not tree.problems:  # never seen: each refusal has its wording
            first = exc.errors()[0]
            path = _path(first["loc"])
            problems[path] = WorkoutError(clip(str(first["msg"])), tree.locate(path))
        return None, in_file_order([*tree.problems, *problems.values()])
    if tree.problems:
        return None, in_file_order(tree.problems)
    too_large = size_problem(workout)
    if too_large is not None:
        return None, [too_large]
    return workout, []


def in_file_order(problems: Iterable[WorkoutError]) -> list[WorkoutError]:
    """Return `problems` sorted by line and column (unlocated ones first, order kept on ties)."""

    def position(problem: WorkoutError) -> tuple[int, int]:
        where = problem.location
        return (where.line or 0, where.column or 0) if where is not None else (0, 0)

    return sorted(problems, key=position)


def _valid(tree: SourceTree) -> Workout:
    workout, problems = validate_tree(tree)
    if workout is None:
        raise WorkoutErrors(problems)
    return workout


def _check_structure(tree: SourceTree, data: Any, path: str, out: dict[str, WorkoutError]) -> None:  # noqa: ANN401
    """Report unknown keys (with suggestions) and interval presence rules, recursively."""
    if not isinstance(data, dict):
        return
    allowed = allowed_keys(path)
    for key, value in data.items():
        child = f"{path}.{key}" if path else key
        if allowed and key not in allowed:
            out[child] = WorkoutError(
                unknown_key_message(key, allowed), tree.locate(child, key=True)
            )
        elif key in {"turn", "speed"}:
            _check_structure(tree, value, child, out)
        elif key == "intervals" and isinstance(value, list):
            for index, item in enumerate(value):
                item_path = f"{child}[{index}]"
                if not isinstance(item, dict):
                    continue  # pydantic names the wrong type
                _check_structure(tree, item, item_path, out)
                for field, message in interval_problems(item.keys() & set(allowed_keys("[0]"))):
                    where = f"{item_path}.{field}" if field else item_path
                    out.setdefault(where, WorkoutError(message, tree.locate(where, key=True)))


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _message(error: ErrorDetails, path: str) -> str:  # noqa: C901, PLR0911, PLR0912 - one table of wordings
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    field = path.rsplit(".", 1)[-1]
    if kind == "workout":
        return str(ctx.get("message", error["msg"]))
    if kind == "missing":
        if field == "name":
            return "required: give the workout a name"
        if field == "intervals":
            return "required: the list of intervals"
        return "required"
    if kind in {"string_type", "str_type"}:
        return f"expected text, not {value!r}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters"
    if kind == "list_type":
        return f"expected a list (lines starting with '- '), not {value!r}"
    if kind == "too_short":
        return "must not be empty: add at least one interval"
    if kind in {"model_type", "dict_type", "model_attributes_type", "dataclass_type"}:
        return f"expected a mapping (key: value lines), not {value!r}"
    if kind in {"bool_type", "bool_parsing"}:
        return f"expected true or false, not {value!r}"
    if kind in {"literal_error", "enum"}:
        return _choice_message(field, value)
    if kind in {"float_type", "float_parsing"}:
        return f"expected a number, not {value!r}"
    if kind in {"greater_than", "less_than_equal"}:
        return f"must be more than 0 and at most {ctx.get('le', 1.5)} km/h, not {value!r}"
    return str(error["msg"])


def _choice_message(field: str, value: object) -> str:
    choices = _CHOICES.get(field, ())
    message = f"{value!r} is not allowed; use one of {', '.join(choices)}"
    if isinstance(value, str):
        hint = unknown_key_message(value, choices)
        if "did you mean" in hint:
            message += f" (did you mean {hint.rsplit('did you mean ', 1)[1][:-1]}?)"
    return message
