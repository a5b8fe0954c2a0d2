"""The gym screen: a Textual app showing the engine's latest Snapshot, sending keys as Commands.

`RetrowalkApp(channel, submit, plan=..., title=..., options=...).run_async()` follows one bus
channel, folds each item into a `View` (cli/tui_view.py) and redraws with the words of
cli/tui_words.py; every key becomes `submit(Command(kind, KEYBOARD, value))`. Esc (or S, or
Ctrl+C) is an emergency stop in every state, also over the quit question; while the belt counts
down to start by itself, every other key pauses it. With `--remote-keys` a handheld remote's
keys confirm, pause and stop (cli/tui_keys.py). The app starts before the treadmill connects
(CONNECTING; Esc or a quit then gives up connecting, and `listening` tells the engine when keys
reach the app). It holds no workout logic: what the belt does is the engine's decision.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.widget import Widget
from textual.widgets import Footer, Static

from retrowalk.cli.tui_keys import key_display, keymap
from retrowalk.cli.tui_screens import TRACE_COLUMNS, QuitScreen, SummaryScreen
from retrowalk.cli.tui_timeline import Timeline
from retrowalk.cli.tui_trace import SpeedTrace
from retrowalk.cli.tui_view import ScreenOptions, View, closed, key_command, reduce
from retrowalk.cli.tui_widgets import BigDigits, Metric, PlanBar, digit_scale
from retrowalk.cli.tui_words import (
    Banner,
    coach_line,
    direction_line,
    main_banner,
    metrics,
    next_line,
    notice_line,
    stats_line,
    top_line,
)
from retrowalk.engine.commands import Command, CommandKind, CommandResult, Origin
from retrowalk.engine.events import Snapshot
from retrowalk.units import speed_unit
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from textual import events
    from textual.app import ComposeResult
    from textual.events import Resize

    from retrowalk.engine.bus import Channel, Item
    from retrowalk.workout.plan import Plan

    Submit = Callable[[Command], Awaitable[CommandResult]]

W = TypeVar("W", bound=Widget)

ADVICE = (
    "Guidance, not medical advice. Hold the rails when turning; stop if anything hurts. "
    "Esc stops the belt."
)


# After the first screen, this long for keys typed while the app loaded (held by the terminal)
# to be read and handled, before the engine may start: an Esc among them gives up instead.
KEYS_SETTLE_S = 0.1
# Lines whose height tui.tcss fixes: a new text never changes the layout.
FIXED_HEIGHT = frozenset({"#top", "#direction", "#next", "#stats"})


class RetrowalkApp(App[None]):
    """The live workout screen."""

    CSS_PATH = Path(__file__).with_name("tui.tcss")
    ENABLE_COMMAND_PALETTE = False
    # Keys by binding id: cli/tui_keys.py's keymap gives each its keys (a remote changes them).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,s,ctrl+c", "emergency", "STOP", priority=True, id="emergency"),
        Binding("space", "send('pause')", "Pause", priority=True, id="pause"),
        Binding("enter", "send('confirm')", "OK", priority=True, id="confirm"),
        Binding("n", "send('skip')", "Skip", priority=True, id="skip"),
        Binding("b", "send('back')", "Back", priority=True, id="back"),
        Binding("up", "send('faster')", "Speed", priority=True, id="faster"),
        Binding("down", "send('slower')", "Slower", show=False, priority=True, id="slower"),
        Binding("right", "send('steeper')", "Incline", priority=True, id="steeper"),
        Binding("left", "send('flatter')", "Flatter", show=False, priority=True, id="flatter"),
        Binding("q", "request_quit", "Quit", priority=True, id="quit"),
        Binding("ctrl+q", "request_quit", "Quit", show=False, priority=True),
    ]
    PAIRED: ClassVar[dict[str, str]] = {"faster": "slower", "steeper": "flatter"}

    def __init__(  # noqa: PLR0913 - the bus, the engine, the plan before and after fitting
        self,
        channel: Channel,
        submit: Submit,
        *,
        plan: Plan,
        title: str,
        options: ScreenOptions | None = None,
        fitted: Awaitable[Plan] | None = None,
        listening: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self._listening = listening  # told once keys typed before the app reached it
        self.channel = channel
        self.submit = submit
        self.plan = plan
        self._fitted = fitted  # the plan fitted to the machine, once it has connected
        self.title = title
        self.options = options or ScreenOptions()
        self.view = View()
        self.timeline = Timeline()
        self.trace = SpeedTrace()  # the summary's picture of the session
        self._quitting = False
        self._shown: dict[str, str] = {}  # selector -> text on screen (skip unchanged updates)
        self._widgets: dict[str, Widget] = {}  # selector -> widget (looked up once, 4 times a s)
        remote = self.options.remote_keys
        self._key_display = key_display(remote)
        for one, other in self.PAIRED.items():  # "↑↓ Speed": the pair shown as one key
            self._key_display[one] += self._key_display.pop(other)
        self.set_keymap(keymap(remote))

    def get_key_display(self, binding: Binding) -> str:
        """Name keys as the person reads them (Esc/S, Enter/PgDn, ↑↓)."""
        if binding.id is not None and binding.id in self._key_display:
            return self._key_display[binding.id]
        return super().get_key_display(binding)

    def compose(self) -> ComposeResult:
        """Lay out the screen (top to bottom: most important first)."""
        yield Static(id="top")
        yield Static(id="direction")
        yield Static(id="notice", classes="hidden")
        with Horizontal(id="banner", classes="hidden"):
            with Vertical(id="banner-text"):
                yield Static(id="banner-title")
                yield Static(id="banner-lines")
            yield BigDigits("", id="banner-count")
        yield Static(id="coach", classes="hidden")
        with Horizontal(id="metrics"):
            yield Metric(f"TARGET {speed_unit(self.options.units)}", id="speed")
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
        if self._fitted is not None:
            self.run_worker(self._use_fitted(self._fitted), name="fitted-plan", group="engine")

    def on_ready(self) -> None:
        """Say that keys reach the app, once those typed while it loaded have been handled."""
        if self._listening is not None:
            self.set_timer(KEYS_SETTLE_S, self._listening)

    def on_resize(self, event: Resize) -> None:
        """Draw the digits as large as the terminal allows (3 rows at 80x24)."""
        scale = digit_scale(event.size.width, event.size.height)
        for digits in self.query(BigDigits):
            digits.set_scale(scale)
        self.set_class(scale > 1, "big")

    async def _use_fitted(self, fitted: Awaitable[Plan]) -> None:
        """Draw the plan as fitted to the machine (speeds within its range) once it is known."""
        self.plan = await fitted
        self._widget("#plan", PlanBar).use_plan(self.plan)
        self._redraw()

    async def _follow(self) -> None:
        async for item in self.channel:
            view = self._take(self.view, item)
            while (more := self.channel.get_nowait()) is not None:
                view = self._take(view, more)
            self._show(view)
        self._show(closed(self.view))

    def _take(self, view: View, item: Item) -> View:
        if isinstance(item, Snapshot):
            self.trace.add(item)
        return reduce(view, item)

    def _show(self, view: View) -> None:
        ended_now = view.ended_or_closed and not self.view.ended_or_closed
        self.view = view
        self.timeline = self.timeline.after(self.plan, view)
        self._redraw()
        if ended_now:
            if self._quitting:
                self.exit()
                return
            self._close_quit_question()
            summary = SummaryScreen(
                view.ended,
                name=self.plan.name,
                units=self.options.units,
                trace=self.trace.columns(TRACE_COLUMNS),
            )
            self.push_screen(summary)

    # --- keys -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the quit question is open only Esc (emergency stop) reaches the engine."""
        del parameters
        if isinstance(self.screen, QuitScreen):
            return action == "emergency"
        return True

    def on_key(self, event: events.Key) -> None:
        """Any other key, while the belt counts down to start by itself, makes it wait."""
        if self.view.start_counting and not isinstance(self.screen, QuitScreen):
            event.stop()
            self._submit(CommandKind.PAUSE, None)

    def action_emergency(self) -> None:
        """Stop the belt now, whatever is on screen."""
        self._close_quit_question()
        # After the end, quit only once the stop is delivered (exiting cancels the sender).
        self._submit(CommandKind.EMERGENCY_STOP, None, then_exit=self.view.ended_or_closed)

    def action_send(self, name: str) -> None:
        """Send the command bound to key action `name` (after the workout: quit)."""
        if self.view.ended_or_closed:
            self.exit()
            return
        command = key_command(name, self.view, self.options.units)
        if command is not None:
            self._submit(*command)

    def action_request_quit(self) -> None:
        """Ask, then stop the workout and quit (after the workout: quit at once)."""
        if self.view.ended_or_closed:
            self.exit()
            return
        if self.view.start_counting:
            self._submit(CommandKind.PAUSE, None)  # the belt waits while the person decides
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
        if then_exit and result.accepted and result.reason:
            # After the end the belt could not be seen stopping: stay, so the person reads it.
            self.notify(result.reason, title="The belt may be moving", severity="error")
        elif then_exit:
            self.exit()
        elif not result.accepted:
            self.notify(result.reason or "refused", title=command.kind.value, severity="warning")
            if command.kind is CommandKind.STOP:
                self._quitting = False

    # --- drawing ----------------------------------------------------------------------------

    def _redraw(self) -> None:
        view, units = self.view, self.options.units
        self._text("#top", top_line(view, self.title))
        self._draw_direction(view)
        self._draw_banner(main_banner(view, self.options))
        self._draw_line("#coach", coach_line(view, units))
        notice = notice_line(view)
        self._draw_line("#notice", notice[0] if notice else None)
        self._widget("#notice", Static).set_class(notice is not None and notice[1], "-alert")
        self._draw_metrics(view)
        self._text("#next", next_line(view, units))
        self._text("#stats", stats_line(view, units, self.plan.totals.duration_with_turns_s))
        self._widget("#advice", Static).set_class(view.started, "hidden")
        self._widget("#plan", PlanBar).show(self.timeline.position_s)

    def _draw_metrics(self, view: View) -> None:
        shown = metrics(view, self.plan, self.options.units)
        for selector, panel in zip(("#speed", "#incline", "#left"), shown, strict=True):
            value, subtitle, label = panel
            self._widget(selector, Metric).show(value, subtitle, label=label)

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

    def _draw_line(self, selector: str, text: str | None) -> None:
        """Show a one-line widget with `text`, or hide it."""
        widget = self._widget(selector, Static)
        widget.set_class(text is None, "hidden")
        if text is not None:
            self._text(selector, text)

    def _draw_direction(self, view: View) -> None:
        text, direction = direction_line(view)
        bar = self._widget("#direction", Static)
        for d in Direction:
            bar.set_class(direction is d, f"-{d.value}")
        self._text("#direction", text)

    def _draw_banner(self, main: Banner | None) -> None:
        box = self._widget("#banner", Horizontal)
        box.set_class(main is None, "hidden")
        if main is None:
            return
        for kind in ("hold", "turn", "ahead", "paused", "ready"):
            box.set_class(main.kind == kind, f"-{kind}")
        self._text("#banner-title", escape(main.title))
        self._text("#banner-lines", "\n".join(escape(line) for line in main.lines))
        count = self._widget("#banner-count", BigDigits)
        if count.value != (main.count or ""):
            count.update(main.count or "")
        count.set_class(main.count is None, "hidden")
