"""The session recorder: file layout, 1 Hz samples, flush cadence, cancellation, reading back."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import pytest

from retrowalk.engine import events as ev
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandKind, CommandResult, Origin
from retrowalk.errors import SessionError
from retrowalk.sinks.recorder import (
    SessionRecorder,
    list_sessions,
    read_session,
    sessions_dir,
    summarize,
)
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from pathlib import Path

HEADER = {"workout": {"name": "Retro Intro", "file": "x.yaml", "sha256": "ab"}, "body_mass_kg": 70}


def snapshot(t: float, *, distance: float = 0.0) -> ev.Snapshot:
    """Return a running snapshot at workout time `t`."""
    return ev.Snapshot(
        t=t,
        state=ev.EngineState.RUNNING,
        step_index=0,
        step_count=2,
        direction=Direction.BACKWARD,
        label=None,
        target_speed_kmh=3.0,
        target_incline_pct=0.0,
        actual_speed_kmh=3.0,
        actual_incline_pct=0.0,
        step_elapsed_s=t,
        step_remaining_s=60 - t,
        step_remaining_m=None,
        workout_elapsed_s=t,
        workout_remaining_s=120 - t,
        distance_m=distance,
        energy_kcal=t / 10,
        heart_rate_bpm=None,
        hold_cause=None,
        hold_advice=None,
        turn_phase=None,
        turn_remaining_s=None,
        coach_mode=False,
        next_direction=Direction.FORWARD,
        next_speed_kmh=4.0,
        next_incline_pct=0.0,
        next_label=None,
    )


def step_started(t: float, index: int) -> ev.StepStarted:
    """Return a StepStarted event for step `index`."""
    return ev.StepStarted(
        t=t,
        index=index,
        count=2,
        direction=Direction.BACKWARD,
        label="back",
        cue=None,
        duration_s=5.0,
        distance_m=None,
        speed_kmh=3.0,
        incline_pct=0.0,
    )


async def publish_workout(bus: Bus, seconds: float, *, finish: bool = True) -> None:
    """Publish snapshots every 0.25 s, a step every 5 s, then Finished (loop time = workout t)."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    tick = 0
    while (t := tick * 0.25) < seconds:
        await asyncio.sleep(max(t0 + t - loop.time(), 0))
        if tick % 20 == 0:
            bus.publish(step_started(t, tick // 20))
        bus.publish(snapshot(t, distance=t))
        tick += 1
    if finish:
        bus.publish(
            ev.Finished(
                t=seconds,
                elapsed_s=seconds,
                distance_m=seconds,
                energy_kcal=1.5,
                steps_completed=2,
                steps_skipped=0,
                belt_stopped=True,
            )
        )
        bus.close()


async def test_a_normal_session_has_header_samples_events_and_summary(tmp_path: Path) -> None:
    """A finished session: header first, samples at 1 Hz, every event, a summary last."""
    bus = Bus()
    channel = bus.subscribe("recorder", snapshots="all")
    async with SessionRecorder(tmp_path) as recorder, asyncio.TaskGroup() as tg:
        task = tg.create_task(recorder.run(channel, HEADER))
        await publish_workout(bus, 10.0)
    path = task.result()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["kind"] == "header"
    assert lines[0]["workout"]["name"] == "Retro Intro"
    assert "started" in lines[0]
    samples = [line for line in lines if line["kind"] == "sample"]
    assert [s["t"] for s in samples] == [float(i) for i in range(10)]
    events = [line for line in lines if line["kind"] == "event"]
    assert [e["type"] for e in events] == ["StepStarted", "StepStarted", "Finished"]
    assert events[0]["origin"] == "engine"
    assert lines[-1]["kind"] == "summary"
    assert lines[-1]["ended"] == "finished"
    assert lines[-1]["distance_m"] == 10.0
    assert lines[-1]["samples"] == 10
    assert path.name.endswith("-retro-intro.jsonl")


async def test_data_reaches_the_disk_within_a_second(tmp_path: Path) -> None:
    """What was published is readable from the file one second later (a kill loses <= 1 s)."""
    bus = Bus()
    channel = bus.subscribe("recorder", snapshots="all")
    recorder = SessionRecorder(tmp_path)
    async with recorder, asyncio.TaskGroup() as tg:
        tg.create_task(recorder.run(channel, HEADER))
        await asyncio.sleep(0.3)
        bus.publish(step_started(0.3, 0))
        await asyncio.sleep(1.05)
        assert recorder.path is not None
        on_disk = recorder.path.read_text()
        assert '"type":"StepStarted"' in on_disk
        assert on_disk.endswith("\n")
        bus.close()


async def test_cancelled_recorder_keeps_queued_items_and_writes_a_summary(tmp_path: Path) -> None:
    """Cancelling the recorder (Ctrl-C) still saves what was queued and an 'aborted' summary."""
    bus = Bus()
    channel = bus.subscribe("recorder", snapshots="all")
    recorder = SessionRecorder(tmp_path)
    async with recorder:
        task = asyncio.create_task(recorder.run(channel, HEADER))
        await asyncio.sleep(2.5)
        bus.publish(step_started(2.5, 1))  # queued, not yet consumed
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert recorder.path is not None
    _, records = read_session(recorder.path)
    assert records[-2]["type"] == "StepStarted"
    assert records[-1]["kind"] == "summary"
    assert records[-1]["ended"] == "aborted"
    assert "interrupted" in records[-1]["reason"]


async def test_command_origin_is_recorded(tmp_path: Path) -> None:
    """A command event keeps who sent it (keyboard, remote, ...)."""
    bus = Bus()
    channel = bus.subscribe("recorder", snapshots="all")
    recorder = SessionRecorder(tmp_path)
    command = Command(CommandKind.PAUSE, Origin.REMOTE, request_id="r1")
    async with recorder, asyncio.TaskGroup() as tg:
        task = tg.create_task(recorder.run(channel, HEADER))
        bus.publish(
            ev.CommandHandled(t=1.0, origin=Origin.REMOTE, result=CommandResult(command, True))
        )
        bus.close()
    _, records = read_session(task.result())
    handled = records[0]
    assert handled["origin"] == "remote"
    assert handled["result"]["command"] == {
        "kind": "pause",
        "origin": "remote",
        "value": None,
        "request_id": "r1",
    }


def test_a_partial_last_line_reads_as_incomplete(tmp_path: Path) -> None:
    """A file cut mid-line (killed) is read up to the last whole line and called incomplete."""
    path = tmp_path / "20260101-100000-x.jsonl"
    header = {"kind": "header", "started": "2026-01-01T10:00:00+00:00", "workout": {"name": "X"}}
    sample = {"kind": "sample", **snapshot(7.0, distance=12.0).to_dict()}
    path.write_text(json.dumps(header) + "\n" + json.dumps(sample) + "\n" + '{"kind": "sam')
    summary = summarize(path)
    assert summary.ended == "incomplete"
    assert summary.elapsed_s == 7.0
    assert summary.distance_m == 12.0
    assert summary.samples == 1


def test_a_corrupt_middle_line_is_a_clear_error(tmp_path: Path) -> None:
    """A broken line that is not the last names the file and line; summarize says corrupt."""
    path = tmp_path / "bad.jsonl"
    path.write_text('{"kind": "header"}\nnot json\n{"kind": "summary"}\n')
    with pytest.raises(SessionError, match=r"bad\.jsonl:2: not a JSON line"):
        read_session(path)
    assert summarize(path).ended == "corrupt"


def test_a_file_without_header_is_corrupt(tmp_path: Path) -> None:
    """An empty file or one that is not a session log is reported, not a crash."""
    (tmp_path / "a.jsonl").write_text("")
    (tmp_path / "b.jsonl").write_text('{"kind": "sample"}\n')
    summaries = list_sessions(tmp_path)
    assert [s.ended for s in summaries] == ["corrupt", "corrupt"]
    assert all("no session header" in (s.error or "") for s in summaries)


def test_sessions_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RETROWALK_DATA_DIR moves the session folder (tests and portable installs)."""
    monkeypatch.setenv("RETROWALK_DATA_DIR", str(tmp_path))
    assert sessions_dir() == tmp_path / "sessions"


async def test_two_sessions_in_the_same_second_get_distinct_files(tmp_path: Path) -> None:
    """A second session started in the same second never overwrites the first."""
    paths = []
    for _ in range(2):
        bus = Bus()
        channel = bus.subscribe("recorder", snapshots="all")
        async with SessionRecorder(tmp_path) as recorder:
            bus.close()
            paths.append(await recorder.run(channel, HEADER))
    assert paths[0] != paths[1]
    assert all(p.exists() for p in paths)


async def test_log_lines_are_the_documented_json_of_events_and_snapshots(tmp_path: Path) -> None:
    """Each event line is {"kind": "event", **Event.to_dict()}; each sample the Snapshot's."""
    command = Command(CommandKind.NUDGE_SPEED, Origin.KEYBOARD, value=0.5)
    items: list[ev.Event | ev.Snapshot] = [
        snapshot(0.0),
        step_started(0.0, 0),
        ev.CommandHandled(t=0.5, origin=Origin.KEYBOARD, result=CommandResult(command, False, "x")),
        ev.Hold(t=0.7, cause=ev.HoldCause.SAFETY_KEY, detail="key", advice="insert it"),
        ev.Connected(
            t=0.0, name="T", address="A", speed_range=(0.5, 20.0, 0.1), incline_range=None,
            controllable=True,
        ),
    ]  # fmt: skip
    bus = Bus()
    channel = bus.subscribe("recorder", snapshots="all")
    async with SessionRecorder(tmp_path) as recorder, asyncio.TaskGroup() as tg:
        task = tg.create_task(recorder.run(channel, HEADER))
        for item in items:
            bus.publish(item)
        bus.close()
    _, records = read_session(task.result())
    expected = [
        {"kind": "sample" if isinstance(i, ev.Snapshot) else "event", **i.to_dict()} for i in items
    ]
    assert records[: len(items)] == expected
