"""The bundled workout library: find it, list it, resolve a library name to a file."""

from __future__ import annotations

from pathlib import Path

from retrowalk.errors import SourceLocation, WorkoutError, did_you_mean

_HERE = Path(__file__).resolve()


def library_dir() -> Path:
    """Return the bundled workouts/ folder (installed package first, then the source tree)."""
    installed = _HERE.parents[1] / "workouts"
    if installed.is_dir():
        return installed
    return _HERE.parents[3] / "workouts"


def library_names() -> list[str]:
    """Return the names of the bundled workouts, sorted."""
    return sorted(p.stem for p in library_dir().glob("*.yaml"))


def find_workout(name_or_path: str) -> Path:
    """Return the file for a path or a library name like "retro-intro"; WorkoutError if neither."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    bundled = library_dir() / f"{name_or_path.removesuffix('.yaml')}.yaml"
    if "/" not in name_or_path and bundled.is_file():
        return bundled
    known = library_names()
    hint = did_you_mean(name_or_path.removesuffix(".yaml"), known)
    raise WorkoutError(
        f"no such file, and not a library workout{hint}; library workouts: "
        f"{', '.join(known) or '(none found)'}",
        SourceLocation(name_or_path),
    )
