"""The engine: runs one workout on one treadmill, from connecting to the belt stopped.

`Engine.run()` owns every task of the workout in one TaskGroup: the walker (steps and turns),
the device reader (telemetry, the console, the link), the watch (snapshots, distance, energy,
the watchdogs), the guard's worker (write-backs, Stops re-sent while the belt must stay still),
the emergency-stop writer and the heart-rate reader. Commands from any controller come through
`submit()`. Every way out of `run()` ends with a shielded, time-bounded stop of the belt and a
bounded wait to see it at rest, then Finished or Aborted (saying whether telemetry showed the
belt at rest), then the bus is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from retrowalk.engine import clock
from retrowalk.engine.after_end import AfterEnd
from retrowalk.engine.belt import BeltMoves
from retrowalk.engine.commander import Commander
from retrowalk.engine.control import Control
from retrowalk.engine.events import (
    Aborted,
    BeltAtRest,
    Connected,
    EngineState,
    Finished,
    HeartRate,
    Notice,
    RestReason,
)
from retrowalk.engine.fitting import fit_plan
from retrowalk.engine.guard import STILL_KMH, Guard
from retrowalk.engine.monitor import Monitor
from retrowalk.engine.options import EngineOptions
from retrowalk.engine.session import Session
from retrowalk.engine.walk import Outcome, Walker
from retrowalk.engine.watch import Watch

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from retrowalk.device.api import DeviceEvents, Treadmill
    from retrowalk.engine.bus import Bus
    from retrowalk.engine.commands import Command, CommandResult
    from retrowalk.workout.plan import Plan
    from retrowalk.workout.safety import SafetyProfile

__all__ = ["Engine", "EngineOptions"]

log = logging.getLogger(__name__)


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
        fit_notes: Sequence[str] = (),
    ) -> None:
        self._plan = plan
        self._treadmill = treadmill
        self._bus = bus
        self._profile = profile
        self._options = options
        self._heart_rate = heart_rate
        self._fit_notes = tuple(fit_notes)  # how the caller fitted the plan (said at READY)
        s = self._s = Session(plan=plan, bus=bus, t0=0.0)
        caps = treadmill.capabilities
        self._control = Control(treadmill, s.publish, s.elapsed)
        self._guard = Guard(s, self._control, treadmill, profile, options)
        belt = BeltMoves(s, self._guard, self._control, options, caps)
        self._walker = Walker(s, belt, options)
        self._monitor = Monitor(s, self._control, self._guard)
        self._commander = Commander(
            s,
            self._control,
            guard=self._guard,
            belt=belt,
            options=options,
            treadmill=treadmill,
            after_end=AfterEnd(
                s, self._guard, treadmill=treadmill, read_device=self._monitor.read_device
            ),
        )
        self._watch = Watch(s, belt, options, caps)
        self._ran = False

    @property
    def state(self) -> EngineState:
        """Return the engine's state."""
        return self._s.state

    @property
    def started_at(self) -> float:
        """Return the clock reading (`clock.now()`) at the workout's t=0, the events' origin."""
        return self._s.t0

    def elapsed(self) -> float:
        """Return the time on the workout's clock now: the `t` an event published now gets."""
        return self._s.elapsed()

    async def submit(self, command: Command) -> CommandResult:
        """Handle one command from any controller; return whether it was accepted, and why not."""
        return await self._commander.submit(command)

    async def run(self) -> Finished | Aborted:
        """Run the workout to its end; every exit path stops the belt (shielded, bounded)."""
        if self._ran:
            raise RuntimeError("an Engine runs one workout: create a new Engine to run again")
        self._ran = True
        self._s.t0 = clock.now()
        self._bus.snapshots_from(self._watch.snapshot)
        events = self._treadmill.events()
        try:
            try:
                self._connect()
                outcome = await self._run_tasks(events)
            except BaseException as exc:
                error = _unwrap(exc)
                interrupted = isinstance(error, asyncio.CancelledError | KeyboardInterrupt)
                reason = "interrupted" if interrupted else f"error: {error}"
                await self._finish(Outcome(finished=False, reason=reason), events)
                if error is not exc:
                    raise error from None
                raise
            return await self._finish(outcome, events)
        finally:
            self._bus.snapshots_from(None)  # read after the engine, latest is its last state
            await _aclose(events)

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
        for change in (*self._fit_notes, *(c.text() for c in changes)):
            s.publish(Notice(t=s.elapsed(), message=f"fitted to the machine: {change}"))
        s.set_state(EngineState.READY)
        if not caps.has_control_point:
            s.motion_writes = False
            self._walker.belt.enter_coach(f"{caps.name} has no control point")

    async def _run_tasks(self, events: DeviceEvents) -> Outcome:
        commander = self._commander
        async with asyncio.TaskGroup() as tg:
            helpers = [
                tg.create_task(self._monitor.read_device(events), name="retrowalk-device"),
                tg.create_task(self._watch.tick(), name="retrowalk-watch"),
                tg.create_task(self._guard.watch.run(), name="retrowalk-guard"),
                tg.create_task(commander.estop_guard(), name="retrowalk-estop"),
            ]
            if self._heart_rate is not None:
                helpers.append(tg.create_task(self._read_heart_rate(), name="retrowalk-hr"))
            walker = tg.create_task(self._walker.drive(), name="retrowalk-walker")
            try:
                await asyncio.wait({walker})
                await commander.estop_done.wait()  # an emergency Stop in flight completes
            finally:
                for task in helpers:
                    task.cancel()
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

    async def _finish(self, outcome: Outcome, events: DeviceEvents) -> Finished | Aborted:
        s = self._s
        s.segment = None
        if not outcome.finished:
            self._walker.finish_current()
        belt_stopped, cancelled = await self._final_stop(outcome, events)
        s.set_state(EngineState.FINISHED if outcome.finished else EngineState.ABORTED)
        self._bus.snapshots_from(None)  # from here, latest is what is published
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

    async def _final_stop(self, outcome: Outcome, events: DeviceEvents) -> tuple[bool, bool]:
        """Stop the belt unless the person keeps walking; return (seen at rest, cancelled)."""
        s = self._s
        keep = self._options.keep_walking or s.keep_walking
        if outcome.finished and keep:
            return False, False
        if not s.motion_writes:
            return self._guard.at_rest(), False
        moving = (self._guard.observed_speed() or 0.0) > STILL_KMH
        if s.started_at is None and self._control.belt != "running" and not moving:
            return True, False  # retrowalk never moved the belt, and it is not seen moving
        task = asyncio.get_running_loop().create_task(
            self._bounded_stop(events), name="retrowalk-final-stop"
        )
        cancelled = False
        while not task.done():
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                cancelled = True  # finish the bounded stop first, then re-raise
        return task.result(), cancelled

    async def _bounded_stop(self, events: DeviceEvents) -> bool:
        """Stop the belt and see it at rest, both bounded; return whether telemetry showed rest."""
        loop = asyncio.get_running_loop()
        reader = loop.create_task(self._monitor.read_device(events), name="retrowalk-last-read")
        # The screen and the session log keep seeing the belt slow down to its stop.
        ticker = loop.create_task(self._snapshots(), name="retrowalk-last-snapshots")
        try:
            return await self._stop_and_see_rest()
        finally:
            for task in (reader, ticker):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _snapshots(self) -> None:
        """Publish a snapshot every snapshot interval (no watching: the workout is over)."""
        s = self._s
        deadline = clock.now()
        while True:
            deadline += self._options.snapshot_interval_s
            await clock.sleep_until(deadline)
            if s.bus.takes_snapshots:
                s.bus.publish(self._watch.snapshot())

    async def _stop_and_see_rest(self) -> bool:
        s = self._s
        if self._control.stop_acknowledged and await self._guard.wait_rest(
            self._control.stop_sent_at
        ):
            s.publish(BeltAtRest(t=s.elapsed(), why=RestReason.END))
            return True  # our own Stop stands (an emergency stop, a rest): no second one needed
        try:
            async with asyncio.timeout(self._options.stop_timeout_s):
                if s.need_control and s.link_up:
                    await self._control.request_control(bypass=True)
                    s.need_control = False
                await self._control.stop()
        except Exception as exc:  # noqa: BLE001 - the last stop must never raise past cleanup
            why = (
                f"the treadmill did not answer within {self._options.stop_timeout_s:g} s"
                if isinstance(exc, TimeoutError)
                else str(exc) or type(exc).__name__
            )
            log.warning("final stop failed: %s", why)
            message = f"could not stop the belt ({why}): stop it at the console or pull the key"
            s.publish(Notice(t=s.elapsed(), message=message, safety=True))
            return False
        if await self._guard.wait_rest(self._control.stop_sent_at):
            s.publish(BeltAtRest(t=s.elapsed(), why=RestReason.END))
            return True
        seen = "is still moving" if self._guard.observed_speed() is not None else "is not reported"
        s.publish(
            Notice(
                t=s.elapsed(),
                message=f"the belt {seen}: make sure it stands still (console, safety key)",
                safety=True,
            )
        )
        return False


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
