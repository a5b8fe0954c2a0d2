"""The engine's periodic watch, on absolute deadlines at the snapshot rate.

Each tick integrates distance and energy, runs the guard's time-based checks, watches that the
belt follows its target, that the heart rate stays under its limit and that a distance step does
not run on without end (coach mode, a belt that never moves), and publishes a Snapshot while a
sink takes them (the bus builds one when read otherwise).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from retrowalk.engine import clock
from retrowalk.engine.events import EngineState, HoldCause, Notice, TurnPhase
from retrowalk.engine.guard import STILL_KMH

if TYPE_CHECKING:
    from retrowalk.device.api import Capabilities
    from retrowalk.engine.belt import BeltMoves
    from retrowalk.engine.events import Snapshot
    from retrowalk.engine.options import EngineOptions
    from retrowalk.engine.session import Session

_RAMPING = {TurnPhase.STARTING, TurnPhase.RAMP_UP}
# A distance step is overdue after this multiple of its planned time (and at least this much
# longer), or after this long without any distance: the person is told and the workout holds.
OVERDUE_FACTOR = 3.0
OVERDUE_MIN_EXTRA_S = 300.0
NO_PROGRESS_S = 120.0
BLIND_AFTER_S = 10.0  # after a Start with no speed reported this long, the machine is blind
BLIND_WARNING = (
    "This treadmill reports no speed, so retrowalk cannot see the belt: coach mode. Set the "
    "speed and incline as told, and stop the belt yourself for each turn."
)


class Watch:
    """Snapshots and watchdogs of one engine."""

    def __init__(
        self, session: Session, belt: BeltMoves, options: EngineOptions, caps: Capabilities
    ) -> None:
        self.s = session
        self.belt = belt
        self.guard = belt.guard
        self.control = belt.control
        self.options = options
        self.caps = caps
        self.followed = False  # the belt once followed a change we made while it moved
        self._progress_at = -math.inf
        self._best_error = math.inf
        self._best_target = -1.0
        self._hr_since: float | None = None
        self._overdue_base = (-1, 0.0)  # (step index, step time a fresh bound counts from)

    async def tick(self) -> None:
        """Integrate, watch and (if taken) publish a Snapshot every snapshot_interval_s, forever."""
        interval = self.options.snapshot_interval_s
        last = clock.now()
        # Now, then on whole multiples of the interval of loop time: periodic timers elsewhere
        # on that grid (a link check, a simulated treadmill's cadence) share its loop passes.
        deadline = math.floor(last / interval) * interval

        def step() -> float:
            nonlocal deadline, last
            now = clock.now()
            running = self.control.belt == "running"
            distance = self.s.step_distance_m
            self.s.integrate(now - last, self.control.commanded_speed if running else 0.0, now)
            if self.s.step_distance_m > distance or self.s.state != EngineState.RUNNING:
                self.s.step_progress_at = now
            last = now
            self.guard.watch.check(now)
            self._watch_speed(now)
            self._watch_heart(now)
            self._watch_overdue(now)
            self._watch_blind(now)
            if self.s.bus.takes_snapshots:
                self.s.bus.publish(self.snapshot())
            deadline += interval
            return deadline

        await clock.repeat(step)

    def snapshot(self) -> Snapshot:
        """Return the whole visible state now, with the targets last written."""
        return self.s.snapshot(
            commanded_speed=self.control.commanded_speed,
            commanded_incline=self.control.commanded_incline,
        )

    def _watch_speed(self, now: float) -> None:
        s = self.s
        c = self.control
        watched = s.state == EngineState.RUNNING or (
            s.state == EngineState.TURNING and s.turn_phase in _RAMPING
        )
        actual = s.telemetry.fresh_speed(now)
        target = c.commanded_speed
        # A belt yet to start after a Start is the walker's to judge (wait_moving).
        idle = s.coach or c.belt != "running" or not watched or s.awaiting_motion
        if idle or s.pending is not None:
            self._progress_at = now
            return
        if actual is None or target <= 0:
            return
        rng = self.caps.speed_range
        tolerance = max(0.3, 0.6 * rng.increment_kmh) if rng is not None else 0.3
        error = abs(actual - target)
        if error <= tolerance:
            if (
                c.speed_before_change > STILL_KMH
                and abs(target - c.speed_before_change) > tolerance
            ):
                self.followed = True
            self._best_error = error
            self._progress_at = now
            return
        if target != self._best_target or error < self._best_error - 0.1:
            self._best_target = target
            self._best_error = error
            self._progress_at = now
        lagging_since = max(c.speed_changed_at, self._progress_at)
        if now - lagging_since < self.options.follow_grace_s:
            return
        self._progress_at = now
        if actual <= STILL_KMH and not self.followed:
            return  # never started (the walker asks for the console start)
        if not self.followed:
            self.belt.enter_coach("the treadmill does not follow speed commands")
            return
        s.hold_for(
            HoldCause.SPEED_NOT_FOLLOWING,
            f"the belt runs at {actual:.1f} km/h, not the {target:.1f} km/h asked for",
            "Check the treadmill (speed lock, child lock, overload), then resume.",
        )

    def _watch_heart(self, now: float) -> None:
        limit = self.options.hr_max_bpm
        bpm = self.s.heart_rate() if limit is not None else None
        active = self.s.state in {EngineState.RUNNING, EngineState.TURNING}
        if limit is None or bpm is None or bpm <= limit or not active:
            self._hr_since = None
            return
        if self._hr_since is None:
            self._hr_since = now
        if now - self._hr_since >= self.options.hr_hold_s:
            self._hr_since = None
            self.s.hold_for(
                HoldCause.HEART_RATE,
                f"heart rate {bpm} bpm stayed above {limit} bpm for {self.options.hr_hold_s:g} s",
                "Walk it off slowly or rest; resume when your heart rate is down.",
            )

    def _watch_blind(self, now: float) -> None:
        """A machine that never reports a speed: coach mode, since nobody can see the belt."""
        s = self.s
        started = self.control.started_at
        if s.coach or math.isfinite(s.telemetry.at) or not math.isfinite(started):
            return
        if now - started >= BLIND_AFTER_S:
            s.publish(Notice(t=s.elapsed(), message=BLIND_WARNING, safety=True))
            self.belt.enter_coach("the treadmill reports no speed")

    def _watch_overdue(self, now: float) -> None:
        s = self.s
        step = s.step
        if s.state != EngineState.RUNNING or step is None or step.distance_m is None:
            return
        bound = max(OVERDUE_FACTOR * step.planned_s, step.planned_s + OVERDUE_MIN_EXTRA_S)
        if self._overdue_base[0] != step.index:
            self._overdue_base = (step.index, 0.0)
        elapsed = s.step_elapsed()
        still = now - s.step_progress_at
        if elapsed - self._overdue_base[1] <= bound and still <= NO_PROGRESS_S:
            return
        left = s.remaining_m() or 0.0
        why = (
            f"no distance for {still:.0f} s"
            if still > NO_PROGRESS_S
            else f"{elapsed / 60:.0f} min for a step planned at {step.planned_s / 60:.0f} min"
        )
        s.step_progress_at = now  # a resume gives the step a fresh bound
        self._overdue_base = (step.index, elapsed)
        s.hold_for(
            HoldCause.STEP_OVERDUE,
            f"{step.distance_m:.0f} m step with {left:.0f} m to go: {why}",
            "Set the speed at the console (or skip the interval), then resume.",
        )
