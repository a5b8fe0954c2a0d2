"""The belt after the end: an emergency stop pressed once the workout is over still stops it.

The workout may end with the belt running (`--keep-walking`, a final Stop lost in a link outage,
a machine that acknowledged Stop and kept going). `AfterEnd.stop()` reads the treadmill again,
sends Stop, and re-sends it on retrowalk's backoff (1, 2, 4, then every 8 s), requesting control
again when the machine asks for it and across a link outage, until telemetry shows the belt at
rest or the bound passes: the time the belt may take to stop plus `TRIES_S`. The bus is closed
by then, so what the person must do comes back as a string for the caller to show.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from retrowalk.engine import clock
from retrowalk.engine.guard_watch import STOP_BACKOFF

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from retrowalk.device.api import DeviceEvents, Treadmill
    from retrowalk.engine.guard import Guard
    from retrowalk.engine.session import Session

    ReadDevice = Callable[[DeviceEvents], Coroutine[Any, Any, None]]

TRIES_S = 30.0  # Stop is re-sent this much longer than the belt may take to stop


class AfterEnd:
    """Stops a belt left running after the end, until it is seen at rest (bounded)."""

    def __init__(
        self, session: Session, guard: Guard, *, treadmill: Treadmill, read_device: ReadDevice
    ) -> None:
        self.s = session
        self.guard = guard
        self.treadmill = treadmill
        self.read_device = read_device  # applies telemetry while Stop is re-sent

    async def stop(self) -> str:
        """Stop the belt until telemetry shows it at rest; return "" or what the person must do."""
        if not self.s.motion_writes:
            return "retrowalk cannot control this treadmill: stop the belt at the console"
        loop = asyncio.get_running_loop()
        reader = loop.create_task(self.read_device(self.treadmill.events()), name="retrowalk-end")
        try:
            return await self._keep_stopping()
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def _keep_stopping(self) -> str:
        guard = self.guard
        deadline = clock.now() + guard.rest_bound(guard.observed_speed()) + TRIES_S
        attempt = 0
        while True:
            attempt += 1
            sent_at = clock.now()
            failure = await self._try_stop()
            wait = min(STOP_BACKOFF.delay_s(attempt), deadline - clock.now())
            if await guard.wait_rest(sent_at, within_s=max(wait, 0.0)):
                return ""
            if clock.now() >= deadline:
                break
        if failure:
            return f"could not stop the belt ({failure}): stop it at the console or pull the key"
        seen = "is still moving" if guard.observed_speed() is not None else "is not reported"
        return f"the belt {seen}: stop it at the console or pull the safety key"

    async def _try_stop(self) -> str:
        """Send Stop once (control first when needed); return "" or why it failed."""
        if not self.treadmill.is_connected:
            return "the treadmill is not connected"
        return await self.guard.watch.stop_once()
