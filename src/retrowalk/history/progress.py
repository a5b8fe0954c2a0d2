"""Where a person is in a programme, from their session history: the programme rule.

The rule (docs/reference/retro-walking.md, "Programme rule"), as `due()` applies it to the
real sessions (never the simulated ones), oldest first:

- A week's workout is due until it has been completed `completions` times (2) in its slot: a
  session counts when it finished, with no HOLD for heart rate and no stop by the person in a
  backward interval (`judge()` says why a session does not count).
- More than `repeat_after_days` (10) days without a session repeats the last completed week:
  the week before the due one is due again, its count from nought (at week 1 the count of week 1
  starts again). The same holds between the last session and now.
- A week is never skipped: a session of a later week's workout counts for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from retrowalk.history.laps import lap_at, laps, pauses, span
from retrowalk.history.logformat import BACKWARD
from retrowalk.units import format_duration

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from retrowalk.history.entry import SessionEntry
    from retrowalk.history.model import SessionLog
    from retrowalk.history.programme import Programme, Week

# Holds the person caused (at the console, with the safety key, the emergency stop), and who
# may pause: the person at the laptop or at the console (a coach's remote pause is not theirs).
PERSON_HOLDS = frozenset({"console_stop", "console_pause", "safety_key", "emergency_stop"})
PERSON_ORIGINS = frozenset({"keyboard", "console", "device"})


@dataclass(frozen=True)
class Verdict:
    """What one real session counted for."""

    entry: SessionEntry
    week: int | None  # the programme week whose workout it ran, if any
    counted: bool  # one of the due week's completions
    reason: str  # why (or why not)


@dataclass(frozen=True)
class Due:
    """The workout due now, and why."""

    programme: Programme
    week: Week | None  # None: every week is done
    completions: int  # clean completions of the due week so far
    why: tuple[str, ...]  # what decided it, oldest first
    verdicts: tuple[Verdict, ...]


def judge(log: SessionLog) -> str | None:
    """Return why a session does not count as a completion, or None if it does."""
    if log.summary is None:
        return "it did not end (killed)" if log.state.value == "killed" else "it is still running"
    if log.summary.ended != "finished":
        reason = f" ({log.summary.reason})" if log.summary.reason else ""
        return f"it ended early{reason}"
    start, _ = span(log)
    found = laps(log)
    for pause in pauses(log):
        at = format_duration(max(0.0, pause.start_t - start))
        if pause.kind == "hold" and pause.cause == "heart_rate":
            return f"a HOLD for heart rate at {at}"
        lap = lap_at(found, pause.start_t)
        in_backward = lap is not None and not lap.turn and lap.direction == BACKWARD
        by_person = pause.origin in PERSON_ORIGINS and (
            pause.kind == "pause" or pause.cause in PERSON_HOLDS
        )
        if in_backward and by_person:
            return f"a stop by you in a backward interval at {at}"
    return None


def due(
    programme: Programme,
    sessions: Sequence[SessionEntry],
    judge_session: Callable[[SessionEntry], str | None],
    now: datetime,
) -> Due:
    """Return the workout due at `now` after `sessions`; `judge_session` is judge() on its log.

    Simulated and running sessions and those without a start time are left out; the judge is
    asked only about sessions of the due week's workout.
    """
    real = sorted(
        (s for s in sessions if s.simulated is not True and s.started and s.ended != "running"),
        key=lambda s: s.started.timestamp() if s.started else 0.0,
    )
    gap = timedelta(days=programme.repeat_after_days)
    weeks = len(programme.weeks)
    index, count = 0, 0  # the due week (0-based; == weeks when all are done) and its count
    why: list[str] = []
    verdicts: list[Verdict] = []
    previous: datetime | None = None
    for session in real:
        assert session.started is not None
        started = _aware(session.started)
        if previous is not None and started - previous > gap:
            index, count = _lapse(programme, index, why, previous, started)
        previous = started
        week = _week_walked(programme, index, session.workout)
        number = week.number if week else None
        day = started.date().isoformat()
        if week is None or index >= weeks or week.number != index + 1:
            reason = _other(week, index, weeks)
            verdicts.append(Verdict(session, number, counted=False, reason=reason))
            if week is not None:
                why.append(f"{day}: week {week.number} did not count: {reason}")
            continue
        problem = judge_session(session)
        if problem is not None:
            verdicts.append(Verdict(session, number, counted=False, reason=problem))
            why.append(f"{day}: week {week.number} did not count: {problem}")
            continue
        count += 1
        verdicts.append(Verdict(session, number, counted=True, reason="completed"))
        why.append(f"{day}: week {week.number} completed ({count} of {programme.completions})")
        if count >= programme.completions:
            index, count = index + 1, 0
            if index < weeks:
                why.append(f"week {index} done: week {index + 1} is due")
            else:
                why.append(f"week {index} done: the programme is complete")
    if previous is not None and _aware(now) - previous > gap:
        index, count = _lapse(programme, index, why, previous, _aware(now))
    if not real:
        why.append("no real sessions yet: the programme starts at week 1")
    week = programme.weeks[index] if index < weeks else None
    return Due(programme, week, count, tuple(why), tuple(verdicts))


def _lapse(
    programme: Programme, index: int, why: list[str], before: datetime, after: datetime
) -> tuple[int, int]:
    """Apply the gap rule: return the due week and its count after a long break."""
    days = (after - before).days
    repeat = max(0, index - 1)
    what = "week 1 starts again" if index == 0 else f"week {repeat + 1} repeats"
    why.append(
        f"{days} days without a session after {before.date().isoformat()} (more than "
        f"{programme.repeat_after_days}): {what}"
    )
    return repeat, 0


def _week_walked(programme: Programme, index: int, workout: str) -> Week | None:
    """Return the week a session of `workout` walked: the due one if it is that workout."""
    if index < len(programme.weeks) and programme.weeks[index].title == workout:
        return programme.weeks[index]  # a programme may walk one workout in several weeks
    return programme.week_of(workout)


def _aware(moment: datetime) -> datetime:
    """Return `moment` with its offset; a log without one (a hand-made one) is in local time."""
    return moment if moment.tzinfo is not None else moment.astimezone()


def _other(week: Week | None, index: int, weeks: int) -> str:
    if week is None:
        return "not a workout of the programme"
    if index >= weeks:
        return "the programme was already complete"
    if week.number > index + 1:
        return f"week {index + 1} is due, not week {week.number} (a week is never skipped)"
    return f"week {index + 1} is due; week {week.number} is done already"
