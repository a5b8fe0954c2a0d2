"""Test harness: virtual time by default, hygiene guards.

Every async test runs on `VirtualTimeEventLoop` (fast mode), so no test sleeps for real; a test
marked `realtime` (a real broker, a real subprocess) gets an ordinary event loop instead.
Every async test must leave no task running behind it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from retrowalk.engine.clock import VirtualTimeEventLoop

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Choose the loop per test: virtual time, unless the test is marked realtime."""
    if item.get_closest_marker("realtime") is not None:
        return {"realtime": asyncio.new_event_loop}
    return {"virtual": VirtualTimeEventLoop}


@pytest.fixture
async def _no_lingering_tasks() -> AsyncIterator[None]:
    """Fail a test that leaves tasks running on its loop."""
    before = asyncio.all_tasks()
    yield
    current = asyncio.current_task()
    lingering = [t for t in asyncio.all_tasks() - before if t is not current and not t.done()]
    for task in lingering:
        task.cancel()
    if lingering:
        names = ", ".join(sorted(t.get_name() for t in lingering))
        pytest.fail(f"test left tasks running: {names}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Apply the lingering-task guard to every coroutine test."""
    for item in items:
        function = getattr(item, "function", None)
        if function is not None and asyncio.iscoroutinefunction(function):
            item.add_marker(pytest.mark.usefixtures("_no_lingering_tasks"))
