"""The one retry policy: exponential backoff with jitter, for every reconnect loop in retrowalk.

Used by the treadmill link (`device.link.ReconnectPolicy`), the MQTT sink and the room watcher.
Each delay is `min(max_s, initial_s * factor ** (attempt - 1))`, scaled by a random factor in
`[1 - jitter, 1]` so that many clients losing one broker do not all come back at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.errors import ConfigError

if TYPE_CHECKING:
    import random

# Past this many doublings every delay is the cap anyway; it keeps factor ** n finite.
_MAX_EXPONENT = 64


@dataclass(frozen=True)
class Backoff:
    """How long to wait before each retry; the caller counts attempts and resets on success."""

    initial_s: float
    max_s: float
    factor: float = 2.0
    jitter: float = 0.5  # each delay is scaled by a random factor in [1 - jitter, 1]

    def __post_init__(self) -> None:
        """Refuse values that would retry in a busy loop or never."""
        if not (0 < self.initial_s <= self.max_s and self.factor >= 1):
            raise ConfigError(
                "retry delays need 0 < initial <= maximum and a factor of at least 1, got "
                f"{self.initial_s:g} s, {self.max_s:g} s, factor {self.factor:g}"
            )
        if not 0 <= self.jitter < 1:
            raise ConfigError(f"retry jitter must be in [0, 1), got {self.jitter:g}")

    def delay_s(self, attempt: int, rng: random.Random | None = None) -> float:
        """Return how long to wait before the 1-based `attempt` (`rng` only with jitter)."""
        exponent = min(max(attempt, 1) - 1, _MAX_EXPONENT)
        base = min(self.max_s, self.initial_s * self.factor**exponent)
        if rng is None:
            if self.jitter:
                raise ValueError("a backoff with jitter needs a random source")
            return base
        return base * rng.uniform(1.0 - self.jitter, 1.0)
