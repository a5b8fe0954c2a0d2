"""The session recorder: 1 Hz samples as deltas, events as to_dict(), flush cadence, summary."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
from typing import TYPE_CHECKING

import pytest

from retrowalk.engine import events as ev
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandKind, CommandResult, Origin
from retrowalk.errors import SessionError
from retrowalk.history import LogState, read_log
from retrowalk.sinks.log_file import LogIO
from retrowalk.sinks.recorder import SessionRecorder
from session_logs import HEADER, record_walk, snapshot, step_started

if TYPE_CHECKING:
    from pathlib import Path


def _kinds(path: Path) -> list[str]:
    return [json.loads(line)["kind"] for line in path.read_text().splitlines()]


async def test_a_finished_session_reads_back_whole(tmp_path: Path) -> None:
    """Header (format 2), samples at 1 Hz, every event, a summary with the backward time."""
    recorder = await record_walk(tmp_path, 100.0)
    assert recorder.path is not None
    log = read_log(recorder.path)
    assert log.state == LogState.COMPLETE
    assert log.header.format == 2
    assert log.header.workout == "Retro Intro"
    assert log.header.simulated is True
    assert log.header.started is not None
    times = [s.t for s in log.samples]
    assert all(0.75 <= b - a <= 1.25 for a, b in itertools.pairwise(times[:-1]))
    assert 99 <= len(times) <= 102
    assert log.samples[-1].state == "finished"
    assert [e.type for e in log.events] == ["StepStarted"] * 5 + ["Finished"]
    assert log.events[0].fields["origin"] == "engine"
    assert log.summary is not None
    assert log.summary.ended == "finished"
    assert log.summary.distance_m == 100.0
    assert log.summary.belt_stopped is True
    assert log.summary.lost_s == 0
    # Steps 1 and 3 (20-40 s, 60-80 s) were walked backward: 40 s, to a sample.
    assert log.summary.backward_s == pytest.approx(40.0, abs=1.0)
    assert log.backward_s == pytest.approx(log.summary.backward_s, abs=0.01)
    assert recorder.path.name.endswith("-retro-intro.jsonl")


async def test_samples_are_deltas_with_a_full_sample_every_minute(tmp_path: Path) -> None:
    """Between full samples (one a minute) a line holds only what changed since the last."""
    recorder = await record_walk(tmp_path, 150.0)
    assert recorder.path is not None
    lines = [json.loads(line) for line in recorder.path.read_text().splitlines()]
    full = [line["t"] for line in lines if line["kind"] == "sample"]
    assert len(full) == 3  # at about 1 s, 61 s and 121 s
    assert all(59 <= b - a <= 61 for a, b in itertools.pairwise(full))
    deltas = [line for line in lines if line["kind"] == "delta"]
    assert len(deltas) > 140
    mid_step = next(d for d in deltas if 5 < d["t"] < 15)
    assert "direction" not in mid_step  # unchanged within a step
    assert mid_step["distance_m"] == pytest.approx(mid_step["t"], abs=0.3)
    turn = next(d for d in deltas if 20 < d["t"] < 21.5)
    assert turn["direction"] == "backward"


async def test_samples_read_back_as_the_snapshots_to_the_millimetre(tmp_path: Path) -> None:
    """Every sample the reader rebuilds is the Snapshot's to_dict(), floats to 3 decimals."""
    bus = Bus()
    channel = bus.subscribe("recorder", snapshots="latest")  # no `latest`: from the channel
    published = [snapshot(0.1 + i, distance_m=i * 1.23456789) for i in range(70)]
    async with SessionRecorder(tmp_path) as recorder, asyncio.TaskGroup() as tg:
        task = tg.create_task(recorder.run(channel, HEADER))
        for item in published:
            bus.publish(item)
            await asyncio.sleep(1.0)
        bus.close()
    path = task.result()
    assert path is not None
    samples = read_log(path).samples
    assert len(samples) == 70
    for sample, item in zip(samples, published, strict=True):
        expected = item.to_dict()
        assert set(sample.fields) == set(expected)
        for key, value in expected.items():
            if isinstance(value, float):
                assert sample.fields[key] == pytest.approx(value, abs=0.0005), key
            else:
                assert sample.fields[key] == value, key


