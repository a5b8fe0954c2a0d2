"""The one retry policy: delays double to their cap; jitter only with a random source."""

from __future__ import annotations

import random

import pytest

from retrowalk.backoff import Backoff


def test_a_backoff_without_jitter_needs_no_random_source() -> None:
    """The guard's Stop re-sends: 1, 2, 4, then every 8 s, the same every time."""
    backoff = Backoff(1.0, 8.0, jitter=0.0)
    assert [backoff.delay_s(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_jitter_scales_each_delay_down_and_needs_a_random_source() -> None:
    """With jitter 0.5 each delay is within [half, whole]; without an rng it is refused."""
    backoff = Backoff(1.0, 8.0, jitter=0.5)
    rng = random.Random(3)  # noqa: S311 - jitter, not security
    delays = [backoff.delay_s(4, rng) for _ in range(50)]
    assert all(4.0 <= d <= 8.0 for d in delays)
    assert len(set(delays)) > 1
    with pytest.raises(ValueError, match="random source"):
        backoff.delay_s(1)
