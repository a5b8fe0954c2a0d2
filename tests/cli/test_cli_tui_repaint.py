"""The gym screen repaints only what a snapshot changes on screen (CPU of a real-time run)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from retrowalk.cli.tui import RetrowalkApp
from retrowalk.cli.tui_widgets import PlanBar
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandResult
from screen_plans import intro_plan, snapshot

if TYPE_CHECKING:
    import pytest
    from textual.widget import Widget

PLAN = intro_plan()


async def accept(command: Command) -> CommandResult:
    """Accept every command (no key is pressed here)."""
    return CommandResult(command, accepted=True)


def count_refreshes(monkeypatch: pytest.MonkeyPatch, widget: Widget) -> list[bool]:
    """Record the `layout` flag of every refresh `widget` asks for."""
    calls: list[bool] = []
    original = widget.refresh

    def refresh(*regions: object, layout: bool = False, **kwargs: bool) -> Widget:
        calls.append(layout)
        return original(*regions, layout=layout, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(widget, "refresh", refresh)
    return calls


async def test_a_snapshot_changing_nothing_visible_repaints_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A second later only TIME LEFT changes: the bar and totals wait for a cell or a minute."""
    bus = Bus()
    app = RetrowalkApp(bus.subscribe("tui"), accept, plan=PLAN, title="Retro intro")
    async with app.run_test(size=(80, 24)) as pilot:
        first = snapshot(PLAN, step_elapsed_s=30.0, workout_elapsed_s=630.0, distance_m=412.0)
        bus.publish(first)
        await pilot.pause()
        bar = count_refreshes(monkeypatch, app.query_one("#plan", PlanBar))
        stats = count_refreshes(monkeypatch, app.query_one("#stats"))
        left = first.step_remaining_s or 0.0
        for dt in (0.25, 1.0, 2.0):
            bus.publish(dataclasses.replace(first, step_elapsed_s=30.0 + dt,
                                            step_remaining_s=left - dt,
                                            workout_elapsed_s=630.0 + dt))  # fmt: skip
            await pilot.pause()
        assert (bar, stats) == ([], [])
        shown = str(app.query_one("#stats").render())
        later = dataclasses.replace(first, step_elapsed_s=60.0, step_remaining_s=left - 30,
                                    workout_elapsed_s=660.0, distance_m=445.0)  # fmt: skip
        bus.publish(later)
        await pilot.pause()
        assert bar == [False]  # the marker moved a cell: one repaint, no layout pass
        assert stats == [False]
        assert str(app.query_one("#stats").render()) != shown
        bus.close()
