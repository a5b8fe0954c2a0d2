"""The engine's only way to write to the treadmill: one call at a time, behind a gate.

Every control write of the engine passes through `Control`, which
- lets one device call be in flight at a time (a lock), so an emergency stop knows exactly
  what it waits behind: at most the call in flight, never a queue of engine writes;
- closes a gate on `halt()`: from then on every write but the emergency stop and the final
  stop is refused before it reaches the device, with no await between the gate check and
  the device call, so nothing can slip in between;
- caps every speed and incline at the safety profile and the machine (the last line of
  defence: a bug above can never command a speed beyond the limits);
- registers the status echo it expects before each write, so the status a machine sends for
  the engine's own change is not mistaken for the person at the console.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from retrowalk.engine import clock
from retrowalk.engine.events import TargetConfirmed, TargetSet
from retrowalk.errors import ControlRejected, Disconnected
from retrowalk.ftms.control_point import quantize
from retrowalk.ftms.models import ResultCode
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from retrowalk.device.api import Treadmill
    from retrowalk.engine.events import Event
    from retrowalk.workout.safety import SafetyProfile

_T = TypeVar("_T")

ECHO_WINDOW_S = 5.0  # a status echo of our own write arrives within this time
ECHO_GRACE_S = 1.0  # ... and at most this long after the procedure completed
_RETRY_DELAY_S = 1.0
_SPEED_RETRIES = 4  # Kingsmith refuses speed for ~2.5 s after a start
_STOP_ATTEMPTS = 3  # FR30Z answers some Stops with 'operation failed'


class Halted(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The gate is closed (emergency stop): no further motion writes."""


@dataclass
class Expected:
    """A status the machine may echo for one of our own writes."""

    kind: str  # "stop", "pause", "start", "speed", "incline"
    value: float | None
    until: float


