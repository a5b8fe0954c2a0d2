"""The one reducer of how a workout ended: steps done, turns made, the engine's final event."""

from __future__ import annotations

from retrowalk.engine.bus import Bus
from retrowalk.engine.events import Finished, StepFinished, TurnEnded
from retrowalk.sinks.tally import EventTally
from retrowalk.workout.plan import Direction


async def test_the_tally_counts_done_steps_and_turns_and_keeps_the_end() -> None:
    """A skipped step is not done; every turn counts; the final event is the engine's own."""
    bus = Bus()
    channel = bus.subscribe("summary", snapshots="none")
    end = Finished(
        t=90.0, elapsed_s=85.0, distance_m=80.0, energy_kcal=5.0, steps_completed=1,
        steps_skipped=1, belt_stopped=True,
    )  # fmt: skip
    for item in (
        StepFinished(t=30.0, index=0, skipped=False, elapsed_s=30.0, distance_m=30.0),
        TurnEnded(t=45.0, direction=Direction.BACKWARD),
        StepFinished(t=60.0, index=1, skipped=True, elapsed_s=10.0, distance_m=5.0),
        end,
    ):
        bus.publish(item)
    bus.close()
    tally = EventTally()
    await tally.follow(channel)
    assert (tally.steps_done, tally.turns, tally.end) == (1, 1, end)
