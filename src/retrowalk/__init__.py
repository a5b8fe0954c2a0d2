"""retrowalk: interval workouts alternating forward and backward walking on FTMS treadmills."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("retrowalk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
