"""How a workout ended, folded from the engine's events: its final event, steps done, turns made.

One reducer for every reader of the end (the run's printed summary, the session log's summary
line): what they report is what the engine published, counted the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.engine.events import Aborted, Finished, StepFinished, TurnEnded

if TYPE_CHECKING:
    from retrowalk.engine.bus import Channel, Item


@dataclass
class EventTally:
    """The engine's final event (None until it comes) and the counts of what was done."""

    end: Finished | Aborted | None = None
    steps_done: int = 0  # steps completed, skipped ones not counted
    turns: int = 0

    def add(self, item: Item) -> None:
        """Fold one item of the bus into the tally (snapshots change nothing)."""
        if isinstance(item, StepFinished):
            self.steps_done += 0 if item.skipped else 1
        elif isinstance(item, TurnEnded):
            self.turns += 1
        elif isinstance(item, Finished | Aborted):
            self.end = item

    async def follow(self, channel: Channel) -> None:
        """Fold every item of `channel` (subscribe it with snapshots="none") until it closes."""
        async for item in channel:
            self.add(item)
