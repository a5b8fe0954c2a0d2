"""The bundled workout library: find it, list it, resolve a library name to a file.

An installed wheel carries the library inside the package (pyproject force-includes workouts/
as retrowalk/workouts), found with importlib.resources. An editable install leaves it in the
source checkout, which the distribution names in its direct_url.json (PEP 610).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from urllib.parse import unquote, urlparse

from retrowalk.errors import SourceLocation, WorkoutError, did_you_mean

LIBRARY = "workouts"


@cache
def library_dir() -> Path:
    """Return the bundled workouts folder (it may be missing from a broken install)."""
    bundled = resources.files("retrowalk").joinpath(LIBRARY)
    if isinstance(bundled, Path) and bundled.is_dir():
        return bundled
    checkout = _editable_checkout()
    if checkout is not None and (checkout / LIBRARY).is_dir():
        return checkout / LIBRARY
    return Path(str(bundled))


def _editable_checkout() -> Path | None:
    """Return the source folder of an editable install of retrowalk, or None."""
    try:
        text = metadata.distribution("retrowalk").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    try:
        origin = json.loads(text or "{}")
    except json.JSONDecodeError:
        return None
    url = urlparse(str(origin.get("url", "")))
    editable = isinstance(origin.get("dir_info"), dict) and origin["dir_info"].get("editable")
    if not editable or url.scheme != "file":
        return None
    return Path(unquote(url.path))


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
