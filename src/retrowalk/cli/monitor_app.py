"""The live room view of `retrowalk monitor`: a Textual DataTable fed by MQTT messages."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header, Static

from retrowalk.room.model import COLUMNS, Room

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable

    from textual.binding import BindingType

    from retrowalk.room.model import Link

REFRESH_S = 1.0  # also how often "stale" can appear when a treadmill goes quiet


class MonitorApp(App[None]):
    """One row per treadmill and a line for the broker link; the feed is `watch_room(...)`."""

    TITLE = "retrowalk room"
    BINDINGS: ClassVar[list[BindingType]] = [("q", "quit", "Quit")]
    CSS = """
    #link { padding: 0 1; color: $success; }
    #link.down { color: $error; text-style: bold; }
    """

    def __init__(
        self,
        feed: Callable[[], AsyncGenerator[tuple[str, str, bytes], None]],
        *,
        title: str,
        link: Link | None = None,
    ) -> None:
        super().__init__()
        self._feed = feed
        self._link = link
        self.room = Room()
        self.title = title

    def compose(self) -> ComposeResult:
        """Header, the broker link line, the table, footer."""
        yield Header()
        yield Static("", id="link", markup=False)
        yield DataTable(id="room", zebra_stripes=True, cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        """Add the columns, start listening, refresh once a second and on link changes."""
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        self.run_worker(self._listen(), name="monitor-listen", exclusive=True)
        if self._link is not None:
            self.run_worker(self._follow_link(self._link), name="monitor-link")
        self.set_interval(REFRESH_S, self._refresh_rows)
        self._refresh_rows()

    async def _listen(self) -> None:
        async with contextlib.aclosing(self._feed()) as feed:  # it holds a broker connection
            async for treadmill_id, leaf, payload in feed:
                if self.room.update(treadmill_id, leaf, payload, self._now()):
                    self._refresh_rows()

    async def _follow_link(self, link: Link) -> None:
        while True:
            await link.changed.wait()
            link.changed.clear()
            self._refresh_rows()

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _refresh_rows(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for row in self.room.rows(self._now()):
            table.add_row(*row, key=row[0])
        count = f"{len(self.room.treadmills)} treadmill(s)"
        line = self.query_one("#link", Static)
        if self._link is None:
            line.display = False
            self.sub_title = count
            return
        line.update(self._link.describe())
        line.set_class(self._link.state != "connected", "down")
        self.sub_title = f"{count} - {self._link.state}"
