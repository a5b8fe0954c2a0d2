"""The `retrowalk keys learn` prompt: press the remote's button for each action, then save.

Every key press comes here (the prompt has no bindings of its own but Ctrl+Q to quit): the
first press for an action is that action's key. Tab skips an action the remote has no button
for. A key already learned, or one kept for stopping or quitting (Esc, S, Q), is refused for
confirm and pause with a word why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.widgets import Static

from retrowalk.cli.tui_keys import ACTIONS, RESERVED, RemoteKeys, name

if TYPE_CHECKING:
    from textual import events
    from textual.app import ComposeResult

PROMPTS = {
    "confirm": "CONFIRM: start the belt, turn done, resume",
    "pause": "PAUSE: make the belt wait (stop a start countdown)",
    "stop": "STOP: emergency stop",
}


class LearnApp(App[RemoteKeys | None]):
    """Ask for the remote's button for each action; return what was pressed (None: not saved)."""

    ENABLE_COMMAND_PALETTE = False
    CSS = "Screen { padding: 1 2; } #prompt { text-style: bold; margin: 1 0; }"
    SKIP: ClassVar[str] = "tab"

    def __init__(self) -> None:
        super().__init__()
        self.learned: dict[str, list[str]] = {action: [] for action in ACTIONS}
        self.step = 0

    def compose(self) -> ComposeResult:
        """Lay out the prompt."""
        yield Static("Learning your remote's buttons (saved in config.toml).")
        yield Static(id="prompt")
        yield Static(id="said")
        yield Static("Tab: the remote has no such button · Ctrl+Q: quit without saving")

    def on_mount(self) -> None:
        """Ask for the first button."""
        self._ask()

    def result(self) -> RemoteKeys:
        """Return what has been learned so far."""
        got = {action: tuple(keys) for action, keys in self.learned.items()}
        return RemoteKeys(got["confirm"], got["pause"], got["stop"], source="learned")

    def on_key(self, event: events.Key) -> None:
        """Take the pressed key for the action asked for (or the answer to "save?")."""
        event.stop()
        key = event.key
        if self.step >= len(ACTIONS):
            if key in {"y", "enter"} and any(self.learned.values()):
                self.exit(self.result())
            elif key in {"n", "escape"}:
                self.exit(None)
            return
        action = ACTIONS[self.step]
        if key != self.SKIP:
            taken = [a for a, keys in self.learned.items() if key in keys]
            if taken:
                self._ask(f"{name(key)} is already {taken[0]}: press another button")
                return
            if key in RESERVED and action != "stop":
                self._ask(f"{name(key)} stops or quits; it cannot {action}: press another")
                return
            self.learned[action].append(key)
        self.step += 1
        self._ask(f"{action}: {name(key) if key != self.SKIP else 'no button'}")

    def _ask(self, said: str = "") -> None:
        prompt = self.query_one("#prompt", Static)
        if self.step < len(ACTIONS):
            prompt.update(f"Press the remote's button for {PROMPTS[ACTIONS[self.step]]}")
        else:
            keys = self.result().describe(most=3) or "no buttons"
            prompt.update(f"Learned: {keys}. Save? Y yes, N no")
        self.query_one("#said", Static).update(said)
