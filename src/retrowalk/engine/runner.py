"""The engine: runs one workout on one treadmill, from connecting to the belt stopped.

`Engine.run()` owns every task of the workout in one TaskGroup: the walker (steps and turns),
the device reader (telemetry, status, link), the monitor (snapshots, distance, energy, the
speed and heart-rate watchdogs), the emergency-stop guard and the heart-rate reader. Commands
from any controller come through `submit()`. Every way out of `run()` ends with a shielded,
time-bounded stop of the belt, then Finished or Aborted, then the bus is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from retrowalk.engine import clock
from retrowalk.engine.commander import Commander
from retrowalk.engine.control import Control
from retrowalk.engine.events import (
    Aborted,
    Connected,
    EngineState,
    Finished,
    HeartRate,
    Notice,
)
from retrowalk.engine.fit import fit_plan
from retrowalk.engine.monitor import Monitor
from retrowalk.engine.options import EngineOptions
from retrowalk.engine.session import Session
from retrowalk.engine.walk import Outcome, Walker

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from retrowalk.device.api import DeviceEvent, Treadmill
    from retrowalk.engine.bus import Bus
    from retrowalk.engine.commands import Command, CommandResult
    from retrowalk.workout.plan import Plan
    from retrowalk.workout.safety import SafetyProfile

__all__ = ["Engine", "EngineOptions"]

log = logging.getLogger(__name__)

_STILL_KMH = 0.15


class Engine:
    """Runs `plan` on `treadmill`, publishing on `bus`; single use (one `run()`)."""

    def __init__(  # noqa: PLR0913 - the agreed constructor
        self,
        plan: Plan,
        treadmill: Treadmill,
        *,
        bus: Bus,
        profile: SafetyProfile,
        options: EngineOptions = EngineOptions(),  # noqa: B008 - a frozen dataclass
        heart_rate: AsyncIterator[int | None] | None = None,
    ) -> None:
        self._plan = plan
        self._treadmill = treadmill
        self._bus = bus
        self._profile = profile
        self._options = options
        self._heart_rate = heart_rate
        self._s = Session(plan=plan, bus=bus, t0=0.0)
        self._control = Control(treadmill, profile, self._s.publish, self._s.elapsed)
        self._walker = Walker(self._s, self._control, options, treadmill.capabilities)
        self._commander = Commander(self._s, self._control, self._walker, options, treadmill)
        self._monitor = Monitor(self._s, self._control, self._walker, options, treadmill)
        self._ran = False

    @property
    def state(self) -> EngineState:
        """Return the engine's state."""
        return self._s.state

    async def submit(self, command: Command) -> CommandResult:
        """Handle one command from any controller; return whether it was accepted, and why not."""
        return await self._commander.submit(command)

    async def run(self) -> Finished | Aborted:
        """Run the workout to its end; every exit path stops the belt (shielded, bounded)."""
        if self._ran:
            raise RuntimeError("an Engine runs one workout: create a new Engine to run again")
        self._ran = True
        self._s.t0 = clock.now()
        events = self._treadmill.events()
        try:
            self._connect()
            outcome = await self._run_tasks(events)
        except BaseException as exc:
            error = _unwrap(exc)
            interrupted = isinstance(error, asyncio.CancelledError | KeyboardInterrupt)
            reason = "interrupted" if interrupted else f"error: {error}"
            await self._finish(Outcome(finished=False, reason=reason))
            if error is not exc:
                raise error from None
            raise
        finally:
            await _aclose(events)
        return await self._finish(outcome)

    # ---- phases ------------------------------------------------------------------------------

    def _connect(self) -> None:
        s = self._s
        caps = self._treadmill.capabilities
        s.set_state(EngineState.CONNECTING)
        speed = caps.speed_range
        incline = caps.incline_range
        s.publish(
            Connected(
                t=s.elapsed(),
                name=caps.name,
                address=caps.address,
                speed_range=None
                if speed is None
                else (speed.minimum_kmh, speed.maximum_kmh, speed.increment_kmh),
                incline_range=None
                if incline is None
                else (incline.minimum_pct, incline.maximum_pct, incline.increment_pct),
                controllable=caps.has_control_point,
            )
        )
        plan, changes = fit_plan(self._plan, caps, self._profile, clamp=self._options.clamp)
        s.plan = plan
        for change in changes:
            s.publish(Notice(t=s.elapsed(), message=f"fitted to the machine: {change}"))
        s.set_state(EngineState.READY)
        if not caps.has_control_point:
            s.motion_writes = False
            self._walker.enter_coach(
                f"{caps.name} has no control point: set speed and incline by hand"
            )

    async def _run_tasks(self, events: AsyncIterator[DeviceEvent]) -> Outcome:
        commander = self._commander
        if commander.estop is not None:
            return Outcome(finished=False, reason="emergency stop")
        async with asyncio.TaskGroup() as tg:
            helpers = [
                tg.create_task(self._monitor.read_device(events), name="retrowalk-device"),
                tg.create_task(self._monitor.tick(), name="retrowalk-monitor"),
                tg.create_task(commander.estop_guard(), name="retrowalk-estop"),
            ]
            if self._heart_rate is not None:
                helpers.append(tg.create_task(self._read_heart_rate(), name="retrowalk-hr"))
            walker = tg.create_task(self._walker.drive(), name="retrowalk-walker")
            commander.walker_task = walker
            try:
                await asyncio.wait({walker})
                if commander.estop_requested.is_set():
                    await commander.estop_done.wait()
            finally:
                commander.walker_task = None
                for task in helpers:
                    task.cancel()
        if commander.estop_requested.is_set() or walker.cancelled():
            return Outcome(finished=False, reason="emergency stop")
        return walker.result()

    async def _read_heart_rate(self) -> None:
        assert self._heart_rate is not None
        s = self._s
        try:
            async for bpm in self._heart_rate:
                connected = bpm is not None
                if connected != s.strap_connected:
                    s.publish(HeartRate(t=s.elapsed(), bpm=bpm, connected=connected))
                s.strap_connected = connected
                s.heart_rate_strap = bpm
        except Exception as exc:  # noqa: BLE001 - a failing strap must never end the workout
            s.publish(Notice(t=s.elapsed(), message=f"heart-rate strap lost: {exc}"))
        if s.strap_connected:
            s.strap_connected = False
            s.publish(HeartRate(t=s.elapsed(), bpm=None, connected=False))

    # ---- the end -----------------------------------------------------------------------------

    async def _finish(self, outcome: Outcome) -> Finished | Aborted:
        s = self._s
        s.segment = None
        if not outcome.finished:
            self._walker.finish_current()
        belt_stopped, cancelled = await self._final_stop(outcome)
        s.set_state(EngineState.FINISHED if outcome.finished else EngineState.ABORTED)
        self._bus.publish(
            s.snapshot(
                commanded_speed=0.0 if belt_stopped else self._control.commanded_speed,
                commanded_incline=self._control.commanded_incline,
            )
        )
        final: Finished | Aborted
        elapsed = 0.0 if s.started_at is None else clock.now() - s.started_at
        if outcome.finished:
            final = Finished(
                t=s.elapsed(),
                elapsed_s=elapsed,
                distance_m=s.telemetry.distance_m,
                energy_kcal=s.telemetry.energy_kcal,
                steps_completed=s.steps_completed,
                steps_skipped=s.steps_skipped,
                belt_stopped=belt_stopped,
            )
        else:
            final = Aborted(
                t=s.elapsed(),
                reason=outcome.reason,
                elapsed_s=elapsed,
                distance_m=s.telemetry.distance_m,
                energy_kcal=s.telemetry.energy_kcal,
                belt_stopped=belt_stopped,
            )
        s.publish(final)
        self._bus.close()
        if cancelled:
            raise asyncio.CancelledError
        return final

    async def _final_stop(self, outcome: Outcome) -> tuple[bool, bool]:
        """Stop the belt unless the person keeps walking; return (stopped, cancelled meanwhile)."""
        s = self._s
        keep = self._options.keep_walking or s.keep_walking
        if outcome.finished and keep:
            return False, False
        if self._commander.estop_stopped:
            return True, False
        if not s.motion_writes:
            speed = s.telemetry.fresh_speed(clock.now())
            return speed is not None and speed <= _STILL_KMH, False
        if s.started_at is None and self._control.belt != "running":
            return True, False  # the belt never moved for this workout
        task = asyncio.get_running_loop().create_task(
            self._bounded_stop(), name="retrowalk-final-stop"
        )
        cancelled = False
        while not task.done():
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                cancelled = True  # finish the bounded stop first, then re-raise
        return task.result(), cancelled

    async def _bounded_stop(self) -> bool:
        try:
            async with asyncio.timeout(self._options.stop_timeout_s):
                await self._control.final_stop()
        except Exception as exc:  # noqa: BLE001 - the last stop must never raise past cleanup
            log.warning("final stop failed: %s", exc)
            self._s.publish(Notice(t=self._s.elapsed(), message=f"could not stop the belt: {exc}"))
            return False
        return True


def _unwrap(exc: BaseException) -> BaseException:
    """Return the single error inside (nested) one-error exception groups."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


async def _aclose(iterator: object) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await close()
