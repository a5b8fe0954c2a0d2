"""The two screens over the main one: "stop and quit?" and the end-of-workout summary.

The summary ends with a picture of the session: a sparkline of the belt's speed and, under it, a
row that marks each column forward, backward, rest or turn by glyph (and colour), so the
backward parts can be told apart without colour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Sparkline, Static

from retrowalk.cli.tui_timeline import GLYPHS, LEGEND
from retrowalk.cli.tui_words import fmt_clock, fmt_speed
from retrowalk.engine.events import Finished
from retrowalk.units import format_distance

if TYPE_CHECKING:
    from textual import events
    from textual.app import ComposeResult

    from retrowalk.cli.tui_trace import Column
    from retrowalk.engine.events import Aborted
    from retrowalk.units import UnitSystem

TRACE_COLUMNS = 50  # the summary box holds 54 columns inside its border and padding


class QuitScreen(ModalScreen[bool]):
    """Ask before stopping the workout; Esc (the app's emergency stop) still works here."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,q", "answer(True)", "Yes, stop and quit"),
        Binding("n", "answer(False)", "No, carry on"),
    ]

    def compose(self) -> ComposeResult:
        """Show the question."""
        with Vertical(id="quit-box"):
            yield Static("Stop the workout and quit?", id="quit-title")
            yield Static("The belt stops, the session is saved.")
            yield Static("[b]Y[/b] or [b]Q[/b]: yes, stop    [b]N[/b]: no, carry on")
            yield Static("[b]Esc[/b]: emergency stop, always", classes="dim")

    def action_answer(self, stop: bool) -> None:  # noqa: FBT001 - Textual action argument
        """Close the question with the answer."""
        self.dismiss(stop)


class SummaryScreen(ModalScreen[None]):
    """The end of the workout: what was done; any key quits."""

    def __init__(
        self,
        ended: Finished | Aborted | None,
        *,
        name: str,
        units: UnitSystem = "metric",
        trace: list[Column] | None = None,
    ) -> None:
        super().__init__()
        self.ended = ended
        self.workout_name = name
        self.units: UnitSystem = units
        self.trace = trace or []

    def compose(self) -> ComposeResult:
        """Show the totals."""
        ended = self.ended
        with Vertical(id="summary-box"):
            if isinstance(ended, Finished):
                yield Static("WORKOUT COMPLETE", id="summary-title", classes="done")
            elif ended is not None:
                yield Static("WORKOUT STOPPED", id="summary-title", classes="stopped")
                yield Static(f"Reason: {ended.reason}")
            else:
                yield Static(
                    "CONNECTION TO THE ENGINE ENDED", id="summary-title", classes="stopped"
                )
            yield Static(self.workout_name, markup=False)
            if ended is not None:
                yield Static(f"Time         {fmt_clock(ended.elapsed_s)}")
                yield Static(f"Distance     {format_distance(ended.distance_m, self.units)}")
                yield Static(f"Energy est.  {ended.energy_kcal:.0f} kcal (±25 %)")
                if isinstance(ended, Finished):
                    yield Static(
                        f"Intervals    {ended.steps_completed} done, {ended.steps_skipped} skipped"
                    )
                belt = "stopped" if ended.belt_stopped else "STILL RUNNING: press Esc"
                yield Static(f"Belt         {belt}")
            yield from self._picture()
            yield Static("Press any key to quit.", id="summary-hint")

    def _picture(self) -> ComposeResult:
        """The belt's speed over the session, and what the person did under each column."""
        columns = self.trace
        if len(columns) < 2:
            return
        top = max(column.speed_kmh for column in columns)
        yield Static(f"Speed        up to {fmt_speed(top, self.units)}", id="summary-speed-title")
        line = Sparkline([column.speed_kmh for column in columns], id="summary-speed")
        line.styles.width = len(columns)
        yield line
        yield Static(
            Text.assemble(*((GLYPHS[c.kind][0], GLYPHS[c.kind][1]) for c in columns)),
            id="summary-directions",
        )
        legend = Text("  ").join(
            Text.assemble((GLYPHS[kind][0], GLYPHS[kind][1]), f" {words}") for kind, words in LEGEND
        )
        yield Static(legend, classes="dim")

    def on_key(self, event: events.Key) -> None:
        """Quit on any key that the app's own bindings did not take."""
        event.stop()
        self.app.exit()
