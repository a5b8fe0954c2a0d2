"""A programme: workouts walked week by week, and the rule to move on (a small YAML file).

    version: 1
    name: Retro 6-Week Starter
    weeks: [retro-6-week-starter-week1, ..., retro-6-week-starter-week6]
    advance: {completions: 2, repeat_after_days: 10}

A week is a library workout's name, or a `.yaml` path relative to the programme file; the
caller resolves names (the history package does not know where the library is). Each week's
workout file is read for its `name` (how a session log names the workout it ran) and `profile`.
The rule itself is history/progress.py's.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from retrowalk.errors import SourceLocation, WorkoutError, WorkoutErrors

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

MAX_BYTES = 64 * 1024  # a programme is a few lines
MAX_WORKOUT_BYTES = 1024 * 1024  # the workout format's own limit


class _Advance(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    completions: Annotated[int, Field(ge=1, le=10)] = 2
    repeat_after_days: Annotated[int, Field(ge=1, le=365)] = 10


class _Programme(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    version: Literal[1]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    weeks: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1, max_length=52)]
    advance: _Advance = _Advance()


@dataclass(frozen=True)
class Week:
    """One week of a programme: its workout."""

    number: int  # 1-based
    workout: str  # as the programme names it: a library name or a path
    path: Path
    title: str  # the workout's `name`, as session logs record it
    profile: str | None  # the safety profile the workout declares


@dataclass(frozen=True)
class Programme:
    """A programme read from its file."""

    path: Path
    name: str
    weeks: tuple[Week, ...]
    completions: int  # clean completions of a week's workout before the next week is due
    repeat_after_days: int  # more days than this without a session: the last completed week again

    def week_of(self, workout_title: str) -> Week | None:
        """Return the week whose workout has this name (as a session log records it)."""
        return next((w for w in self.weeks if w.title == workout_title), None)


def load_programme(path: Path, resolve: Callable[[str], Path]) -> Programme:
    """Read the programme at `path`; `resolve` turns a library name into its workout file.

    WorkoutError naming the file and the field for anything wrong (exit 2).
    """
    try:
        raw = _read(path, MAX_BYTES)
    except OSError as exc:
        where = SourceLocation(str(path))
        raise WorkoutError(f"cannot read the programme: {exc.strerror}", where) from None
    if len(raw) > MAX_BYTES:
        raise WorkoutError("too large for a programme file", SourceLocation(str(path)))
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise WorkoutError(f"not valid YAML: {_yaml_problem(exc)}", _where(path, exc)) from None
    if not isinstance(data, dict):
        raise WorkoutError(
            "not a programme: a YAML mapping with version, name, weeks (and advance)",
            SourceLocation(str(path)),
        )
    try:
        model = _Programme.model_validate(data)
    except ValidationError as exc:
        problems = [
            WorkoutError(
                e["msg"], SourceLocation(str(path), path=".".join(str(p) for p in e["loc"]))
            )
            for e in exc.errors()
        ]
        raise WorkoutErrors(problems) from None
    weeks = tuple(_week(i, name, path, resolve) for i, name in enumerate(model.weeks, start=1))
    return Programme(
        path, model.name, weeks, model.advance.completions, model.advance.repeat_after_days
    )


def _week(number: int, name: str, programme: Path, resolve: Callable[[str], Path]) -> Week:
    where = SourceLocation(str(programme), path=f"weeks[{number - 1}]")
    try:
        file = programme.parent / name if name.endswith(".yaml") else resolve(name)
        data = yaml.safe_load(_read(file, MAX_WORKOUT_BYTES))
    except WorkoutError as exc:
        raise WorkoutError(f"{name!r}: {exc.message}", where) from None
    except OSError as exc:
        raise WorkoutError(f"{name!r}: cannot read it: {exc.strerror}", where) from None
    except yaml.YAMLError:
        raise WorkoutError(f"{name!r} is not a workout file (not valid YAML)", where) from None
    title = data.get("name") if isinstance(data, dict) else None
    if not isinstance(title, str) or not title.strip():
        raise WorkoutError(f"{name!r} is not a workout file (it has no name)", where)
    profile = data.get("profile")
    return Week(number, name, file, title.strip(), profile if isinstance(profile, str) else None)


def _read(path: Path, limit: int) -> bytes:
    """Return up to `limit` + 1 bytes of a regular file (a FIFO or a device is refused)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return file.read(limit + 1)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """Return PyYAML's complaint on one line (its own text spans several)."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem:
        return exc.problem
    return " ".join(str(exc).split())


def _where(path: Path, exc: yaml.YAMLError) -> SourceLocation:
    mark = exc.problem_mark if isinstance(exc, yaml.MarkedYAMLError) else None
    if mark is None:
        return SourceLocation(str(path))
    return SourceLocation(str(path), mark.line + 1, mark.column + 1)
