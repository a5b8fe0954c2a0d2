"""The guard: every belt motion passes here, and it watches what the belt really does.

The rest of the engine decides what should happen; the guard decides whether it may
(docs/architecture.md, "The guard"):
- A still belt starts only with a confirmation given since it last stopped (`confirm()`: Enter,
  resume, a console Start, an armed remote; `--yes` on the simulator; the advanced profile's
  countdown). `start()` consumes it; every stop or pause revokes it.
- Every speed and incline target is capped at the safety profile for its direction and put on the
  machine's grid, never above the cap; a speed is written only to a started belt, and a backward
  incline only to a belt that is not running.
- Rest is what fresh telemetry shows, newer than the stop (`at_rest`); waits for it are bounded by
  the belt's speed and a conservative deceleration (`rest_bound`).
- Its watch (`guard.watch`, engine/guard_watch.py) keeps a held belt still and sees that the caps
  hold while the belt moves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from typing import TYPE_CHECKING

from retrowalk.engine import clock
from retrowalk.engine.control import Unconfirmed
from retrowalk.engine.events import Notice
from retrowalk.engine.guard_watch import DECEL_KMH_PER_S, GuardWatch
from retrowalk.errors import SafetyError
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from retrowalk.device.api import Treadmill
    from retrowalk.engine.commands import Origin
    from retrowalk.engine.control import Control
    from retrowalk.engine.options import EngineOptions
    from retrowalk.engine.session import Session
    from retrowalk.workout.safety import SafetyProfile

log = logging.getLogger(__name__)

STILL_KMH = 0.15  # a reported speed at or below this is a belt standing still
REST_MARGIN_S = 5.0
_EPS = 1e-6


def countdown_allowed(profile: SafetyProfile, *, confirm: bool) -> bool:
    """Return whether a turn with this `confirm` restarts after a spoken countdown (advanced)."""
    return not confirm and profile.name == "advanced"


class Guard:
    """Permits, caps and watch of one workout's belt (see the module docstring)."""

    def __init__(
        self,
        session: Session,
        control: Control,
        treadmill: Treadmill,
        profile: SafetyProfile,
        options: EngineOptions,
    ) -> None:
        self.s = session
        self.control = control
        self.treadmill = treadmill
        self.profile = profile
        self.options = options
        self.permit: Origin | None = None
        self.watch = GuardWatch(self)

    # ---- confirmation ------------------------------------------------------------------------

    @property
    def permitted(self) -> bool:
        """Return whether a start is confirmed."""
        return self.permit is not None

    def confirm(self, origin: Origin) -> None:
        """Record a confirmation: the next Start of a still belt may go ahead."""
        self.permit = origin
        self.s.wake.set()

    def revoke(self) -> None:
        """Forget any confirmation (the belt stopped, or a turn window opened)."""
        self.permit = None

    def countdown_allowed(self, *, confirm: bool) -> bool:
        """Return whether a start may come after a spoken countdown instead of a confirmation."""
        return countdown_allowed(self.profile, confirm=confirm)

    # ---- writes ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the belt; refused (Unconfirmed) without a confirmation since it stopped."""
        if self.permit is None:
            raise Unconfirmed("start without the person's confirmation")
        self.permit = None
        if self.s.need_control:
            await self.control.request_control()
            self.s.need_control = False
        await self.control.start()

    async def set_speed(self, kmh: float, direction: Direction) -> float:
        """Write a capped speed target to a started belt; return what was sent."""
        value = self.cap_speed(kmh, direction)
        if value > 0 and self.control.belt != "running":
            raise Unconfirmed(f"speed {value:g} km/h for a belt that is not started")
        return await self.control.set_speed(value, actual=self.observed_speed())

    async def set_incline(self, pct: float, direction: Direction) -> float:
        """Write a capped incline; backward only with the belt not running."""
        value = self.cap_incline(pct, direction)
        if direction == Direction.BACKWARD and self.control.belt == "running":
            raise Unconfirmed("a backward incline changes only with the belt stopped")
        return await self.control.set_incline(value)

    async def pause(self) -> None:
        """Pause the belt (revokes any confirmation)."""
        self.revoke()
        await self.control.pause()

    async def stop(self) -> None:
        """Stop the belt (revokes any confirmation)."""
        self.revoke()
        await self.control.stop()

    def cap_speed(self, kmh: float, direction: Direction) -> float:
        """Return `kmh` at most the profile's cap for `direction`, on the machine's grid.

        Raises SafetyError when the machine cannot go as slowly as the cap allows.
        """
        cap = self.profile.max_speed_kmh(direction)
        value = kmh if cap is None else min(kmh, cap)
        if value <= 0:
            return 0.0
        snapped = self.treadmill.quantize_speed(value)
        rng = self.treadmill.capabilities.speed_range
        if cap is not None and snapped > cap + _EPS and rng is not None:
            snapped = self.treadmill.quantize_speed(snapped - rng.increment_kmh)
        if cap is not None and snapped > cap + _EPS:
            raise SafetyError(
                f"the treadmill's lowest speed {snapped:g} km/h is above the "
                f"{self.profile.name} limit of {cap:g} km/h for walking {direction.value}"
            )
        return snapped

    def cap_incline(self, pct: float, direction: Direction) -> float:
        """Return `pct` at most the profile's cap, never downhill backward, on the grid."""
        cap = self.profile.max_incline_pct(direction)
        value = pct if cap is None else min(pct, cap)
        if direction == Direction.BACKWARD:
            value = max(value, 0.0)
        snapped = self.treadmill.quantize_incline(value)
        rng = self.treadmill.capabilities.incline_range
        if cap is not None and snapped > cap + _EPS and rng is not None:
            snapped = self.treadmill.quantize_incline(snapped - rng.increment_pct)
        if direction == Direction.BACKWARD and snapped < 0:
            raise SafetyError("the treadmill cannot set a level incline for walking backward")
        return snapped

    # ---- what the belt does ------------------------------------------------------------------

    def observed_speed(self) -> float | None:
        """Return the belt's reported speed, if fresh."""
        return self.s.telemetry.fresh_speed(clock.now())

    def at_rest(self, since: float = -math.inf) -> bool:
        """Return whether fresh telemetry, newer than `since`, shows the belt standing still."""
        return self.at_most(STILL_KMH, since)

    def at_most(self, kmh: float, since: float = -math.inf) -> bool:
        """Return whether fresh telemetry newer than `since` shows the belt at or below `kmh`."""
        speed = self.observed_speed()
        return speed is not None and speed <= kmh + _EPS and self.s.telemetry.at >= since

    def rest_bound(self, from_kmh: float | None) -> float:
        """Return how long a belt at `from_kmh` may take to reach rest (with a margin)."""
        speed = max(from_kmh or 0.0, self.control.commanded_speed, 1.0)
        return REST_MARGIN_S + speed / DECEL_KMH_PER_S

    async def wait_rest(
        self, since: float, *, at_most_kmh: float = STILL_KMH, within_s: float | None = None
    ) -> bool:
        """Wait (`within_s`, else `rest_bound`) until the belt is at or below `at_most_kmh`."""
        bound = self.rest_bound(self.observed_speed()) if within_s is None else within_s
        deadline = clock.now() + bound
        self.s.watching_telemetry += 1
        try:
            while not self.at_most(at_most_kmh, since):
                if clock.now() >= deadline:
                    return False
                self.s.wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout_at(deadline):
                        await self.s.wake.wait()
        finally:
            self.s.watching_telemetry -= 1
        return True

    def warn(self, message: str, *, safety: bool = False) -> None:
        """Publish a Notice (spoken when it concerns safety)."""
        self.s.publish(Notice(t=self.s.elapsed(), message=message, safety=safety))
