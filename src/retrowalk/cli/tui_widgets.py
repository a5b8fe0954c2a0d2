"""Widgets of the gym screen: big digits that scale, a metric panel, and the workout bar.

Each widget draws what it is given (values from a View, the Plan's layout) and decides nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.align import Align, AlignMethod
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.containers import Vertical
from textual.renderables.digits import Digits as DigitsRenderable
from textual.widget import Widget
from textual.widgets import Digits

from retrowalk.cli.tui_timeline import GLYPHS, LEGEND, bar_cells

if TYPE_CHECKING:
    from textual.app import ComposeResult, RenderResult
    from textual.geometry import Size

    from retrowalk.workout.plan import Plan

# Which arms each box-drawing character of the digit font has: (up, down, left, right).
_ARMS: dict[str, tuple[bool, bool, bool, bool]] = {}
for _chars, _arms in (
    ("┏╭┌", (False, True, False, True)),
    ("┓╮┐", (False, True, True, False)),
    ("┗╰└", (True, False, False, True)),
    ("┛╯┘", (True, False, True, False)),
    ("━─═", (False, False, True, True)),
    ("┃│", (True, True, False, False)),
    ("┣├", (True, True, False, True)),
    ("┫┤", (True, True, True, False)),
    ("┻┴┷", (True, False, True, True)),
    ("┳┬", (False, True, True, True)),
    ("╋┼╪╫", (True, True, True, True)),
    ("╺╶", (False, False, False, True)),
    ("╸╴", (False, False, True, False)),
    ("╻╷", (False, True, False, False)),
    ("╹╵", (True, False, False, False)),
):
    for _char in _chars:
        _ARMS[_char] = _arms


def scale_glyphs(lines: list[str], k: int) -> list[str]:
    """Return the 3-line digit font drawn k times larger, strokes extended (not pixel-doubled)."""
    width = max((len(line) for line in lines), default=0)
    rows = [[" "] * (width * k) for _ in range(len(lines) * k)]
    for r, line in enumerate(lines):
        for c, char in enumerate(line.ljust(width)):
            top, left = r * k, c * k
            rows[top][left] = char
            up, down, _, right = _ARMS.get(char, (False, False, False, False))
            del up  # an arm up is drawn by the cell above, which reaches down
            for step in range(1, k):
                if right:
                    rows[top][left + step] = "━" if char in "┏┗━┣┻┳╋╺" else "─"
                if down:
                    rows[top + step][left] = "┃" if char in "┏┓┃┣┫┳╋╻" else "│"
    text = ["".join(row).rstrip() for row in rows]
    while text and not text[-1]:
        text.pop()
    return text


class BigDigits(Digits):
    """Textual's Digits, drawn `scale` times larger on a big terminal."""

    DEFAULT_CSS = """
    BigDigits { text-style: bold; }
    """

    scale = 1

    def set_scale(self, scale: int) -> None:
        """Draw `scale` times larger (1 is Textual's 3-row font)."""
        if scale != self.scale:
            self.scale = scale
            self.refresh(layout=True)

    def _lines(self) -> list[str]:
        rendered = DigitsRenderable(self.value).render(Style(bold=True))
        lines = "".join(s.text for s in rendered if isinstance(s, Segment)).split("\n")
        return scale_glyphs(lines[:3], self.scale)

    def render(self) -> RenderResult:
        """Render the value, scaled."""
        if self.scale == 1:
            return super().render()
        align = self.styles.text_align
        method: AlignMethod = align if align in {"left", "center", "right"} else "left"
        return Align(Text("\n".join(self._lines()), style=self.rich_style), method)

    def get_content_width(self, container: Size, viewport: Size) -> int:  # noqa: ARG002 - API
        """Return the width of the scaled value."""
        return DigitsRenderable.get_width(self.value) * self.scale

    def get_content_height(
        self,
        container: Size,  # noqa: ARG002 - Textual's signature
        viewport: Size,  # noqa: ARG002 - Textual's signature
        width: int,  # noqa: ARG002 - Textual's signature
    ) -> int:
        """Return the height of the scaled font."""
        return 3 if self.scale == 1 else 2 * self.scale + 1


class Metric(Vertical):
    """A labelled panel holding one big number and a small line under it."""

    def __init__(self, label: str, *, id: str) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id, classes="metric")
        self.border_title = label
        self.digits = BigDigits("--", classes="metric-value")

    def compose(self) -> ComposeResult:
        """Hold the digits."""
        yield self.digits

    def show(self, value: str, subtitle: str, *, label: str | None = None) -> None:
        """Show `value` big, `subtitle` on the bottom border, and optionally a new label."""
        if self.digits.value != value:
            self.digits.update(value)
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle
        if label is not None and self.border_title != label:
            self.border_title = label


def digit_scale(columns: int, rows: int) -> int:
    """Return how many times larger than 3 rows the digits fit ("12:34" is 13 cells wide)."""
    by_width = (columns // 3 - 6) // 13
    by_height = (rows - 24) // 2
    return max(1, min(by_width, by_height, 4))


class PlanBar(Widget):
    """The whole workout as a bar: forward, backward and turns by glyph and colour, and where."""

    DEFAULT_CSS = """
    PlanBar { height: 2; }
    """

    def __init__(self, plan: Plan, *, id: str) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id)
        self.plan = plan
        self.position_s = 0.0
        self._cells: tuple[int, list[tuple[float, str, str]]] = (0, [])  # width -> cells
        self._drawn: tuple[int, int, int] | None = None  # what render() last drew

    def use_plan(self, plan: Plan) -> None:
        """Draw `plan` from now on (the same workout, fitted to the machine)."""
        self.plan = plan
        self._cells = (0, [])
        self._drawn = None
        self.refresh()

    def show(self, position_s: float) -> None:
        """Mark `position_s` seconds into the planned timeline (redrawn only if a cell changes)."""
        self.position_s = position_s
        if self._marks(self._width()) != self._drawn:
            self.refresh()

    def _width(self) -> int:
        return max(self.size.width, 10)

    def _bar_cells(self, width: int) -> list[tuple[float, str, str]]:
        """Return (moment, glyph, colour) of each bar cell; cached per width (the plan is fixed)."""
        if self._cells[0] != width:
            cells = [(moment, *GLYPHS[kind]) for moment, kind in bar_cells(self.plan, width)]
            self._cells = (width, cells)
        return self._cells[1]

    def _marks(self, width: int) -> tuple[int, int, int]:
        """Return what the position changes on screen: cells done, marker cell."""
        total = self.plan.totals.duration_with_turns_s or 1.0
        done = sum(1 for moment, _, _ in self._bar_cells(width) if moment < self.position_s)
        at = min(width - 1, int(self.position_s / total * width))
        return width, done, at

    def render(self) -> RenderResult:
        """Draw the bar and, under it, the marker and the legend (times are on the stats line)."""
        width = self._width()
        self._drawn = _, done, at = self._marks(width)
        bar = Text()
        for x, (_, char, colour) in enumerate(self._bar_cells(width)):
            bar.append(char, style=colour if x < done else f"{colour} dim")
        legend = Text(" ").join(
            Text.assemble((GLYPHS[kind][0], GLYPHS[kind][1]), f" {words}") for kind, words in LEGEND
        )
        marker = Text(" " * at) + Text("▲", style="bold")
        if at + 3 + len(legend.plain) <= width:
            marker += Text(" " * (width - at - 1 - len(legend.plain))) + legend
        elif at - len(legend.plain) - 2 >= 0:
            marker = legend + Text(" " * (at - len(legend.plain))) + Text("▲", style="bold")
        return Text("\n").join([bar, marker])
