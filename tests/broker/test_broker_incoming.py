"""Discarded incoming messages: counted, and reported at most once a minute."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from retrowalk.broker.incoming import Discards

if TYPE_CHECKING:
    import pytest


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the MQTT warnings logged so far."""
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_a_flood_is_reported_once_then_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """2,500 discards over 90 s: one line at once, one a minute later, the rest at the end."""
    discards = Discards("commands from mqtt://h:1883")
    with caplog.at_level(logging.WARNING, logger="retrowalk.mqtt"):
        for _ in range(2500):
            discards.add()
            await asyncio.sleep(0.036)  # virtual time: 90 s in all
        first, second = warnings_of(caplog)
        assert "commands from mqtt://h:1883 arrive faster" in first
        assert "discarded 1666 more" in second
        assert "in the last 60 s; 1667 in all" in second
        await asyncio.sleep(30)  # the next minute is up: the remainder is reported by itself
        assert len(warnings_of(caplog)) == 3
        assert "discarded 833 more" in warnings_of(caplog)[2]
        discards.flush()  # nothing left to say
    assert len(warnings_of(caplog)) == 3
    assert discards.total == 2500


async def test_the_end_of_a_connection_reports_what_is_left(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Discards after the last report are reported when the connection closes, not lost."""
    discards = Discards("room messages")
    with caplog.at_level(logging.WARNING, logger="retrowalk.mqtt"):
        for _ in range(3):
            discards.add()
        discards.flush()
    assert len(warnings_of(caplog)) == 2
    assert "discarded 2 more" in warnings_of(caplog)[1]
