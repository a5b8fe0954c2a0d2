"""The session folder: the quick listing agrees with the full reader; junk is skipped by name."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from retrowalk.errors import SessionError
from retrowalk.history import (
    LogState,
    find_session,
    list_sessions,
    read_log,
    scan_sessions,
    summarize,
)
from retrowalk.history.locks import hold
from session_logs import header_line, record_walk, summary_line, write_lines

V1 = Path(__file__).parent / "data" / "v1-tiny-retro.jsonl"


def _same_as_full_read(path: Path) -> None:
    entry = summarize(path)
    log = read_log(path)
    last = log.last_sample
    assert entry.state == log.state
    assert entry.workout == log.header.workout
    assert entry.started == log.header.started
    assert entry.backward_s == pytest.approx(log.backward_s, abs=0.01)
    if log.summary is not None:
        assert entry.ended == log.summary.ended
        assert entry.distance_m == log.summary.distance_m
    elif last is not None:
        assert entry.elapsed_s == last.elapsed_s
        assert entry.distance_m == last.distance_m
        assert entry.energy_kcal == last.energy_kcal


async def test_the_listing_agrees_with_the_whole_log(tmp_path: Path) -> None:
    """Header plus tail give the same totals as reading every line: finished, killed, old."""
    recorder = await record_walk(tmp_path, 400.0)
    assert recorder.path is not None
    data = recorder.path.read_bytes()
    _same_as_full_read(recorder.path)
    _same_as_full_read(V1)
    cut = tmp_path / "cut.jsonl"
    header_end = data.index(b"\n") + 1
    for size in (header_end, header_end + 300, len(data) // 3, len(data) - 500):
        cut.write_bytes(data[:size])
        assert summarize(cut).ended == "incomplete"
        _same_as_full_read(cut)


async def test_a_log_held_by_a_live_recorder_is_running(tmp_path: Path) -> None:
    """A log whose writer holds its lock lists as running; once released, as killed."""
    recorder = await record_walk(tmp_path, 30.0)
    assert recorder.path is not None
    lines = recorder.path.read_bytes().splitlines(keepends=True)
    live = tmp_path / "live.jsonl"
    live.write_bytes(b"".join(lines[:-1]))  # no summary yet
    fd = os.open(live, os.O_WRONLY | os.O_APPEND)
    try:
        hold(fd)
        entry = summarize(live)
        assert (entry.state, entry.ended) == (LogState.RUNNING, "running")
        assert read_log(live).state == LogState.RUNNING
    finally:
        os.close(fd)
    entry = summarize(live)
    assert (entry.state, entry.ended) == (LogState.KILLED, "incomplete")


def test_files_that_are_not_logs_are_skipped_and_named(tmp_path: Path) -> None:
    """Bad JSON, Infinity, a FIFO, a link to /dev/zero, a huge file: each skipped, one reason."""
    good = write_lines(
        tmp_path / "good.jsonl", header_line("Good", "2026-03-01T09:00:00+00:00"), summary_line(60)
    )
    write_lines(
        tmp_path / "inf.jsonl",
        header_line("Inf", "2026-03-02T09:00"),
        tail='{"kind": "summary", "ended": "finished", "elapsed_s": Infinity}\n',
    )
    (tmp_path / "garbage.jsonl").write_bytes(b"\x00\xffgarbage")
    os.mkfifo(tmp_path / "fifo.jsonl")
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
    with (tmp_path / "huge.jsonl").open("wb") as file:
        file.truncate(100_000_000)
    (tmp_path / "notes.txt").write_text("not a log, not looked at")
    listing = scan_sessions(tmp_path)
    assert [s.path for s in listing.sessions] == [good]
    reasons = {s.path.name: s.reason for s in listing.skipped}
    assert sorted(reasons) == [f"{n}.jsonl" for n in ("fifo", "garbage", "huge", "inf", "zero")]
    assert "Infinity is not a number" in reasons["inf.jsonl"]
    assert "a FIFO" in reasons["fifo.jsonl"]
    assert "a character device" in reasons["zero.jsonl"]
    assert "too large" in reasons["huge.jsonl"]
    assert all(str(tmp_path) in r and "\n" not in r for r in reasons.values())


async def test_a_changed_log_is_read_again(tmp_path: Path) -> None:
    """The listing's index never hides a change: a log that grew is summarized afresh."""
    recorder = await record_walk(tmp_path, 20.0)
    assert recorder.path is not None
    lines = recorder.path.read_text().splitlines(keepends=True)
    recorder.path.write_text("".join(lines[:-1]))
    assert [s.ended for s in list_sessions(tmp_path)] == ["incomplete"]
    recorder.path.write_text("".join(lines))
    assert [s.ended for s in list_sessions(tmp_path)] == ["finished"]


