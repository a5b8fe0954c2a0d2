"""The outbox between the engine's channel and the broker: bounded events, latest state only."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from mqtt_fakes import FakeEngine
from retrowalk.engine import events as ev
from retrowalk.engine.bus import Bus
from retrowalk.engine.events import EngineState
from retrowalk.sinks.mqtt.outbox import Outbox
from retrowalk.sinks.mqtt.settings import MqttSettings

if TYPE_CHECKING:
    import pytest


def outbox(**tuning: Any) -> Outbox:
    """Return an outbox for treadmill "t" with `tuning` applied."""
    return Outbox(MqttSettings.from_url("mqtt://h", treadmill_id="t", **tuning), workout="w")


def is_drained(box: Outbox) -> bool:
    """Return box.drained (a call, so the type checker does not narrow it)."""
    return box.drained


def test_events_beyond_the_buffer_drop_the_oldest_and_are_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A full buffer drops its oldest event, warns once, and reports the count on reconnect."""
    box = outbox(event_buffer=3)
    for n in range(5):
        box.feed(ev.Notice(t=float(n), message=f"m{n}"))
    assert [json.loads(p)["message"] for p in box.events] == ["m2", "m3", "m4"]
    assert [json.loads(p)["seq"] for p in box.events] == [3, 4, 5]
    assert caplog.text.count("event buffer full") == 1
    assert box.report_drops() == 2
    assert "2 event(s) were dropped" in caplog.text
    assert box.report_drops() == 0


def test_only_the_newest_snapshot_is_kept_and_state_changes_go_at_once() -> None:
    """Snapshots replace each other; a new engine state makes the state due immediately."""
    engine = FakeEngine(Bus())
    box = outbox(state_interval_s=1.0)
    box.feed(engine.snapshot())
    assert box.state_due(0.0, None)
    first = box.take_state()
    assert first is not None
    assert json.loads(first)["state"] == "running"
    engine.t = 0.3
    box.feed(engine.snapshot())
    assert not box.state_due(0.3, 0.0)  # same state, within the interval
    assert box.state_due(1.0, 0.0)
    engine.state = EngineState.PAUSED
    box.feed(engine.snapshot())
    assert box.state_due(0.4, 0.0)  # a state change is never held back
    payload = box.take_state()
    assert payload is not None
    assert json.loads(payload)["state"] == "paused"
    assert not box.state_due(5.0, 0.4)  # nothing new since


def test_the_end_of_the_workout_makes_a_session_summary() -> None:
    """Finished yields a retained-summary payload; the outbox drains only once all is sent."""
    engine = FakeEngine(Bus())
    box = outbox()
    channel = engine.bus.subscribe("mqtt")
    engine.start_step(0)
    engine.finish()
    while (item := channel.get_nowait()) is not None:
        box.feed(item)
    box.close()
    assert box.session is not None
    summary = json.loads(box.session)
    assert (summary["outcome"], summary["step_count"], summary["steps_completed"]) == (
        "finished",
        3,
        3,
    )
    assert not is_drained(box)
    box.events.clear()
    box.take_state()
    box.session = None
    assert is_drained(box)
    assert box.undelivered() == "0 event(s)"


def test_an_event_that_cannot_be_encoded_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A NaN in an event cannot be JSON: it is logged and skipped, never raised at the engine."""
    caplog.set_level(logging.ERROR)
    box = outbox()
    box.feed(ev.Override(t=1.0, what="speed", value=float("nan"), planned=None))
    assert not box.events
    assert "cannot encode Override" in caplog.text
