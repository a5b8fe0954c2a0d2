"""The spoken lead before every change: ChangeAhead (or EndAhead before the end), once a second.

A countdown counts down to the moment the step ends, which is when the belt starts to slow down
for a turn or a rest, or, at the end of the workout, to stop. The end gets at least five seconds
of warning, so the person is never surprised by a belt that stops.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from retrowalk.engine.events import ChangeAhead, EndAhead
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from retrowalk.engine.session import Session
    from retrowalk.workout.plan import Step

_EPS = 1e-6
_END_LEAD_S = 5.0


class Countdown:
    """Announces the seconds before the current step ends, each at most once."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self._sent: set[int] = set()

    def reset(self) -> None:
        """A new step: its countdown has said nothing yet."""
        self._sent = set()

    def lead_s(self) -> float:
        """Return how many seconds ahead the current change is announced."""
        last = self.s.index + 1 >= len(self.s.plan.steps)
        return max(self.s.plan.countdown_s, _END_LEAD_S) if last else self.s.plan.countdown_s

    def next_second(self, remaining: float, now: float) -> float:
        """Return when the next countdown second falls (inf when none is left)."""
        wake = math.inf
        for n in range(1, math.ceil(self.lead_s()) + 1):
            if remaining - n > _EPS:
                wake = min(wake, now + remaining - n)
        return wake

    def announce(self, step: Step, remaining: float, *, ending_stops_belt: bool) -> None:
        """Publish the countdown seconds that `remaining` seconds before the change have reached."""
        s = self.s
        steps = s.plan.steps
        last = s.index + 1 >= len(steps)
        facing = step.direction if step.direction != Direction.REST else s.facing
        for n in range(math.ceil(self.lead_s()), 0, -1):
            if n in self._sent or remaining > n + _EPS:
                continue
            self._sent.add(n)
            if remaining <= n - 1 + _EPS:
                continue  # that second is already past
            if last:
                if ending_stops_belt:
                    s.publish(EndAhead(t=s.elapsed(), seconds=n))
                continue
            upcoming = steps[s.index + 1]
            s.publish(
                ChangeAhead(
                    t=s.elapsed(),
                    seconds=n,
                    next_index=upcoming.index,
                    next_direction=upcoming.direction,
                    next_speed_kmh=upcoming.speed.start_kmh if upcoming.speed else None,
                    next_incline_pct=upcoming.incline_pct,
                    turn=upcoming.direction not in {Direction.REST, facing},
                )
            )
