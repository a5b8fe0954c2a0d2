"""The one reader of session logs: old formats, killed logs, and files that are not logs."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from retrowalk.errors import SessionError
from retrowalk.history import LogState, read_log
from session_logs import header_line, record_walk, summary_line, write_lines

V1 = Path(__file__).parent / "data" / "v1-tiny-retro.jsonl"


def test_a_format_1_log_still_reads() -> None:
    """A log written before the format changed (format 1, full samples) reads whole."""
    log = read_log(V1)
    assert log.state == LogState.COMPLETE
    assert log.header.format == 1
    assert log.header.workout == "Tiny Retro"
    assert log.header.simulated is True
    assert len(log.samples) == 56
    assert log.samples[-1].distance_m == pytest.approx(30.0, abs=0.5)
    assert [e.type for e in log.events_of("StepStarted", "StepFinished")] == [
        "StepStarted",
        "StepFinished",
    ] * 2
    assert log.summary is not None
    assert log.summary.ended == "finished"
    assert log.summary.distance_m == pytest.approx(30.2, abs=0.1)
    assert log.summary.backward_s is None  # format 1 did not keep it...
    assert log.backward_s == pytest.approx(15.0, abs=1.5)  # ...the reader counts it


def test_an_unversioned_log_reads_as_format_1(tmp_path: Path) -> None:
    """A header without "format" is the first format."""
    lines = V1.read_text().splitlines()
    header = json.loads(lines[0])
    del header["format"]
    path = tmp_path / "old.jsonl"
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    log = read_log(path)
    assert log.header.format == 1
    assert len(log.samples) == 56


def test_a_killed_format_1_log_reads_to_its_last_sample(tmp_path: Path) -> None:
    """A format-1 log cut mid-line (killed) reads up to its last whole line."""
    data = V1.read_bytes()
    path = tmp_path / "killed.jsonl"
    path.write_bytes(data[: len(data) // 2])
    log = read_log(path)
    assert log.state == LogState.KILLED
    assert log.summary is None
    assert 0 < len(log.samples) < 56


async def test_a_log_of_a_newer_format_is_refused_by_name(tmp_path: Path) -> None:
    """Format 3 is not guessed at: the error names the file, the version and what to do."""
    header = {**header_line("X", "2026-01-01T10:00"), "format": 3}
    path = write_lines(tmp_path / "new.jsonl", header)
    with pytest.raises(SessionError, match=r"new\.jsonl:1: written in log format 3.*upgrade"):
        read_log(path)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "not a session log line"),
        ('{"kind": "event", "type": "X", "t": NaN}', "NaN is not a number"),
        ('{"kind": "event", "type": "X", "t": Infinity}', "Infinity is not a number"),
        ('{"kind": "event", "type": "X", "t": 1e999}', "too large"),
        ("[1, 2]", "expected a JSON object"),
        ('{"kind": "delta", "t": 3.0}', "no full sample before it"),
        ('{"kind": "event", "t": 1.0}', "without a type"),
        ("[" * 100_000, "not a session log line"),
    ],
    ids=["text", "nan", "infinity", "overflow", "array", "delta-first", "untyped", "deep"],
)
def test_a_bad_line_names_the_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    """A line that is not strict JSON of the format is an error at FILE:LINE, never a crash."""
    path = tmp_path / "bad.jsonl"
    header = json.dumps(header_line("X", "2026-01-01T10:00"))
    path.write_text(f"{header}\n{line}\n{json.dumps(summary_line(10))}\n")
    with pytest.raises(SessionError, match=rf"bad\.jsonl:2: .*{reason}"):
        read_log(path)


def test_a_file_that_is_not_a_log_says_so(tmp_path: Path) -> None:
    """An empty file, or JSON lines without a header, is 'not a retrowalk session log'."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    other = write_lines(tmp_path / "other.jsonl", {"kind": "sample", "t": 0})
    for path in (empty, other):
        with pytest.raises(SessionError, match="no session header"):
            read_log(path)


def test_special_files_are_refused_without_blocking(tmp_path: Path) -> None:
    """A FIFO, a link to /dev/zero and a folder are named and refused, never read."""
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.jsonl"
    zero.symlink_to("/dev/zero")
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    for path, kind in ((fifo, "a FIFO"), (zero, "a character device"), (folder, "a directory")):
        with pytest.raises(SessionError, match=rf"{path.name}: not a session log: {kind}"):
            read_log(path)


def test_a_file_too_large_for_a_log_is_refused(tmp_path: Path) -> None:
    """A 100 MB file is refused by its size, before anything is read."""
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as file:
        file.truncate(100_000_000)  # sparse: costs nothing
    with pytest.raises(SessionError, match=r"huge\.jsonl: too large .*100\.0 MB; at most 67 MB"):
        read_log(path)


async def test_gaps_say_what_a_write_failure_lost(tmp_path: Path) -> None:
    """A gap line is read as a Gap; the samples after it start afresh."""
    recorder = await record_walk(tmp_path, 3.0)
    assert recorder.path is not None
    lines = recorder.path.read_text().splitlines()
    gap = {"kind": "gap", "from_t": 4.0, "to_t": 9.0, "lost_s": 6.0, "reason": "No space"}
    full = json.loads(next(line for line in lines if '"kind":"sample"' in line))
    full["t"] = 10.0
    path = tmp_path / "gap.jsonl"
    path.write_text("\n".join([*lines[:-1], json.dumps(gap), json.dumps(full), lines[-1]]) + "\n")
    log = read_log(path)
    [read] = log.gaps
    assert (read.from_t, read.to_t, read.lost_s, read.reason) == (4.0, 9.0, 6.0, "No space")
    assert log.samples[-1].t == 10.0


async def test_engine_time_maps_to_the_wall_clock(tmp_path: Path) -> None:
    """wall_time(t) gives real times for records (exports), from the log's own clock ties."""
    recorder = await record_walk(tmp_path, 130.0)
    assert recorder.path is not None
    log = read_log(recorder.path)
    assert len(log.clock) == 3  # one tie per full sample, a minute apart
    first, last = log.samples[0], log.samples[-1]
    start, end = log.wall_time(first.t), log.wall_time(last.t)
    assert start is not None
    assert end is not None
    assert (end - start).total_seconds() == pytest.approx(last.t - first.t, abs=0.01)
    old = read_log(V1)
    assert old.clock == ()
    assert old.header.started is not None
    assert old.wall_time(10.0) == old.header.started + timedelta(seconds=10)
