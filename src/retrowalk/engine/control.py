"""The engine's only writer to the treadmill: one call at a time, behind a gate.

Every control write of the engine passes through `Control` (and only the Guard calls the motion
writes: see engine/guard.py), which
- lets one device call be in flight at a time (a lock), so an emergency stop knows exactly what
  it waits behind: at most the call in flight, never a queue of engine writes;
- closes a gate on `halt()` (an emergency stop): until `reopen()` (the person resumes) every
  write but Stop is refused before it reaches the device, with no await between the gate check
  and the device call, so nothing can slip in between;
- keeps what was commanded (belt running, paused or stopped; the last speed and incline sent).
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING, Literal, TypeVar

from retrowalk.engine import clock
from retrowalk.engine.events import TargetConfirmed, TargetSet
from retrowalk.errors import ControlRejected, Disconnected

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from retrowalk.device.api import Treadmill
    from retrowalk.engine.events import Event

_T = TypeVar("_T")

Belt = Literal["stopped", "paused", "running"]  # as commanded (what the machine does: telemetry)

_RETRY_DELAY_S = 1.0
_SPEED_RETRIES = 4  # Kingsmith refuses speed for ~2.5 s after a start
_STOP_ATTEMPTS = 3  # FR30Z answers some Stops with 'operation failed'


class Halted(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The gate is closed (emergency stop): no motion writes until the person resumes."""


class Unconfirmed(Exception):  # noqa: N818 - a refusal, raised only on an engine bug
    """A motion the guard refuses: nobody confirmed it since the belt last stopped."""


class Control:
    """Serialised, gated control writes; publishes TargetSet and TargetConfirmed."""

    def __init__(
        self,
        treadmill: Treadmill,
        publish: Callable[[Event], None],
        elapsed: Callable[[], float],
    ) -> None:
        self._treadmill = treadmill
        self._publish = publish
        self._elapsed = elapsed
        self._lock = asyncio.Lock()
        self._halted = False
        self.commanded_speed = 0.0  # last speed sent (0 after stop or pause)
        self.commanded_incline: float | None = None
        self.belt: Belt = "stopped"
        self.speed_changed_at = -math.inf
        self.speed_written_at = -math.inf
        self.speed_before_change = 0.0
        self.stop_sent_at = -math.inf  # when the last Stop or Pause was written
        self.started_at = -math.inf  # when the last Start was written
        self.stop_acknowledged = False  # our Stop was the last word (no Start or drop since)

    @property
    def halted(self) -> bool:
        """Return whether the gate is closed."""
        return self._halted

    @property
    def busy(self) -> bool:
        """Return whether a device call is in flight."""
        return self._lock.locked()

    def halt(self) -> None:
        """Close the gate: every later write but Stop is refused until `reopen()`."""
        self._halted = True

    def reopen(self) -> None:
        """Open the gate again (the person resumed after an emergency stop)."""
        self._halted = False

    # ---- writes ------------------------------------------------------------------------------

    async def request_control(self, *, bypass: bool = False) -> None:
        """Request control of the machine (`bypass`: also behind a closed gate, to stop)."""
        await self._call("request control", self._treadmill.request_control, bypass=bypass)

    async def start(self) -> None:
        """Start or resume the belt."""
        await self._call("start", self._treadmill.start)
        self.stop_acknowledged = False
        self.belt = "running"
        self.started_at = clock.now()

    async def pause(self) -> None:
        """Pause the belt."""
        await self._call("pause", self._treadmill.pause)
        self._mark_halted_belt("paused")

    async def stop(self) -> None:
        """Stop the belt, past a closed gate (retried: some machines answer 'operation failed')."""
        failed = 0
        while True:
            try:
                await self._call("stop", self._treadmill.stop, bypass=True)
                break
            except ControlRejected as exc:
                failed += 1
                if not exc.failed or failed >= _STOP_ATTEMPTS:
                    raise
            except Disconnected:
                pass  # reconnecting: try again shortly (callers bound the time)
            await clock.sleep_until(clock.now() + _RETRY_DELAY_S / 4)
        self._mark_halted_belt("stopped")
        self.stop_acknowledged = True

    async def set_speed(self, kmh: float, *, actual: float | None) -> float:
        """Write a speed target (already checked by the guard); retry a momentary refusal."""
        for attempt in range(_SPEED_RETRIES):
            try:
                return await self._write_speed(kmh, actual)
            except ControlRejected as exc:
                if not (exc.not_permitted or exc.failed) or attempt == _SPEED_RETRIES - 1:
                    raise
            await clock.sleep_until(clock.now() + _RETRY_DELAY_S)
        raise AssertionError  # pragma: no cover - the loop returns or raises

    async def set_incline(self, pct: float) -> float:
        """Write an incline target (already checked by the guard)."""

        async def write() -> float:
            return await self._treadmill.set_incline(pct)

        sent = await self._call("incline", write)
        self.commanded_incline = sent
        self._publish(TargetSet(t=self._elapsed(), speed_kmh=None, incline_pct=sent))
        return sent

    def mark_stopped(self) -> None:
        """Record that the belt stopped without our write (console, safety key, lost link)."""
        self._mark_halted_belt("stopped")
        self.stop_acknowledged = False

    # ---- internals ---------------------------------------------------------------------------

    async def _write_speed(self, kmh: float, actual: float | None) -> float:
        async def write() -> float:
            return await self._treadmill.set_speed(kmh)

        before = self.commanded_speed
        sent = await self._call("speed", write)
        self.commanded_speed = sent
        self.speed_written_at = clock.now()
        if abs(sent - before) > 1e-9:
            self.speed_changed_at = clock.now()
            self.speed_before_change = actual if actual is not None else before
        self._publish(TargetSet(t=self._elapsed(), speed_kmh=sent, incline_pct=None))
        return sent

    def _mark_halted_belt(self, belt: Belt) -> None:
        self.belt = belt
        self.commanded_speed = 0.0
        self.speed_changed_at = clock.now()
        self.stop_sent_at = clock.now()

    async def _call(
        self, op: str, call: Callable[[], Awaitable[_T]], *, bypass: bool = False
    ) -> _T:
        async with self._lock:
            if self._halted and not bypass:
                raise Halted(op)
            # No await between the gate check and the device call: nothing slips between.
            result = await call()
        self._publish(TargetConfirmed(t=self._elapsed(), op=op, result="success"))
        return result
