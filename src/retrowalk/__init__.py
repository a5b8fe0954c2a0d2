"""retrowalk: interval workouts alternating forward and backward walking on FTMS treadmills."""

# The one place the version is written: pyproject.toml reads it from here (hatch's version
# source), so no package metadata is looked up at import time.
__version__ = "0.1.0"

__all__ = ["__version__"]
