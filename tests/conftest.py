"""Test harness: virtual time by default, hygiene guards.

Every async test runs on `VirtualTimeEventLoop` (fast mode), so no test sleeps for real; a test
marked `realtime` (a real broker, a real subprocess) gets an ordinary event loop instead, and
so does a test marked `hardware` when `--ble-address`/`--ble-name` points it at a real treadmill
(docs/hardware-tests.md).
Every async test must leave no task running behind it, and no test reads the user's own config
file or writes into their data folder. Property tests are deterministic (hypothesis profile
"repeatable": the same examples on every run, so a red run is never luck); to search for new
failures, run with HYPOTHESIS_PROFILE=explore and pin what it finds with @example.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

from retrowalk.engine.clock import VirtualTimeEventLoop

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping
    from pathlib import Path


settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the options that point the `hardware` tests at a real treadmill."""
    group = parser.getgroup("retrowalk", "retrowalk real-hardware tests (docs/hardware-tests.md)")
    group.addoption(
        "--ble-address",
        metavar="ADDRESS",
        help="run the tests marked hardware against the real treadmill at this address",
    )
    group.addoption(
        "--ble-name",
        metavar="NAME",
        help="like --ble-address, but find the treadmill by its advertised name",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers of the real-hardware mode."""
    config.addinivalue_line(
        "markers", "hardware: runs on a real treadmill (real time) with --ble-address/--ble-name"
    )
    config.addinivalue_line(
        "markers", "simulator_only(reason): skipped with --ble-address/--ble-name, for `reason`"
    )


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Choose the loop per test: virtual time, unless realtime or on real hardware."""
    if item.get_closest_marker("realtime") is not None:
        return {"realtime": asyncio.new_event_loop}
    on_hardware = config.getoption("ble_address") or config.getoption("ble_name")
    if on_hardware and item.get_closest_marker("hardware") is not None:
        return {"hardware": asyncio.new_event_loop}
    return {"virtual": VirtualTimeEventLoop}


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the config file (metric units, nothing else) and the data folder into tmp_path."""
    config = tmp_path / "empty-config.toml"
    config.write_text('units = "metric"  # whatever the locale of the machine running the tests\n')
    monkeypatch.setenv("RETROWALK_CONFIG", str(config))
    monkeypatch.setenv("RETROWALK_DATA_DIR", str(tmp_path / "data"))


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
