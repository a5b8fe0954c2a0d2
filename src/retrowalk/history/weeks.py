"""Totals per ISO week of a session history (`retrowalk sessions --week`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from retrowalk.history.entry import SessionEntry


@dataclass(frozen=True)
class WeekTotals:
    """One ISO week (Monday to Sunday, in each session's own local time)."""

    year: int  # the ISO year, which differs from the calendar year around New Year
    week: int
    sessions: int
    minutes: float
    backward_minutes: float
    distance_m: float
    energy_kcal: float

    @property
    def label(self) -> str:
        """The week as ISO 8601 writes it: 2026-W09."""
        return f"{self.year}-W{self.week:02d}"

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form (`sessions --week --json`)."""
        return {
            "week": self.label,
            "sessions": self.sessions,
            "minutes": round(self.minutes, 1),
            "backward_minutes": round(self.backward_minutes, 1),
            "distance_m": round(self.distance_m, 1),
            "energy_kcal": round(self.energy_kcal, 1),
        }


def week_totals(sessions: Iterable[SessionEntry]) -> list[WeekTotals]:
    """Return the totals of each ISO week that has a session, oldest first.

    A session counts in the week it started; what it logged counts, however it ended.
    """
    weeks: dict[tuple[int, int], list[SessionEntry]] = {}
    for session in sessions:
        if session.started is None:
            continue
        year, week, _ = session.started.isocalendar()
        weeks.setdefault((year, week), []).append(session)
    return [_totals(year, week, group) for (year, week), group in sorted(weeks.items())]


def _totals(year: int, week: int, group: list[SessionEntry]) -> WeekTotals:
    return WeekTotals(
        year=year,
        week=week,
        sessions=len(group),
        minutes=sum(s.elapsed_s or 0.0 for s in group) / 60,
        backward_minutes=sum(s.backward_s or 0.0 for s in group) / 60,
        distance_m=sum(s.distance_m or 0.0 for s in group),
        energy_kcal=sum(s.energy_kcal or 0.0 for s in group),
    )
