"""The bus: events reach every sink in order and are never dropped; snapshots follow each policy."""

from __future__ import annotations

import asyncio
import dataclasses

from retrowalk.engine import clock
from retrowalk.engine.bus import Bus, Channel
from retrowalk.engine.events import EngineState, Hold, HoldCause, Notice
from screen_plans import intro_plan, snapshot

PLAN = intro_plan()


def _drain(channel: Channel) -> list[object]:
    items = []
    while (item := channel.get_nowait()) is not None:
        items.append(item)
    return items


def _snap(t: float) -> object:
    return dataclasses.replace(snapshot(PLAN, state=EngineState.RUNNING), t=t)


def test_a_slow_sink_skips_snapshots_but_never_an_event() -> None:
    """Under "latest", a sink that reads late gets every event and only the newest snapshot."""
    bus = Bus()
    screen = bus.subscribe("screen")
    hold = Hold(t=2.0, cause=HoldCause.CONSOLE_STOP, detail="", advice="")
    for n in range(1000):
        bus.publish(_snap(n / 4))
        if n == 500:
            bus.publish(hold)
    items = _drain(screen)
    assert hold in items
    assert [getattr(i, "t", None) for i in items] == [125.0, 2.0, 249.75]
    assert screen.dropped == 998


def test_items_come_out_in_the_order_they_were_published() -> None:
    """A snapshot published before an event is delivered before it, never after."""
    bus = Bus()
    channel = bus.subscribe("display")
    first, note, second = _snap(1.0), Notice(t=1.1, message="x"), _snap(1.2)
    for item in (first, note, second):
        bus.publish(item)
    assert _drain(channel) == [first, note, second]


def test_all_keeps_every_snapshot_and_none_keeps_only_events() -> None:
    """The recorder's "all" gets every snapshot; an events-only sink gets none of them."""
    bus = Bus()
    everything = bus.subscribe("recorder", snapshots="all")
    events_only = bus.subscribe("cues", snapshots="none")
    note = Notice(t=0.5, message="x")
    snaps = [_snap(n) for n in range(5)]
    for item in (*snaps[:2], note, *snaps[2:]):
        bus.publish(item)
    assert _drain(everything) == [*snaps[:2], note, *snaps[2:]]
    assert _drain(events_only) == [note]
    assert everything.dropped == events_only.dropped == 0


async def test_iteration_ends_after_close_with_nothing_lost() -> None:
    """Closing the bus ends every channel's iteration once what was queued is consumed."""
    bus = Bus()
    channel = bus.subscribe("late")
    bus.publish(Notice(t=0.0, message="a"))
    bus.publish(_snap(0.25))
    bus.close()
    bus.publish(Notice(t=1.0, message="after close"))
    seen = [item async for item in channel]
    assert [getattr(i, "message", "snapshot") for i in seen] == ["a", "snapshot"]


async def test_latest_is_the_state_when_read_and_stays_once_the_source_goes() -> None:
    """A sink sampling on its own deadline reads the state at that moment, built once per time."""
    bus = Bus()
    built: list[float] = []

    def source() -> object:
        built.append(clock.now())
        return _snap(clock.now())

    bus.snapshots_from(source)  # type: ignore[arg-type]
    assert bus.latest is not None
    assert bus.latest.t == clock.now()
    assert len(built) == 1  # the second read at the same loop time is the same snapshot
    await asyncio.sleep(0.5)
    assert bus.latest is not None
    assert bus.latest.t == built[-1] == clock.now()
    await asyncio.sleep(0.25)
    bus.snapshots_from(None)  # the engine is done: the state at this moment is kept
    gone = clock.now()
    await asyncio.sleep(0.5)
    assert bus.latest is not None
    assert bus.latest.t == gone
    assert built == [gone - 0.75, gone - 0.25, gone]


def test_snapshots_are_taken_only_while_a_channel_takes_them() -> None:
    """The engine builds snapshots at its rate for the screen, not for sinks of events only."""
    bus = Bus()
    events_only = bus.subscribe("recorder", snapshots="none")
    assert not bus.takes_snapshots
    screen = bus.subscribe("screen")
    assert bus.takes_snapshots
    bus.unsubscribe(screen)
    assert not bus.takes_snapshots
    bus.unsubscribe(events_only)
    assert not bus.takes_snapshots
