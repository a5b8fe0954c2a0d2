"""The gym screen: a Textual app showing the engine's latest Snapshot, sending keys as Commands.

`run_app(channel, submit, plan=..., title=...)` follows one bus channel, folds each item into a
`View` (cli/tui_view.py) and redraws; every key becomes `submit(Command(kind, KEYBOARD, value))`.
Esc (or S, or Ctrl+C) is an emergency stop in every state, also over the quit question. The app
holds no workout logic: what the belt does is the engine's decision.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Footer, Static

from retrowalk.cli.tui_screens import QuitScreen, SummaryScreen
from retrowalk.cli.tui_view import (
    ARROWS,
    Banner,
    View,
    banners,
    closed,
    fmt_clock,
    fmt_dir,
    fmt_num,
    key_command,
    reduce,
)
from retrowalk.cli.tui_widgets import BigDigits, Metric, PlanBar, timeline_position
from retrowalk.engine.commands import Command, CommandKind, CommandResult, Origin
from retrowalk.engine.events import EngineState
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from textual.app import ComposeResult
    from textual.events import Resize

    from retrowalk.engine.bus import Channel
    from retrowalk.engine.events import Snapshot
    from retrowalk.workout.plan import Plan

    Submit = Callable[[Command], Awaitable[CommandResult]]

W = TypeVar("W", bound=Widget)

ADVICE = (
    "Guidance, not medical advice. Hold the rails when turning; stop if anything hurts. "
    "Esc stops the belt."
)


# Lines whose height tui.tcss fixes: a new text never changes the layout.
FIXED_HEIGHT = frozenset({"#top", "#direction", "#next", "#stats"})


def digit_scale(columns: int, rows: int) -> int:
    """Return how many times larger than 3 rows the digits fit ("12:34" is 13 cells wide)."""
    by_width = (columns // 3 - 6) // 13
    by_height = (rows - 24) // 2
    return max(1, min(by_width, by_height, 4))


class RetrowalkApp(App[None]):
    """The live workout screen."""

    CSS_PATH = Path(__file__).with_name("tui.tcss")
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "emergency", "STOP", key_display="Esc/S", priority=True),
        Binding("s", "emergency", "STOP", show=False, priority=True),
        Binding("ctrl+c", "emergency", "STOP", show=False, priority=True),
        Binding("space", "send('pause')", "Pause", key_display="Spc", priority=True),
        Binding("enter", "send('confirm')", "OK", key_display="Enter", priority=True),
        Binding("n", "send('skip')", "Skip", key_display="N", priority=True),
        Binding("b", "send('back')", "Back", key_display="B", priority=True),
        Binding("up", "send('faster')", "Speed", key_display="↑↓", priority=True),
        Binding("down", "send('slower')", "Slower", show=False, priority=True),
        Binding("right", "send('steeper')", "Incline", key_display="→←", priority=True),
        Binding("left", "send('flatter')", "Flatter", show=False, priority=True),
        Binding("q", "request_quit", "Quit", key_display="Q", priority=True),
        Binding("ctrl+q", "request_quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, channel: Channel, submit: Submit, *, plan: Plan, title: str) -> None:
        super().__init__()
        self.channel = channel
        self.submit = submit
        self.plan = plan
        self.title = title
        self.view = View()
        self._quitting = False
        self._shown: dict[str, str] = {}  # selector -> text on screen (skip unchanged updates)
        self._widgets: dict[str, Widget] = {}  # selector -> widget (looked up once, 4 times a s)

    def compose(self) -> ComposeResult:
        """Lay out the screen (top to bottom: most important first)."""
        yield Static(id="top")
        yield Static(id="direction")
        with Horizontal(id="banner", classes="hidden"):
            with Vertical(id="banner-text"):
                yield Static(id="banner-title")
                yield Static(id="banner-lines")
            yield BigDigits("", id="banner-count")
        yield Static(id="coach", classes="hidden")
        with Horizontal(id="metrics"):
            yield Metric("TARGET km/h", id="speed")
            yield Metric("INCLINE %", id="incline")
            yield Metric("TIME LEFT", id="left")
        yield Static(id="next")
        yield PlanBar(self.plan, id="plan")
        yield Static(id="stats")
        yield Static(ADVICE, id="advice")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Draw the empty view and start following the engine."""
        self._redraw()
        self.run_worker(self._follow(), name="follow-engine", group="engine", exit_on_error=True)

    def on_resize(self, event: Resize) -> None:
        """Draw the digits as large as the terminal allows (3 rows at 80x24)."""
        scale = digit_scale(event.size.width, event.size.height)
        for digits in self.query(BigDigits):
            digits.set_scale(scale)
        self.set_class(scale > 1, "big")

    async def _follow(self) -> None:
        async for item in self.channel:
            view = reduce(self.view, item)
            while (more := self.channel.get_nowait()) is not None:
                view = reduce(view, more)
            self._show(view)
        self._show(closed(self.view))

    def _show(self, view: View) -> None:
        ended_now = (view.ended is not None or view.closed) and not self._ended(self.view)
        self.view = view
        self._redraw()
        if ended_now:
            if self._quitting:
                self.exit()
                return
            self._close_quit_question()
            self.push_screen(SummaryScreen(view.ended, name=self.plan.name))

    @staticmethod
    def _ended(view: View) -> bool:
        return view.ended is not None or view.closed

    # --- keys -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the quit question is open only Esc (emergency stop) reaches the engine."""
        del parameters
        if isinstance(self.screen, QuitScreen):
            return action == "emergency"
        return True

    def action_emergency(self) -> None:
        """Stop the belt now, whatever is on screen."""
        self._close_quit_question()
        # After the end, quit only once the stop is delivered (exiting cancels the sender).
        self._submit(CommandKind.EMERGENCY_STOP, None, then_exit=self._ended(self.view))

    def action_send(self, name: str) -> None:
        """Send the command bound to key action `name` (after the workout: quit)."""
        if self._ended(self.view):
            self.exit()
            return
        command = key_command(name, self.view)
        if command is not None:
            self._submit(*command)

    def action_request_quit(self) -> None:
        """Ask, then stop the workout and quit (after the workout: quit at once)."""
        if self._ended(self.view):
            self.exit()
            return
        self.push_screen(QuitScreen(), self._quit_answered)

    def _quit_answered(self, stop: bool | None) -> None:  # noqa: FBT001 - Textual's callback
        if not stop:
            return
        self._quitting = True
        self._submit(CommandKind.STOP, None)

    def _close_quit_question(self) -> None:
        if isinstance(self.screen, QuitScreen):
            self.screen.dismiss(result=False)

    def _submit(self, kind: CommandKind, value: float | None, *, then_exit: bool = False) -> None:
        command = Command(kind, Origin.KEYBOARD, value)
        self.run_worker(self._deliver(command, then_exit), group="commands", exit_on_error=False)

    async def _deliver(self, command: Command, then_exit: bool) -> None:  # noqa: FBT001 - private
        try:
            result = await self.submit(command)
        except Exception as exc:  # noqa: BLE001 - a failed command must not take the screen down
            self.notify(f"{command.kind.value}: {exc}", title="Not sent", severity="error")
            if self._quitting or then_exit:
                self.exit()
            return
        if then_exit:
            self.exit()
        elif not result.accepted:
            self.notify(result.reason or "refused", title=command.kind.value, severity="warning")
            if command.kind is CommandKind.STOP:
                self._quitting = False

    # --- drawing ----------------------------------------------------------------------------

    def _redraw(self) -> None:
        view, snap = self.view, self.view.snapshot
        self._draw_top(view)
        self._draw_direction(view)
        self._draw_banners(banners(view))
        speed = self._widget("#speed", Metric)
        incline = self._widget("#incline", Metric)
        left = self._widget("#left", Metric)
        if snap is None:
            speed.show("--", "actual --")
            incline.show("--", "actual --")
            left.show("--:--", "")
        else:
            speed.show(fmt_num(snap.target_speed_kmh), f"actual {fmt_num(snap.actual_speed_kmh)}")
            incline.show(fmt_num(self._incline(snap)), f"actual {fmt_num(snap.actual_incline_pct)}")
            if snap.step_remaining_s is None and snap.step_remaining_m is not None:
                left.show(f"{snap.step_remaining_m:.0f}", "", label="METRES LEFT")
            else:
                total = ""
                if snap.step_remaining_s is not None:
                    total = f"of {fmt_clock(snap.step_elapsed_s + snap.step_remaining_s)}"
                left.show(fmt_clock(snap.step_remaining_s), total, label="TIME LEFT")
        self._text("#next", self._next_text(view))
        self._text("#stats", self._stats_text(view))
        self._widget("#advice", Static).set_class(view.started, "hidden")
        turn_before = (
            view.turn.before_step if view.state is EngineState.TURNING and view.turn else None
        )
        self._widget("#plan", PlanBar).show(timeline_position(self.plan, snap, turn_before))

    def _incline(self, snap: Snapshot) -> float | None:
        """Return the incline to show: the engine's target, else the plan's for this step."""
        # The engine reports only inclines it wrote; a level plan never writes one.
        if snap.target_incline_pct is not None or snap.step_index is None:
            return snap.target_incline_pct
        if 0 <= snap.step_index < len(self.plan.steps):
            return self.plan.steps[snap.step_index].incline_pct
        return None

    def _widget(self, selector: str, kind: type[W]) -> W:
        widget = self._widgets.get(selector)
        if not isinstance(widget, kind):
            widget = self._widgets[selector] = self.query_one(selector, kind)
        return widget

    def _text(self, selector: str, text: str) -> None:
        if self._shown.get(selector) == text:
            return
        self._shown[selector] = text
        widget = self._widget(selector, Static)
        # A line whose height the CSS fixes needs no new layout, only a repaint.
        widget.update(text, layout=selector not in FIXED_HEIGHT)

    def _draw_top(self, view: View) -> None:
        snap = view.snapshot
        parts = [f"[b]{self.title}[/b]"]
        if snap is not None and snap.step_index is not None:
            parts.append(f"interval {snap.step_index + 1}/{snap.step_count}")
            if snap.label:
                parts.append(snap.label)
        parts.append(view.state.value.replace("_", " ").upper())
        if view.device:
            parts.append(view.device)
        self._text("#top", " · ".join(parts))

    def _draw_direction(self, view: View) -> None:
        bar = self._widget("#direction", Static)
        direction = view.snapshot.direction if view.snapshot else None
        if view.state is EngineState.TURNING and view.turn is not None:
            direction = view.turn.to_direction
        if self._ended(view):
            direction = None
        for d in Direction:
            bar.set_class(direction is d, f"-{d.value}")
        if self._ended(view):
            self._text("#direction", "■  WORKOUT ENDED  ■")
            return
        if direction is None:
            nxt = view.snapshot.next_direction if view.snapshot else None
            first = f"first interval {ARROWS[nxt]} {fmt_dir(nxt)}" if nxt else "retrowalk"
            self._text("#direction", first)
            return
        arrow = ARROWS[direction]
        words = {
            Direction.FORWARD: "FORWARD · face the console",
            Direction.BACKWARD: "BACKWARD · face the rear",
            Direction.REST: "REST · belt stopped",
        }[direction]
        if view.state is EngineState.TURNING:
            words = f"TURNING → {words}"
        self._text("#direction", f"{arrow} {arrow}  {words}  {arrow} {arrow}")

    def _draw_banners(self, shown: list[Banner]) -> None:
        box = self._widget("#banner", Horizontal)
        main = next((b for b in shown if b.kind != "coach"), None)
        box.set_class(main is None, "hidden")
        if main is not None:
            for kind in ("hold", "turn", "ahead", "paused", "ready"):
                box.set_class(main.kind == kind, f"-{kind}")
            self._text("#banner-title", main.title)
            self._text("#banner-lines", "\n".join(main.lines))
            count = self._widget("#banner-count", BigDigits)
            if count.value != (main.count or ""):
                count.update(main.count or "")
            count.set_class(main.count is None, "hidden")
        coach = next((b for b in shown if b.kind == "coach"), None)
        line = self._widget("#coach", Static)
        line.set_class(coach is None, "hidden")
        if coach is not None:
            self._text("#coach", f"[b]{coach.title}[/b] · " + " · ".join(coach.lines))

    @staticmethod
    def _next_text(view: View) -> str:
        snap = view.snapshot
        if snap is None:
            return ""
        if snap.next_direction is None:
            return "[b]NEXT[/b]  finish"
        text = (
            f"[b]NEXT[/b]  {ARROWS[snap.next_direction]} {fmt_dir(snap.next_direction)}  "
            f"{fmt_num(snap.next_speed_kmh, ' km/h')}  {fmt_num(snap.next_incline_pct, ' %')}"
        )
        return text + (f"  · {snap.next_label}" if snap.next_label else "")

    @staticmethod
    def _stats_text(view: View) -> str:
        snap = view.snapshot
        if snap is None:
            return ""
        heart = f"{snap.heart_rate_bpm} bpm" if snap.heart_rate_bpm is not None else "--"
        return (
            f"Distance [b]{snap.distance_m / 1000:.2f}[/b] km   "
            f"Elapsed [b]{fmt_clock(snap.workout_elapsed_s)}[/b]   "
            f"Energy est. [b]{snap.energy_kcal:.0f}[/b] kcal   "
            f"Heart [b]{heart}[/b]"
        )


async def run_app(channel: Channel, submit: Submit, *, plan: Plan, title: str) -> None:
    """Run the screen until the workout has ended and the person quits."""
    await RetrowalkApp(channel, submit, plan=plan, title=title).run_async()