async def test_event_lines_are_event_to_dict(tmp_path: Path) -> None:
    """Each event line is {"kind": "event", **Event.to_dict()}: the same JSON as MQTT."""
    command = Command(CommandKind.NUDGE_SPEED, Origin.KEYBOARD, value=0.5)
    items: list[ev.Event] = [
        step_started(0.0, 0),
        ev.CommandHandled(t=0.5, origin=Origin.KEYBOARD, result=CommandResult(command, False, "x")),
        ev.Hold(t=0.7, cause=ev.HoldCause.SAFETY_KEY, detail="key", advice="insert it"),
        ev.Connected(
            t=0.0, name="T", address="A", speed_range=(0.5, 20.0, 0.1), incline_range=None,
            controllable=True,
        ),
    ]  # fmt: skip
    bus = Bus()
    channel = bus.subscribe("recorder", snapshots="none")
    async with SessionRecorder(tmp_path) as recorder, asyncio.TaskGroup() as tg:
        task = tg.create_task(recorder.run(channel, HEADER, latest=lambda: bus.latest))
        for item in items:
            bus.publish(item)
        bus.close()
    path = task.result()
    assert path is not None
    assert [dict(e.fields) for e in read_log(path).events] == [i.to_dict() for i in items]
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line for line in lines if line["kind"] == "event"] == [
        {"kind": "event", **i.to_dict()} for i in items
    ]


async def test_a_remote_command_keeps_its_origin(tmp_path: Path) -> None:
    """A command event keeps who sent it (keyboard, remote, ...)."""
    bus = Bus()
    channel = bus.subscribe("recorder", snapshots="none")
    command = Command(CommandKind.PAUSE, Origin.REMOTE, request_id="r1")
    async with SessionRecorder(tmp_path) as recorder, asyncio.TaskGroup() as tg:
        task = tg.create_task(recorder.run(channel, HEADER, latest=lambda: bus.latest))
        bus.publish(
            ev.CommandHandled(t=1.0, origin=Origin.REMOTE, result=CommandResult(command, True))
        )
        bus.close()
    path = task.result()
    assert path is not None
    [handled] = read_log(path).events
    assert handled.fields["origin"] == "remote"
    assert handled.fields["result"]["command"] == {
        "kind": "pause",
        "origin": "remote",
        "value": None,
        "request_id": "r1",
    }


async def test_what_was_published_is_on_disk_within_a_second(tmp_path: Path) -> None:
    """An event and its moment's sample are on disk a second later (a kill loses <= 1 s)."""
    bus = Bus()
    channel = bus.subscribe("recorder", snapshots="none")
    recorder = SessionRecorder(tmp_path)
    async with recorder, asyncio.TaskGroup() as tg:
        tg.create_task(recorder.run(channel, HEADER, latest=lambda: bus.latest))
        await asyncio.sleep(0.3)
        bus.publish(step_started(0.3, 0))
        bus.publish(snapshot(0.3))
        await asyncio.sleep(1.0)
        assert recorder.path is not None
        on_disk = recorder.path.read_text()
        assert '"type":"StepStarted"' in on_disk
        assert '"kind":"sample","t":0.3' in on_disk
        assert on_disk.endswith("\n")
        bus.close()


async def test_writes_spaced_in_wall_time_wait_for_it_and_lose_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """min_write_wall_s (fast mode): no write until that much wall time passed; all at the end."""
    wall = [100.0]
    monkeypatch.setattr("retrowalk.sinks.recorder.time.monotonic", lambda: wall[0])
    bus = Bus()
    channel = bus.subscribe("recorder", snapshots="none")
    recorder = SessionRecorder(tmp_path, min_write_wall_s=0.05)
    async with recorder, asyncio.TaskGroup() as tg:
        tg.create_task(recorder.run(channel, HEADER, latest=lambda: bus.latest))
        await asyncio.sleep(0.3)  # the first pass writes the header
        bus.publish(step_started(0.3, 0))
        for second in range(1, 6):
            bus.publish(snapshot(float(second)))
            await asyncio.sleep(1.0)  # five workout seconds in no wall time at all
        assert recorder.path is not None
        assert _kinds(recorder.path) == ["header"]  # written once, when it began
        wall[0] += 0.1
        await asyncio.sleep(1.0)
        assert "StepStarted" in recorder.path.read_text()
        assert _kinds(recorder.path).count("sample") + _kinds(recorder.path).count("delta") >= 5
        bus.close()
    assert _kinds(recorder.path)[-1] == "summary"


async def test_a_cancelled_recorder_keeps_what_was_queued_and_says_so(tmp_path: Path) -> None:
    """Cancelled (the wiring failed): queued events saved, summary "interrupted", belt unknown."""
    bus = Bus()
    channel = bus.subscribe("recorder", snapshots="none")
    recorder = SessionRecorder(tmp_path)
    async with recorder:
        task = asyncio.create_task(recorder.run(channel, HEADER, latest=lambda: bus.latest))
        await asyncio.sleep(2.5)
        bus.publish(step_started(2.5, 1))  # queued, not yet consumed
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert recorder.path is not None
    log = read_log(recorder.path)
    assert log.events[-1].type == "StepStarted"
    assert log.summary is not None
    assert log.summary.ended == "interrupted"
    assert log.summary.reason == "the recording stopped before the workout ended"
    assert log.summary.belt_stopped is None  # the engine never said: no guess


