"""The programme rule on a made-up history of the six-week starter, from log files."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from retrowalk.errors import WorkoutError, WorkoutErrors
from retrowalk.history import list_sessions, read_log
from retrowalk.history.programme import load_programme
from retrowalk.history.progress import Due, due, judge
from retrowalk.workout.library import find_workout, library_dir
from walked_logs import week_session

if TYPE_CHECKING:
    from pathlib import Path

    from retrowalk.history.entry import SessionEntry

PROGRAMME = library_dir() / "programmes" / "retro-6-week-starter.yaml"
DAY0 = datetime.fromisoformat("2026-03-02T07:00:00+01:00")

# (day, week, how): see walked_logs.week_session for each "how".
HISTORY = [
    (0, 1, "ok"), (2, 1, "ok"),                            # week 1 done
    (4, 2, "hr"), (6, 2, "ok"), (8, 2, "ok"),              # a HOLD for heart rate: not counted
    (10, 3, "stop-back"), (11, 3, "stop-fwd"), (12, 3, "pause-back"), (13, 3, "coach"),
    (15, 5, "ok"), (16, 4, "sim"), (17, 4, "ok"),          # no skipping; simulated runs ignored
    (30, 4, "ok"),                                         # 13 days: week 3 again, not week 4
    (31, 3, "ok"), (33, 3, "ok"), (35, 4, "ok"), (37, 4, "aborted"), (38, 4, "ok"),
    (40, 5, "ok"), (42, 5, "ok"), (44, 6, "killed"), (45, 6, "ok"), (47, 6, "ok"),
]  # fmt: skip
# The week due just before each session of HISTORY, and after the last one.
DUE_BEFORE = [1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, None]
COUNTED = [True, True, False, True, True, False, True, False, True, False, None, True]
COUNTED += [False, True, True, True, False, True, True, True, False, True, True]


def _history(folder: Path) -> list[SessionEntry]:
    for number, (day, week, how) in enumerate(HISTORY):
        week_session(folder / f"{number:02d}.jsonl", DAY0 + timedelta(days=day), week, how)
    return list_sessions(folder)


def _due(sessions: list[SessionEntry], now: datetime) -> Due:
    programme = load_programme(PROGRAMME, find_workout)
    return due(programme, sessions, lambda entry: judge(read_log(entry.path)), now)


def test_the_six_weeks_with_holds_a_skip_and_a_long_break(tmp_path: Path) -> None:
    """Week by week as the rule says, through all six weeks, one session at a time."""
    sessions = _history(tmp_path)
    assert len(sessions) == len(HISTORY)
    seen = []
    for k, (day, _, _) in enumerate(HISTORY):
        now = DAY0 + timedelta(days=day, minutes=-5)
        week = _due(sessions[:k], now).week
        seen.append(week.number if week else None)
    last = _due(sessions, DAY0 + timedelta(days=48))
    seen.append(last.week.number if last.week else None)
    assert seen == DUE_BEFORE
    assert [v.counted for v in last.verdicts] == [c for c in COUNTED if c is not None]
    by_file = {v.entry.path.name: v.reason for v in last.verdicts}
    assert by_file["02.jsonl"] == "a HOLD for heart rate at 6:40"
    assert by_file["05.jsonl"] == "a stop by you in a backward interval at 6:40"
    assert by_file["07.jsonl"] == "a stop by you in a backward interval at 6:40"
    assert by_file["09.jsonl"] == "week 4 is due, not week 5 (a week is never skipped)"
    assert "10.jsonl" not in by_file  # simulated
    assert by_file["12.jsonl"] == "week 3 is due, not week 4 (a week is never skipped)"
    assert by_file["16.jsonl"] == "it ended early (stop)"
    assert by_file["20.jsonl"] == "it did not end (killed)"
    assert any("13 days without a session after 2026-03-19" in line for line in last.why)


def test_a_break_of_more_than_ten_days_repeats_the_last_completed_week(tmp_path: Path) -> None:
    """11 days after the last session the finished programme repeats week 6; week 1 restarts."""
    sessions = _history(tmp_path)
    assert _due(sessions, DAY0 + timedelta(days=57)).week is None  # 10 days: still done
    again = _due(sessions, DAY0 + timedelta(days=58, hours=1))
    assert again.week is not None
    assert (again.week.number, again.completions) == (6, 0)
    assert "week 6 repeats" in again.why[-1]
    first = _due(sessions[:1], DAY0 + timedelta(days=12))
    assert first.week is not None
    assert (first.week.number, first.completions) == (1, 0)
    assert "week 1 starts again" in first.why[-1]


def test_no_sessions_means_week_1(tmp_path: Path) -> None:
    """An empty history: week 1 is due, and it says so."""
    result = _due([], DAY0)
    assert result.week is not None
    assert result.week.number == 1
    assert result.week.path == find_workout("retro-6-week-starter-week1")
    assert "no real sessions yet" in result.why[-1]


def test_the_bundled_programme_lists_the_six_library_weeks() -> None:
    """Six weeks, each a library workout with its name and declared profile; the rule's numbers."""
    programme = load_programme(PROGRAMME, find_workout)
    assert [w.workout for w in programme.weeks] == [
        f"retro-6-week-starter-week{n}" for n in range(1, 7)
    ]
    assert [w.profile for w in programme.weeks] == ["beginner"] * 3 + ["standard"] + [
        "advanced"
    ] * 2
    assert (programme.completions, programme.repeat_after_days) == (2, 10)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "version: 1\nname: P\nweeks: [no-such-week]\n",
            r"weeks\[0\]: 'no-such-week': no such file",
        ),
        ("version: 1\nname: P\nweeks: []\n", "weeks: List should have at least 1 item"),
        ("version: 2\nname: P\nweeks: [retro-intro]\n", "version"),
        ("version: 1\nname: P\nweeks: [retro-intro]\nadvance: {completions: 0}\n", "completions"),
        ("version: 1\nname: P\nweeks: [retro-intro]\nrule: x\n", "rule"),
        ("weeks: [\n", r":2:1: not valid YAML: expected the node content"),
        ("", "not a programme: a YAML mapping with version, name, weeks"),
        ("- retro-intro\n", "not a programme"),
    ],
)
def test_a_broken_programme_names_the_file_and_the_field(
    tmp_path: Path, text: str, message: str
) -> None:
    """Each problem names the programme file and where in it."""
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises((WorkoutError, WorkoutErrors), match=message) as raised:
        load_programme(path, find_workout)
    assert str(path) in str(raised.value)
    assert "\n" not in str(raised.value)  # one problem, one line


