"""The environment of a fresh `retrowalk` process in a bench: the one a person's install gives.

A person's retrowalk runs from bytecode (pip compiles it on install, Python writes the rest on
first use). A shell or CI that sets PYTHONDONTWRITEBYTECODE makes every fresh process compile
the project's modules again (about 100 of them, 0.2-1 s on a slow shared core), which measures
the compiler, not the start-up. So the benches drop that variable for their child processes and
compile the sources first (`warm`), as an install does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def fresh_env(data_dir: str) -> dict[str, str]:
    """Return os.environ for a child retrowalk: bytecode on, its own data folder, no config."""
    env = {**os.environ, "RETROWALK_DATA_DIR": data_dir, "RETROWALK_CONFIG": os.devnull}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def warm(env: dict[str, str]) -> None:
    """Compile every retrowalk and simulator module to bytecode, as pip does on install."""
    subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "compileall", "-q", *_source_roots()],
        env=env,
        stdout=subprocess.DEVNULL,
        check=True,
    )


def _source_roots() -> list[str]:
    import retrowalk  # noqa: PLC0415 - only the folder is wanted
    import retrowalk_sim  # noqa: PLC0415

    return [str(Path(m.__file__ or ".").parent) for m in (retrowalk, retrowalk_sim)]