class Control:
    """Serialised, gated, capped control writes; publishes TargetSet and TargetConfirmed."""

    def __init__(
        self,
        treadmill: Treadmill,
        profile: SafetyProfile,
        publish: Callable[[Event], None],
        elapsed: Callable[[], float],
    ) -> None:
        self._treadmill = treadmill
        self._profile = profile
        self._publish = publish
        self._elapsed = elapsed
        self._lock = asyncio.Lock()
        self._halted = False
        self.expected: list[Expected] = []
        self.commanded_speed = 0.0  # last speed sent (0 after stop or pause)
        self.commanded_incline: float | None = None
        self.belt = "stopped"  # "stopped", "paused" or "running", as commanded
        self.speed_changed_at = -math.inf
        self.speed_written_at = -math.inf
        self.speed_before_change = 0.0

    @property
    def halted(self) -> bool:
        """Return whether the gate is closed."""
        return self._halted

    def halt(self) -> None:
        """Close the gate: every later write but `emergency_stop`/`final_stop` is refused."""
        self._halted = True

    def limit_speed(self, kmh: float, direction: Direction) -> float:
        """Return `kmh` capped at the profile's and the machine's limits for `direction`."""
        cap = self._profile.max_speed_kmh(direction)
        if cap is not None:
            kmh = min(kmh, cap)
        rng = self._treadmill.capabilities.speed_range
        if rng is not None and kmh > 0:
            # On the machine's grid, as the device would send it, so echoes match exactly.
            capped = kmh
            kmh = quantize(
                kmh, increment=rng.increment_kmh, minimum=rng.minimum_kmh, maximum=rng.maximum_kmh
            )
            if kmh > capped + 1e-9 and cap is not None and kmh > cap + 1e-9:
                kmh = max(rng.minimum_kmh, round(kmh - rng.increment_kmh, 9))
        return max(kmh, 0.0)

    def limit_incline(self, pct: float, direction: Direction) -> float:
        """Return `pct` within the profile's cap and the machine's range; never downhill back."""
        cap = self._profile.max_incline_pct(direction)
        if cap is not None:
            pct = min(pct, cap)
        if direction == Direction.BACKWARD:
            pct = max(pct, 0.0)
        rng = self._treadmill.capabilities.incline_range
        if rng is not None:
            capped = pct
            pct = quantize(
                pct, increment=rng.increment_pct, minimum=rng.minimum_pct, maximum=rng.maximum_pct
            )
            if pct > capped + 1e-9 and cap is not None and pct > cap + 1e-9:
                pct = max(rng.minimum_pct, round(pct - rng.increment_pct, 9))
        return pct

    def consume_echo(self, kind: str, value: float | None) -> bool:
        """Return whether a status of `kind` is the echo of one of our writes (and consume it)."""
        now = clock.now()
        self.expected = [e for e in self.expected if e.until >= now]
        for item in self.expected:
            if item.kind != kind:
                continue
            if value is None or item.value is None or abs(item.value - value) < 0.051:
                self.expected.remove(item)
                return True
        return False

    # ---- writes ------------------------------------------------------------------------------

    async def request_control(self) -> None:
        """Request control of the machine."""
        await self._call("request control", None, self._treadmill.request_control)

    async def start(self) -> None:
        """Start or resume the belt."""
        await self._call("start", ("start", None), self._treadmill.start)
        self.belt = "running"

    async def pause(self) -> None:
        """Pause the belt."""
        await self._call("pause", ("pause", None), self._treadmill.pause)
        self._mark_halted_belt("paused")

    async def stop(self) -> None:
        """Stop the belt (retried: some machines answer Stop with 'operation failed')."""
        await self._stop(bypass=False)

    async def set_speed(self, kmh: float, direction: Direction, *, actual: float | None) -> float:
        """Write a capped speed target; retry while a machine refuses it for a moment."""
        kmh = self.limit_speed(kmh, direction)
        for attempt in range(_SPEED_RETRIES):
            try:
                return await self._write_speed(kmh, actual)
            except ControlRejected as exc:
                transient = exc.result_code in {
                    ResultCode.CONTROL_NOT_PERMITTED,
                    ResultCode.OPERATION_FAILED,
                }
                if not transient or attempt == _SPEED_RETRIES - 1:
                    raise
            await clock.sleep_until(clock.now() + _RETRY_DELAY_S)
        raise AssertionError  # pragma: no cover - the loop returns or raises

    async def set_incline(self, pct: float, direction: Direction) -> float:
        """Write a capped incline target."""
        pct = self.limit_incline(pct, direction)

        async def write() -> float:
            return await self._treadmill.set_incline(pct)

        sent = await self._call("incline", ("incline", pct), write)
        self.commanded_incline = sent
        self._publish(TargetSet(t=self._elapsed(), speed_kmh=None, incline_pct=sent))
        return sent

    async def emergency_stop(self) -> None:
        """Stop the belt past the closed gate, right after the call in flight (if any)."""
        await self._stop(bypass=True)

    async def final_stop(self) -> None:
        """Stop the belt at the end of the engine, even behind a closed gate."""
        await self._stop(bypass=True)

    # ---- internals ---------------------------------------------------------------------------

    async def _write_speed(self, kmh: float, actual: float | None) -> float:
        async def write() -> float:
            return await self._treadmill.set_speed(kmh)

        before = self.commanded_speed
        sent = await self._call("speed", ("speed", kmh), write)
        self.commanded_speed = sent
        self.speed_written_at = clock.now()
        if abs(sent - before) > 1e-9:
            self.speed_changed_at = clock.now()
            self.speed_before_change = actual if actual is not None else before
        self._publish(TargetSet(t=self._elapsed(), speed_kmh=sent, incline_pct=None))
        return sent

    async def _stop(self, *, bypass: bool) -> None:
        """Write Stop until it succeeds; callers bound the time (the link may come back)."""
        failed = 0
        while True:
            try:
                await self._call("stop", ("stop", None), self._treadmill.stop, bypass=bypass)
                break
            except ControlRejected as exc:
                failed += 1
                if exc.result_code != ResultCode.OPERATION_FAILED or failed >= _STOP_ATTEMPTS:
                    raise
            except Disconnected:
                pass  # reconnecting: try again shortly
            await clock.sleep_until(clock.now() + _RETRY_DELAY_S / 4)
        self._mark_halted_belt("stopped")

    def mark_stopped(self) -> None:
        """Record that the belt stopped without our write (console, safety key, lost link)."""
        self._mark_halted_belt("stopped")

    def _mark_halted_belt(self, belt: str) -> None:
        self.belt = belt
        self.commanded_speed = 0.0
        self.speed_changed_at = clock.now()

    async def _call(
        self,
        op: str,
        echo: tuple[str, float | None] | None,
        call: Callable[[], Awaitable[_T]],
        *,
        bypass: bool = False,
    ) -> _T:
        async with self._lock:
            if self._halted and not bypass:
                raise Halted(op)
            expected = None
            if echo is not None:
                expected = Expected(echo[0], echo[1], clock.now() + ECHO_WINDOW_S)
                self.expected.append(expected)
            try:
                # No await between the gate check and the device call: nothing slips between.
                result = await call()
            except asyncio.CancelledError:
                if expected is not None:  # the write may be out: its echo may still come
                    expected.until = min(expected.until, clock.now() + ECHO_GRACE_S)
                raise
            except Exception:
                if expected is not None and expected in self.expected:
                    self.expected.remove(expected)  # refused: no echo will come
                raise
            if expected is not None:
                # The echo comes before (or just after) the indication: a later status of the
                # same kind is the person at the console, not us.
                expected.until = min(expected.until, clock.now() + ECHO_GRACE_S)
        self._publish(TargetConfirmed(t=self._elapsed(), op=op, result="success"))
        return result