def test_a_log_started_without_an_offset_is_read_in_local_time(tmp_path: Path) -> None:
    """A hand-made log with a naive start time counts beside the others instead of failing."""
    week_session(tmp_path / "a.jsonl", datetime(2026, 3, 2, 7, 0), 1)  # noqa: DTZ001 - on purpose
    week_session(tmp_path / "b.jsonl", DAY0 + timedelta(days=1), 1)
    result = _due(list_sessions(tmp_path), DAY0 + timedelta(days=2))
    assert result.week is not None
    assert result.week.number == 2


def test_a_workout_walked_in_two_weeks_counts_for_the_week_due(tmp_path: Path) -> None:
    """A programme may repeat a workout: its sessions count for whichever of those weeks is due."""
    path = tmp_path / "p.yaml"
    week1 = "retro-6-week-starter-week1"
    path.write_text(f"version: 1\nname: P\nweeks: [{week1}, {week1}, retro-intro]\n")
    programme = load_programme(path, find_workout)
    logs = tmp_path / "logs"
    logs.mkdir()
    for day in range(4):
        week_session(logs / f"{day}.jsonl", DAY0 + timedelta(days=day), 1)
    sessions = list_sessions(logs)
    result = due(programme, sessions, lambda e: judge(read_log(e.path)), DAY0 + timedelta(days=5))
    assert result.week is not None
    assert result.week.number == 3
    assert [v.week for v in result.verdicts] == [1, 1, 2, 2]
