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
    """A quarter second later within the same shown second: the bar and stats line stay put."""
    bus = Bus()
    app = RetrowalkApp(bus.subscribe("tui"), accept, plan=PLAN, title="Retro intro")
    async with app.run_test(size=(80, 24)) as pilot:
        first = snapshot(PLAN)
        bus.publish(first)
        await pilot.pause()
        bar = count_refreshes(monkeypatch, app.query_one("#plan", PlanBar))
        stats = count_refreshes(monkeypatch, app.query_one("#stats"))
        t, left = first.workout_elapsed_s, first.step_remaining_s or 0.0
        later = dataclasses.replace(
            first, step_elapsed_s=45.25, step_remaining_s=left - 0.25, workout_elapsed_s=t + 0.25
        )
        bus.publish(later)
        await pilot.pause()
        assert (bar, stats) == ([], [])
        shown = str(app.query_one("#stats").render())
        next_second = dataclasses.replace(later, step_elapsed_s=46.0, workout_elapsed_s=t + 1)
        bus.publish(next_second)
        await pilot.pause()
        assert bar == [False]  # the bar's time moved a second: one repaint, no layout pass
        assert stats == [False]
        assert str(app.query_one("#stats").render()) != shown
        bus.close()
