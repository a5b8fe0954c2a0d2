"""Named one-shot timers and fault windows of one simulated device, on the running loop.

Public API: `Timers()`; `bind(loop)` once the loop runs (`running` says whether it did);
`now()`; `set(name, when, callback)` (re-arming a name replaces its timer), `cancel(*names)`,
`forget(name)` (a timer that fired), `close()`; `open_window(fault, seconds)` and
`in_window(fault)` for faults that last a while (overlapping windows extend each other).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

__all__ = ["Timers"]


class Timers:
    """The timers of one device; every time is absolute loop time."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handles: dict[str, asyncio.TimerHandle] = {}
        self._windows: dict[str, float] = {}  # fault name -> loop time it ends

    @property
    def running(self) -> bool:
        """Return whether the timers are bound to a running loop."""
        return self._loop is not None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run the timers on `loop`."""
        self._loop = loop

    def now(self) -> float:
        """Return the loop time (RuntimeError before `bind`)."""
        if self._loop is None:
            raise RuntimeError(
                "the treadmill model is not running: use it inside `async with world`"
            )
        return self._loop.time()

    def set(self, name: str, when: float, callback: Callable[[], None]) -> None:
        """(Re)arm the named one-shot timer at absolute loop time `when`."""
        self.cancel(name)
        if self._loop is None:
            raise RuntimeError("the treadmill model is not running")
        self._handles[name] = self._loop.call_at(when, callback)

    def cancel(self, *names: str) -> None:
        """Cancel the named timers (those not armed are ignored)."""
        for name in names:
            handle = self._handles.pop(name, None)
            if handle is not None:
                handle.cancel()

    def forget(self, name: str) -> None:
        """Drop a timer that has fired."""
        self._handles.pop(name, None)

    def close(self) -> None:
        """Cancel every timer."""
        self.cancel(*self._handles)

    def open_window(self, fault: str, seconds: float) -> None:
        """Make `fault` active from now for `seconds`."""
        if not seconds > 0:
            raise ValueError(f"{fault} needs a duration above 0 s, got {seconds}")
        ends = self.now() + seconds
        self._windows[fault] = max(self._windows.get(fault, -math.inf), ends)

    def in_window(self, fault: str) -> bool:
        """Return whether `fault` is active now."""
        return self._loop is not None and self.now() < self._windows.get(fault, -math.inf)
