"""Helpers for reading a treadmill's device events in the device tests."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from retrowalk.device.api import Telemetry

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from retrowalk.device.api import DeviceEvent


async def collect(
    events: AsyncIterator[DeviceEvent],
    until: Callable[[DeviceEvent], bool],
    timeout_s: float = 30.0,
) -> list[DeviceEvent]:
    """Return events up to and including the first one matching `until`."""
    seen: list[DeviceEvent] = []
    async with asyncio.timeout(timeout_s):
        async for event in events:
            seen.append(event)
            if until(event):
                return seen
    return seen


def moving_at(kmh: float) -> Callable[[DeviceEvent], bool]:
    """Return a predicate: telemetry whose trusted speed is `kmh`."""
    return lambda e: isinstance(e, Telemetry) and e.speed_kmh == pytest.approx(kmh)


def is_telemetry(event: DeviceEvent) -> bool:
    """Return whether `event` is telemetry."""
    return isinstance(event, Telemetry)


def not_telemetry(event: DeviceEvent) -> bool:
    """Return whether `event` is anything but telemetry (status or link)."""
    return not isinstance(event, Telemetry)