async def test_the_index_is_only_a_cache(tmp_path: Path) -> None:
    """A corrupt index, or one that cannot be written, changes nothing in the listing."""
    for i in range(3):
        write_lines(
            tmp_path / f"{i}.jsonl",
            header_line(f"W{i}", f"2026-03-0{i + 1}T09:00:00+00:00"),
            summary_line(60 * (i + 1)),
        )
    first = [s.to_dict() for s in list_sessions(tmp_path)]
    assert [s.to_dict() for s in list_sessions(tmp_path)] == first
    (tmp_path / ".index.json").write_text('{"version": 1, "entries": {"0.jsonl": {"key": 1}}}')
    assert [s.to_dict() for s in list_sessions(tmp_path)] == first
    (tmp_path / ".index.json").write_text("[" * 50_000)
    assert [s.to_dict() for s in list_sessions(tmp_path)] == first
    (tmp_path / ".index.json").unlink()
    (tmp_path / ".index.json").mkdir()  # an index that cannot be written
    assert [s.to_dict() for s in list_sessions(tmp_path)] == first


def test_a_missing_folder_lists_nothing(tmp_path: Path) -> None:
    """No folder yet (no session ever recorded): an empty listing, not an error."""
    listing = scan_sessions(tmp_path / "none")
    assert (listing.sessions, listing.skipped) == ([], [])


def test_sessions_are_found_by_path_name_or_last(tmp_path: Path) -> None:
    """`last`, a file name from the listing (with or without .jsonl), or a path find a session."""
    for day in (2, 1):
        write_lines(
            tmp_path / f"2026030{day}-090000-w.jsonl",
            header_line(f"Day {day}", f"2026-03-0{day}T09:00:00+00:00"),
            summary_line(60),
        )
    assert find_session("last", tmp_path).workout == "Day 2"
    assert find_session("20260301-090000-w", tmp_path).workout == "Day 1"
    assert find_session(str(tmp_path / "20260302-090000-w.jsonl")).workout == "Day 2"
    with pytest.raises(SessionError, match="no session 'nope'"):
        find_session("nope", tmp_path)
    with pytest.raises(SessionError, match="no sessions recorded"):
        find_session("last", tmp_path / "empty")


def test_a_listing_entry_round_trips_through_json(tmp_path: Path) -> None:
    """`sessions --json` prints what the entry holds; nothing is lost on the way."""
    write_lines(
        tmp_path / "a.jsonl",
        header_line("A", "2026-03-01T09:00:00+01:00", simulated=True),
        summary_line(90, ended="aborted", reason="emergency stop"),
    )
    [entry] = list_sessions(tmp_path)
    data = json.loads(json.dumps(entry.to_dict()))
    assert data["simulated"] is True
    assert data["reason"] == "emergency stop"
    assert data["started"] == "2026-03-01T09:00:00+01:00"
    assert data["backward_s"] == 45.0


def test_a_summary_longer_than_the_tail_window_is_still_found(tmp_path: Path) -> None:
    """A 40 KB reason (a plan that fits nowhere) does not make a finished log look killed."""
    reason = "does not fit: " + "step x; " * 5000
    path = write_lines(
        tmp_path / "long.jsonl",
        header_line("Long", "2026-03-01T09:00:00+00:00"),
        summary_line(0, ended="aborted", reason=reason),
    )
    entry = summarize(path)
    assert (entry.state, entry.ended) == (LogState.COMPLETE, "aborted")
    assert entry.reason == reason


def test_an_index_cannot_point_an_entry_at_another_file(tmp_path: Path) -> None:
    """An index entry naming another file than its key is not believed."""
    path = write_lines(
        tmp_path / "a.jsonl", header_line("A", "2026-03-01T09:00:00+00:00"), summary_line(60)
    )
    [entry] = list_sessions(tmp_path)
    index = json.loads((tmp_path / ".index.json").read_text())
    index["entries"]["a.jsonl"]["entry"] |= {"file": "../../elsewhere.jsonl", "workout": "Evil"}
    (tmp_path / ".index.json").write_text(json.dumps(index))
    [again] = list_sessions(tmp_path)
    assert (again.path, again.workout) == (path, "A")
    assert again == entry
