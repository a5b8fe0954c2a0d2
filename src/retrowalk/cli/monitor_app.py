"""The live room view of `retrowalk monitor`: a Textual DataTable fed by MQTT messages."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header

from retrowalk.sinks.mqtt_room import COLUMNS, Room

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from textual.binding import BindingType

REFRESH_S = 1.0  # also how often "stale" can appear when a treadmill goes quiet


class MonitorApp(App[None]):
    """One row per treadmill; the feed is `watch_room(...)` or, in tests, any async iterator."""

    TITLE = "retrowalk room"
    BINDINGS: ClassVar[list[BindingType]] = [("q", "quit", "Quit")]

    def __init__(
        self, feed: Callable[[], AsyncIterator[tuple[str, str, bytes]]], *, title: str
    ) -> None:
        super().__init__()
        self._feed = feed
        self.room = Room()
        self.title = title

    def compose(self) -> ComposeResult:
        """Header, the table, footer."""
        yield Header()
        yield DataTable(id="room", zebra_stripes=True, cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        """Add the columns, start listening, refresh once a second."""
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        self.run_worker(self._listen(), name="monitor-listen", exclusive=True)
        self.set_interval(REFRESH_S, self._refresh_rows)
        self._refresh_rows()

    async def _listen(self) -> None:
        async for treadmill_id, leaf, payload in self._feed():
            if self.room.update(treadmill_id, leaf, payload, self._now()):
                self._refresh_rows()

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _refresh_rows(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for row in self.room.rows(self._now()):
            table.add_row(*row, key=row[0])
        self.sub_title = f"{len(self.room.treadmills)} treadmill(s)"
