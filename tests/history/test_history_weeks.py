"""Totals per ISO week on a made-up history: local weeks, the turn of the year, killed runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from retrowalk.history import list_sessions, week_totals
from session_logs import header_line, summary_line, write_lines

if TYPE_CHECKING:
    from pathlib import Path

# (started, minutes walked, how it ended); each walk is 1 m/s, 0.1 kcal/s, half of it backward.
HISTORY = [
    ("2026-02-23T07:00:00+01:00", 30, "finished"),  # Monday, 2026-W09
    ("2026-02-25T07:00:00+01:00", 20, "aborted"),
    ("2026-03-01T23:30:00-05:00", 10, "finished"),  # Sunday night here, Monday in UTC: W09
    ("2026-03-02T07:00:00+01:00", 25, "finished"),  # 2026-W10
    ("2026-12-28T07:00:00+01:00", 40, "finished"),  # 2026 has 53 ISO weeks
    ("2027-01-03T07:00:00+01:00", 15, "finished"),  # a Sunday: still 2026-W53
    ("2027-01-04T07:00:00+01:00", 35, "finished"),  # 2027-W01
]


def _history(folder: Path) -> None:
    for i, (started, minutes, ended) in enumerate(HISTORY):
        write_lines(
            folder / f"{i}.jsonl",
            header_line("Walk", started),
            summary_line(minutes * 60.0, ended=ended),
        )
    # A run killed after 12 minutes, 4 of them backward, counts what it logged.
    sample = {"kind": "sample", "t": 720.0, "workout_elapsed_s": 720.0, "distance_m": 700.0}
    sample |= {"energy_kcal": 50.0, "state": "running", "direction": "forward"}
    sample["recorder"] = {"backward_s": 240.0}
    write_lines(folder / "killed.jsonl", header_line("Walk", "2026-03-04T07:00+01:00"), sample)


def test_weeks_total_sessions_minutes_backward_distance_energy(tmp_path: Path) -> None:
    """Each ISO week sums its sessions; weeks run Monday to Sunday in the walker's own time."""
    _history(tmp_path)
    weeks = {w.label: w for w in week_totals(list_sessions(tmp_path))}
    assert list(weeks) == ["2026-W09", "2026-W10", "2026-W53", "2027-W01"]
    w09 = weeks["2026-W09"]
    assert (w09.sessions, w09.minutes, w09.backward_minutes) == (3, 60.0, 30.0)
    assert w09.distance_m == 3600.0
    assert w09.energy_kcal == pytest.approx(360.0)
    w10 = weeks["2026-W10"]
    assert (w10.sessions, w10.minutes, w10.backward_minutes) == (2, 37.0, 16.5)
    assert w10.distance_m == 1500.0 + 700.0
    assert weeks["2026-W53"].sessions == 2
    assert weeks["2026-W53"].minutes == 55.0
    assert weeks["2027-W01"].to_dict() == {
        "week": "2027-W01",
        "sessions": 1,
        "minutes": 35.0,
        "backward_minutes": 17.5,
        "distance_m": 2100.0,
        "energy_kcal": 210.0,
    }


def test_no_sessions_no_weeks() -> None:
    """An empty history has no weeks (not a week of zeros)."""
    assert week_totals([]) == []
