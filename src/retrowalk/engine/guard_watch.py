"""The guard's watch: it keeps a held belt still and sees that caps hold while the belt moves.

Part of the guard (engine/guard.py), which owns it as `guard.watch`:
- `keep_stopped()` (HOLD, emergency stop): Stop is re-sent, control requested again when needed,
  with backoff and across reconnects, until telemetry shows rest; a spoken warning repeats;
- while the belt moves: a speed or incline above the profile's cap is written back at once
  (`on_telemetry`; never above the target already written when the belt runs far faster than
  it, as a machine reading mph would) and holds the workout when it stays, at once when the belt
  does not slow down after the write; a belt that follows its targets by the
  mph ratio holds with advice; telemetry that stops while the belt should move warns, then holds.
`check()` runs at the snapshot rate; `run()` is the task that carries out the writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from typing import TYPE_CHECKING

from retrowalk.backoff import Backoff
from retrowalk.engine import clock
from retrowalk.engine.control import Unconfirmed
from retrowalk.engine.events import BeltAtRest, HoldCause, RestReason
from retrowalk.errors import ControlRejected, DeviceError, SafetyError
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from retrowalk.engine.guard import Guard

log = logging.getLogger(__name__)

DECEL_KMH_PER_S = 0.25  # slower than any machine seen (0.3-0.45 km/h per s): bounds stay safe
_SPEED_TOLERANCE_KMH = 0.15  # above the cap by more than this is above it
_INCLINE_TOLERANCE_PCT = 0.3
_INCLINE_RATE_PCT_PER_S = 0.5  # slower than EN 957-6's ~1.75 %/s: bounds stay safe
_MPH_RATIO = 1.609344
_MPH_BAND = 0.05  # observed / commanded within 5 % of the ratio
_MPH_STEADY_S = 3.0  # ... for this long, with the target unchanged
# A belt this much faster than its target may read targets in other units (mph): a write-back
# is then never above the target already written, which such a machine would run faster still.
_FOREIGN_UNITS_RATIO = 1.3
_WRITE_BACK_S = 2.0  # a belt not slowing this long after a write-back holds at once
_TELEMETRY_WARN_S = 5.0
_TELEMETRY_HOLD_S = 15.0
# Stop re-sent after 1, 2, 4, then every 8 s: retrowalk's one backoff, without jitter (one
# machine, one person waiting; nothing to spread out).
STOP_BACKOFF = Backoff(1.0, 8.0, jitter=0.0)
_WARN_EVERY_S = 10.0
BELT_MOVING_WARNING = (
    "The belt is still moving. Do not turn around: hold the rails, and stop it at the console "
    "or pull the safety key."
)
BELT_UNSEEN_WARNING = (
    "retrowalk cannot see the belt. Hold the rails and make sure it stands still: stop it at "
    "the console or pull the safety key."
)


class GuardWatch:
    """Keeps a held belt still and watches caps, units and telemetry while it moves."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.s = guard.s
        self.control = guard.control
        self.profile = guard.profile
        self.options = guard.options
        self.keeping: RestReason | None = None  # HOLD or emergency stop: keep the belt still
        self._keep_since = -math.inf
        self._next_stop_at = math.inf
        # A Stop that goes out whatever telemetry shows: a machine counting down after a Start
        # reports 0 km/h until its belt moves, so "at rest" is no reason to skip that Stop.
        self._stop_owed = False
        self._attempt = 0
        self._warned_at = -math.inf
        self._rest_told = False
        self._work = asyncio.Event()
        self._cap_write: float | None = None  # a speed to write back (above the cap)
        self._above_since: float | None = None
        self._above_first_kmh = 0.0  # the speed first seen above the cap
        self._wrote_back = False  # ... and the cap written back (not in coach mode)
        self._incline_above_since: float | None = None
        self._ratio_since: float | None = None
        self._quiet_told = False

    # ---- keeping the belt stopped ------------------------------------------------------------

    def keep_stopped(self, why: RestReason, *, stop_now: bool) -> None:
        """Keep the belt still from now on: Stop now, or once it had time to stop by itself."""
        now = clock.now()
        self.guard.revoke()
        if self.keeping is None:
            self._keep_since = now
            self._attempt = 0
            self._rest_told = False
        self.keeping = why
        wait = 0.0 if stop_now else self.guard.rest_bound(self.guard.observed_speed())
        self._next_stop_at = min(self._next_stop_at, now + wait)
        self._stop_owed = self._stop_owed or stop_now
        self._work.set()

    def release(self) -> None:
        """Stop keeping the belt still (the person resumed)."""
        self.keeping = None
        self._next_stop_at = math.inf
        self._stop_owed = False

    def link_restored(self) -> None:
        """The link is back: while keeping the belt still, request control and Stop at once."""
        self.s.need_control = True
        if self.keeping is not None:
            self._next_stop_at = clock.now()
            self._work.set()

    # ---- watching ----------------------------------------------------------------------------

    def on_telemetry(self) -> None:
        """React to a new record at once: a speed above the cap is written back."""
        now = clock.now()
        if (
            self.keeping is not None
            and not self._rest_told
            and self.guard.at_rest(self._keep_since)
        ):
            self._rest_told = True
            self.s.publish(BeltAtRest(t=self.s.elapsed(), why=self.keeping or RestReason.HOLD))
        speed = self.guard.observed_speed()
        cap = self.profile.max_speed_kmh(self.s.facing)
        # Over the cap is seen on the belt itself, whatever we last commanded: a belt sped up at
        # the console while our Start was still pending is watched as well.
        if (
            speed is None
            or cap is None
            or speed <= cap + _SPEED_TOLERANCE_KMH
            or self.keeping is not None
        ):
            self._above_since = None
            return
        if self._above_since is None:
            self._above_since = now
            self._above_first_kmh = speed
            limit = f"above your {self.profile.name} limit of {cap:g} km/h"
            self._wrote_back = not self.s.coach
            if self.s.coach:  # the person sets the speed: only they can lower it, in time
                self.guard.warn(
                    f"The belt runs at {speed:.1f} km/h, {limit}: slow it down at the console.",
                    safety=True,
                )
                return
            commanded = self.control.commanded_speed
            foreign = commanded > 0 and speed > commanded * _FOREIGN_UNITS_RATIO
            self._cap_write = min(cap, commanded) if foreign else cap
            self._work.set()
            self.guard.warn(
                f"The belt runs at {speed:.1f} km/h, {limit}: slowing it down.", safety=True
            )

    def check(self, now: float) -> None:
        """Time-based watch, called at the snapshot rate (`now`: the loop's time)."""
        self._check_caps(now)
        self._check_units(now)
        self._check_quiet(now)
        if self.keeping is not None:
            self._check_kept(now)

    async def run(self) -> None:
        """Carry out what the watch decided (write-backs, Stop re-sends), forever."""
        while True:
            await self._work.wait()
            self._work.clear()
            cap = self._cap_write
            self._cap_write = None
            if cap is not None and self.keeping is None and self.control.belt == "running":
                with contextlib.suppress(DeviceError, Unconfirmed, SafetyError):
                    await self.guard.set_speed(cap, self.s.facing)
            if self.keeping is not None and clock.now() >= self._next_stop_at:
                await self._resend_stop()

    # ---- internals ---------------------------------------------------------------------------

    def _check_caps(self, now: float) -> None:
        if self._above_since is not None:
            speed = self.guard.observed_speed() or 0.0
            cap = self.profile.max_speed_kmh(self.s.facing) or speed
            bound = 3.0 + max(0.0, speed - cap) / DECEL_KMH_PER_S
            # Written back and not slowing (a machine that ignores or misreads its targets):
            # stop it now rather than wait out the bound with the person above their limit.
            late = now - self._above_since >= _WRITE_BACK_S
            ignored = self._wrote_back and late and speed >= self._above_first_kmh
            if ignored or now - self._above_since > bound:
                self._above_since = None
                if self._mph_ratio(speed):
                    self._units_hold(speed)  # the better advice: the same belt, the real cause
                    return
                self.s.hold_for(
                    HoldCause.SPEED_ABOVE_CAP,
                    f"the belt stayed at {speed:.1f} km/h, above the limit of {cap:g} km/h",
                    "Check the treadmill's console (a speed set there, a speed lock), then resume.",
                )
        incline = self.s.telemetry.incline_pct
        cap_pct = self.profile.max_incline_pct(self.s.facing)
        if incline is None or cap_pct is None or incline <= cap_pct + _INCLINE_TOLERANCE_PCT:
            self._incline_above_since = None
            return
        if self._incline_above_since is None:
            self._incline_above_since = now
            if self.s.facing == Direction.BACKWARD and self.control.belt == "running":
                # Never change the incline under a person walking backward: stop first.
                self._incline_hold(incline, cap_pct)
                return
            self._work.set()
            self.guard.warn(
                f"The incline is {incline:g} %, above your limit of {cap_pct:g} %: lowering it.",
                safety=True,
            )
            self.s.incline_override = cap_pct
            return
        bound = 5.0 + (incline - cap_pct) / _INCLINE_RATE_PCT_PER_S
        if now - self._incline_above_since > bound:
            self._incline_hold(incline, cap_pct)

    def _incline_hold(self, incline: float, cap: float) -> None:
        self._incline_above_since = None
        self.s.hold_for(
            HoldCause.INCLINE_ABOVE_CAP,
            f"the incline is {incline:g} %, above the limit of {cap:g} %",
            "Lower the incline at the console, then resume.",
        )

    def _check_units(self, now: float) -> None:
        c = self.control
        speed = self.s.telemetry.fresh_speed(now)
        steady = now - c.speed_changed_at >= _MPH_STEADY_S
        if speed is None or c.belt != "running" or c.commanded_speed < 0.8 or not steady:
            self._ratio_since = None
            return
        if not self._mph_ratio(speed):
            self._ratio_since = None
            return
        if self._ratio_since is None:
            self._ratio_since = now
        elif now - self._ratio_since >= _MPH_STEADY_S:
            self._ratio_since = None
            self._units_hold(speed)

    def _mph_ratio(self, speed: float) -> bool:
        """Return whether `speed` is the commanded speed read as mph (within the band)."""
        commanded = self.control.commanded_speed
        if commanded < 0.8:
            return False
        return abs(speed / commanded - _MPH_RATIO) <= _MPH_RATIO * _MPH_BAND

    def _units_hold(self, speed: float) -> None:
        name = self.guard.treadmill.capabilities.name
        self.s.hold_for(
            HoldCause.SPEED_UNITS,
            f"the belt runs at {speed:.1f} km/h for a target of "
            f"{self.control.commanded_speed:g} km/h: the treadmill reads targets as mph",
            f'This treadmill reads target speeds as mph: add [machines."{name}"] with '
            'speed_targets = "mph" to config.toml, then start again.',
        )

    def _check_quiet(self, now: float) -> None:
        last = self.s.telemetry.at
        moving = self.control.belt == "running" and self.s.link_up and self.keeping is None
        quiet = now - last
        if not moving or not math.isfinite(last) or quiet < _TELEMETRY_WARN_S:
            self._quiet_told = False
            return
        if not self._quiet_told:
            self._quiet_told = True
            self.guard.warn(
                "The treadmill stopped reporting its speed. Hold the rails; stop at the console "
                "if anything is wrong.",
                safety=True,
            )
        if quiet >= _TELEMETRY_HOLD_S:
            self.s.hold_for(
                HoldCause.TELEMETRY_LOST,
                f"no telemetry for {quiet:.0f} s while the belt should be moving",
                "Check the treadmill; resume once its display and retrowalk show the speed.",
            )

    def _check_kept(self, now: float) -> None:
        if self._kept_at_rest():
            return
        if now >= self._next_stop_at:
            self._work.set()
        overdue = now - self._keep_since > self.guard.rest_bound(None)
        if overdue and now - self._warned_at >= _WARN_EVERY_S:
            self._warned_at = now
            seen = self.guard.observed_speed() is not None
            self.guard.warn(BELT_MOVING_WARNING if seen else BELT_UNSEEN_WARNING, safety=True)

    def _kept_at_rest(self) -> bool:
        """Return whether the held belt is seen at rest and no Stop is owed to it."""
        return self.guard.at_rest(self._keep_since) and not self._stop_owed

    async def _resend_stop(self) -> None:
        if self._kept_at_rest() or not self.s.link_up or not self.s.motion_writes:
            self._next_stop_at = clock.now() + STOP_BACKOFF.initial_s
            return
        self._attempt += 1
        delay = STOP_BACKOFF.delay_s(self._attempt)
        self._next_stop_at = clock.now() + delay
        if failure := await self.stop_once():
            log.info("stop while keeping the belt still failed: %s", failure)
        else:
            self._stop_owed = False  # the machine took it: a Start it was counting down is gone

    async def stop_once(self) -> str:
        """Send Stop (bounded), requesting control first when needed; return "" or why not."""
        try:
            async with asyncio.timeout(self.options.stop_timeout_s):
                if self.s.need_control:
                    await self.control.request_control(bypass=True)
                    self.s.need_control = False
                await self.control.stop()
        except ControlRejected as exc:
            if exc.not_permitted:
                self.s.need_control = True  # the machine wants control asked for again
            return str(exc) or "refused"
        except (DeviceError, TimeoutError) as exc:
            return str(exc) or "no answer"
        return ""