async def test_an_aborted_run_keeps_the_engines_reason_and_belt_state(tmp_path: Path) -> None:
    """The summary says what the Aborted event said: the reason, and a belt not seen stopped."""
    bus = Bus()
    channel = bus.subscribe("recorder", snapshots="none")
    async with SessionRecorder(tmp_path) as recorder, asyncio.TaskGroup() as tg:
        task = tg.create_task(recorder.run(channel, HEADER, latest=lambda: bus.latest))
        bus.publish(snapshot(3.0))
        bus.publish(
            ev.Aborted(
                t=3.0, reason="emergency stop", elapsed_s=3.0, distance_m=2.0, energy_kcal=0.1,
                belt_stopped=False,
            )
        )  # fmt: skip
        bus.close()
    path = task.result()
    assert path is not None
    summary = read_log(path).summary
    assert summary is not None
    assert (summary.ended, summary.reason) == ("aborted", "emergency stop")
    assert summary.belt_stopped is False
    assert summary.distance_m == 2.0


async def test_non_finite_numbers_are_written_as_null(tmp_path: Path) -> None:
    """A NaN or infinite value never reaches the log as NaN/Infinity (readers refuse those)."""
    bus = Bus()
    channel = bus.subscribe("recorder", snapshots="none")
    async with SessionRecorder(tmp_path) as recorder, asyncio.TaskGroup() as tg:
        task = tg.create_task(recorder.run(channel, HEADER, latest=lambda: bus.latest))
        bus.publish(snapshot(0.5, actual_speed_kmh=math.nan, energy_kcal=math.inf))
        bus.publish(ev.Override(t=0.6, what="speed", value=math.inf, planned=None))
        await asyncio.sleep(1.0)
        bus.close()
    path = task.result()
    assert path is not None
    text = path.read_text()
    assert "NaN" not in text
    assert "Infinity" not in text
    log = read_log(path)
    assert log.samples[0].speed_kmh is None
    assert log.events[0].fields["value"] is None


async def test_two_sessions_in_the_same_second_get_distinct_files(tmp_path: Path) -> None:
    """A second session started in the same second never overwrites the first."""
    paths = []
    for _ in range(2):
        bus = Bus()
        channel = bus.subscribe("recorder", snapshots="none")
        async with SessionRecorder(tmp_path) as recorder:
            bus.close()
            paths.append(await recorder.run(channel, HEADER))
    assert paths[0] != paths[1]
    assert all(p is not None and p.exists() for p in paths)


async def test_a_recorder_records_one_session(tmp_path: Path) -> None:
    """Reusing a recorder is a clear error, not a second log in the same object."""
    recorder = await record_walk(tmp_path, 2.0)
    with pytest.raises(SessionError, match="records one session"):
        async with recorder:
            pass


async def test_an_hour_of_log_is_under_a_megabyte(tmp_path: Path) -> None:
    """Delta samples keep an hour of walking (3600 samples, 180 steps) under 1 MB."""
    recorder = await record_walk(tmp_path, 3600.0)
    assert recorder.path is not None
    assert recorder.path.stat().st_size < 1_000_000
    assert _kinds(recorder.path).count("sample") == 60


async def test_a_killed_log_still_reads_to_its_last_whole_line(tmp_path: Path) -> None:
    """Any prefix of a log (a kill at any byte) reads with the one reader, to its last sample."""
    recorder = await record_walk(tmp_path, 130.0)
    assert recorder.path is not None
    data = recorder.path.read_bytes()
    whole = read_log(recorder.path)
    cut = tmp_path / "cut.jsonl"
    for fraction in (0.2, 0.5, 0.77, 0.99):
        cut.write_bytes(data[: int(len(data) * fraction)])
        log = read_log(cut)
        assert log.state == LogState.KILLED
        assert log.samples
        last = log.samples[-1]
        assert last.fields == whole.samples[len(log.samples) - 1].fields


async def test_a_failing_notice_never_stops_the_recording(tmp_path: Path) -> None:
    """An on_problem hook that raises is logged; the recorder goes on and completes the log."""

    def broken(message: str) -> None:
        raise RuntimeError(message)

    def refuse(fd: int, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    recorder = await record_walk(tmp_path, 5.0, on_problem=broken, io=LogIO(write=refuse))
    assert recorder.summary is not None
    assert recorder.summary["ended"] == "finished"


async def test_a_value_json_cannot_hold_is_kept_as_text(tmp_path: Path) -> None:
    """An event field that is not JSON (a path, a set) is written as its text, never a crash."""
    bus = Bus()
    channel = bus.subscribe("recorder", snapshots="none")
    async with SessionRecorder(tmp_path) as recorder, asyncio.TaskGroup() as tg:
        task = tg.create_task(recorder.run(channel, HEADER))
        bus.publish(ev.Notice(t=0.1, message=tmp_path))  # type: ignore[arg-type]
        bus.close()
    path = task.result()
    assert path is not None
    [notice] = read_log(path).events
    assert notice.fields["message"] == str(tmp_path)
