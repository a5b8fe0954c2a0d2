"""A log cut into laps (steps and turn windows, without a hole) and pauses, from its events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from retrowalk.history import read_log
from retrowalk.history.laps import lap_at, laps, pauses, span
from session_logs import header_line, summary_line, write_lines

if TYPE_CHECKING:
    from pathlib import Path


def _event(kind: str, t: float, **fields: Any) -> dict[str, Any]:
    return {"kind": "event", "type": kind, "t": t, "origin": "engine", **fields}


def _step(t: float, index: int, direction: str, label: str | None) -> dict[str, Any]:
    return _event("StepStarted", t, index=index, direction=direction, label=label)


def _walk(tmp_path: Path, *events: dict[str, Any], end: float = 200.0) -> Path:
    sample = {"kind": "sample", "t": 1.0, "state": "running", "distance_m": 0.0}
    return write_lines(
        tmp_path / "walk.jsonl",
        header_line("Walk", "2026-03-01T09:00:00+01:00"),
        sample,
        *events,
        _event("Finished", end),
        summary_line(end),
    )


def test_steps_and_turn_windows_become_laps_without_a_hole(tmp_path: Path) -> None:
    """Forward, turn, backward (skipped), rest: each a lap; the stop after the last is its own."""
    log = read_log(
        _walk(
            tmp_path,
            _event("StateChanged", 0.0, state="waiting_start"),
            _step(5.0, 0, "forward", "Warm-up"),
            _event("StepFinished", 65.0, index=0, skipped=False),
            _event("TurnStarted", 65.0, to_direction="backward"),
            _event("TurnEnded", 85.0, direction="backward"),
            _step(85.0, 1, "backward", None),
            _event("StepFinished", 120.0, index=1, skipped=True),
            _step(121.0, 2, "rest", "Breather"),
            _event("StepFinished", 181.0, index=2, skipped=False),
        )
    )
    found = laps(log)
    assert [(lap.start_t, lap.end_t) for lap in found] == [
        (5.0, 65.0), (65.0, 85.0), (85.0, 121.0), (121.0, 200.0),
    ]  # fmt: skip
    assert [lap.name for lap in found] == [
        "FORWARD: Warm-up", "REST: turn around to BACKWARD", "BACKWARD: step 2", "REST: Breather",
    ]  # fmt: skip
    assert [lap.turn for lap in found] == [False, True, False, False]
    assert found[2].skipped
    assert span(log) == (5.0, 200.0)  # from the first step, not from the wait for the start
    assert lap_at(found, 70.0) is found[1]
    assert lap_at(found, 200.0) is found[3]
    assert lap_at(found, 2.0) is None


def test_holds_and_pauses_with_their_cause_and_who(tmp_path: Path) -> None:
    """A pause, a hold replaced by another, and a hold the session ended in."""
    log = read_log(
        _walk(
            tmp_path,
            _step(0.0, 0, "backward", "Back"),
            {**_event("Paused", 10.0), "origin": "keyboard"},
            _event("Resumed", 20.0),
            {**_event("Hold", 30.0, cause="console_stop"), "origin": "console"},
            {**_event("Hold", 40.0, cause="safety_key"), "origin": "device"},
            _event("Resumed", 50.0),
            {**_event("Hold", 150.0, cause="heart_rate"), "origin": "device"},
        )
    )
    assert [(p.kind, p.cause, p.origin, p.start_t, p.end_t, p.resumed) for p in pauses(log)] == [
        ("pause", None, "keyboard", 10.0, 20.0, True),
        ("hold", "console_stop", "console", 30.0, 40.0, False),
        ("hold", "safety_key", "device", 40.0, 50.0, True),
        ("hold", "heart_rate", "device", 150.0, 200.0, False),
    ]


def test_a_killed_log_ends_at_its_last_sample(tmp_path: Path) -> None:
    """Without an end event, the last lap runs to the last sample."""
    path = write_lines(
        tmp_path / "killed.jsonl",
        header_line("Walk", "2026-03-01T09:00:00+01:00"),
        _step(0.0, 0, "forward", "Warm-up"),
        {"kind": "sample", "t": 42.0, "state": "running", "distance_m": 40.0},
        tail='{"kind": "sample", "t": 43',
    )
    [lap] = laps(read_log(path))
    assert (lap.start_t, lap.end_t) == (0.0, 42.0)
