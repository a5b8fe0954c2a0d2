"""The workout bar as data: which glyph each cell shows, and where the person is (pure).

Every turn-around gets a cell of its own, however short its window against the workout (a
12 s turn in a 25-minute workout is less than a cell at 80 columns). Forward, backward and rest
differ by glyph as well as colour. The position only moves forward: a turn's window that ends
early or late, a confirmation that waits, the end of the workout never move it back; only the
person's own "back" (B) does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.engine.events import EngineState, Finished
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from retrowalk.cli.tui_view import View
    from retrowalk.workout.plan import Plan

TURN = None  # a cell's kind: a Direction, or TURN for a turn-around
GLYPHS: dict[Direction | None, tuple[str, str]] = {
    Direction.FORWARD: ("█", "green"),
    Direction.BACKWARD: ("▒", "magenta"),
    Direction.REST: ("·", "blue"),
    TURN: ("┃", "yellow"),
}
LEGEND = ((Direction.FORWARD, "forward"), (Direction.BACKWARD, "backward"), (TURN, "turn"))


def bar_cells(plan: Plan, width: int) -> list[tuple[float, Direction | None]]:
    """Return (moment at the cell's middle, kind) for each of `width` cells; every turn shown."""
    total = plan.totals.duration_with_turns_s or 1.0
    cells: list[tuple[float, Direction | None]] = []
    for x in range(width):
        moment = (x + 0.5) / width * total
        cells.append((moment, _kind_at(plan, moment)))
    for transition in plan.transitions[:width]:
        start, end = transition.start_s, transition.start_s + transition.turn.window_s
        inside = [x for x, (moment, _) in enumerate(cells) if start <= moment < end]
        for x in inside:  # the marker goes on the first; the rest read as the walking after
            cells[x] = (cells[x][0], transition.to_direction)
        at = inside[0] if inside else min(width - 1, int(start / total * width))
        free = [x for x in range(width) if cells[x][1] is not TURN]
        at = min(free, key=lambda x: (abs(x - at), x < at))
        cells[at] = (cells[at][0], TURN)
    return cells


def _kind_at(plan: Plan, moment: float) -> Direction | None:
    for step in plan.steps:
        if step.start_s <= moment < step.start_s + step.planned_s:
            return step.direction
    return TURN


def raw_position(plan: Plan, view: View) -> float:
    """Return where the engine's latest snapshot puts the workout on the plan's timeline (s)."""
    snap = view.snapshot
    if snap is not None and view.state is EngineState.TURNING and view.turn is not None:
        transition = plan.transition_before(view.turn.before_step)
        if transition is not None:
            window = transition.turn.window_s
            left = snap.turn_remaining_s if snap.turn_remaining_s is not None else window
            return transition.start_s + max(0.0, min(window, window - left))
    if snap is None or snap.step_index is None:
        return 0.0
    if not 0 <= snap.step_index < len(plan.steps):
        return plan.totals.duration_with_turns_s
    step = plan.steps[snap.step_index]
    return step.start_s + max(0.0, min(step.planned_s, snap.step_elapsed_s))


@dataclass(frozen=True)
class Timeline:
    """Where the position marker stands; `after` moves it on, never back (but for a rewind)."""

    position_s: float = 0.0
    rewinds: int = 0

    def after(self, plan: Plan, view: View) -> Timeline:
        """Return the marker after `view`: forward only, at the end when finished."""
        if isinstance(view.ended, Finished):
            return Timeline(plan.totals.duration_with_turns_s, view.rewinds)
        now = raw_position(plan, view)
        if view.rewinds != self.rewinds and not view.ended_or_closed:
            snap = view.snapshot
            if snap is None or snap.step_index != view.step_seen:
                return self  # the snapshot has not caught up with the step gone back to yet
            return Timeline(now, view.rewinds)
        return Timeline(max(self.position_s, now), self.rewinds)
