"""Fixtures for simulator tests: a running SimWorld."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from retrowalk_sim.bleak_backend import SimWorld

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
async def world() -> AsyncIterator[SimWorld]:
    """Yield a running, empty simulated room."""
    async with SimWorld() as w:
        yield w
