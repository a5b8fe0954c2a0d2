"""The keys of a simulated treadmill's console (part of `TreadmillModel`).

`ConsoleKeys` gives the model `console_start()`, `console_stop()` (status 02 01, coast, counters
zeroed), `console_pause()` (02 02, counters kept), `console_speed_up()` / `console_speed_down()`,
`console_incline_up()` / `console_incline_down()` (one step of the machine's grid) and
`console_set_speed(kmh)` / `console_set_incline(pct)` (number keys: clamped to the range and put
on the grid). Each notifies status 05 or 06 with the new target, hands control to the console
on machines that do, and moves the belt or deck as an FTMS target would. Speed keys do nothing
while the belt stands (no start, no pause).
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from retrowalk.ftms.control_point import quantize
from retrowalk.ftms.models import MachineStatus, StatusOp, StopKind

if TYPE_CHECKING:
    from retrowalk_sim.profiles import MachineProfile

__all__ = ["ConsoleKeys"]


class ConsoleKeys(abc.ABC):
    """The console's speed and incline keys, over the model's targets."""

    profile: MachineProfile
    target_speed_kmh: float
    target_incline_pct: float
    _unit: float  # the machine's speed unit in real km/h (1.609 on an mph machine)
    safety_key_in: bool

    def console_start(self) -> None:
        """Press Start on the console (also confirms a pending FTMS start)."""
        if not self.safety_key_in or self._keys_move_belt():
            return
        self._status(MachineStatus(StatusOp.STARTED_OR_RESUMED_BY_USER))
        self._console_took_over()
        self._begin_start()

    def console_stop(self) -> bool:
        """Press Stop on the console: status 02 01, coast down, counters zeroed.

        Return False when the press does nothing (no session: the machine sends nothing).
        """
        return self._console_halt(StopKind.STOP)

    def console_pause(self) -> bool:
        """Press Pause on the console: status 02 02, coast down, counters kept (or False)."""
        return self._console_halt(StopKind.PAUSE)

    def console_speed_up(self) -> None:
        """Press speed + on the console (status 05 with the new target)."""
        self._console_speed(+1)

    def console_speed_down(self) -> None:
        """Press speed - on the console (status 05 with the new target)."""
        self._console_speed(-1)

    def console_incline_up(self) -> None:
        """Press incline + on the console (status 06 with the new target)."""
        self._console_incline(+1)

    def console_incline_down(self) -> None:
        """Press incline - on the console (status 06 with the new target)."""
        self._console_incline(-1)

    def console_set_speed(self, kmh: float) -> None:
        """Key in a belt speed (real km/h) on the console: clamped and put on the machine's grid."""
        rng = self.profile.speed_range
        value = quantize(
            kmh / self._unit,
            increment=rng.increment_kmh,
            minimum=rng.minimum_kmh,
            maximum=rng.maximum_kmh,
        )
        self._console_speed_to(round(value, 2))

    def console_set_incline(self, pct: float) -> None:
        """Key in an incline on the console: clamped and put on the machine's grid."""
        rng = self.profile.incline_range
        if rng is None:
            return
        value = quantize(
            pct, increment=rng.increment_pct, minimum=rng.minimum_pct, maximum=rng.maximum_pct
        )
        self._console_incline_to(round(value, 1))

    def _console_speed(self, direction: int) -> None:
        rng = self.profile.speed_range
        new = self.target_speed_kmh + direction * rng.increment_kmh
        self._console_speed_to(round(min(max(new, rng.minimum_kmh), rng.maximum_kmh), 2))

    def _console_speed_to(self, new: float) -> None:
        if not self._keys_move_belt():
            return
        self._status(MachineStatus(StatusOp.TARGET_SPEED_CHANGED, target_speed_kmh=new))
        self._console_took_over()
        self._apply_speed_target(new)

    def _console_incline(self, direction: int) -> None:
        rng = self.profile.incline_range
        if rng is None:
            return
        new = self.target_incline_pct + direction * rng.increment_pct
        self._console_incline_to(round(min(max(new, rng.minimum_pct), rng.maximum_pct), 1))

    def _console_incline_to(self, new: float) -> None:
        self._status(MachineStatus(StatusOp.TARGET_INCLINE_CHANGED, target_incline_pct=new))
        self._console_took_over()
        self._apply_incline_target(new)

    def _console_halt(self, kind: StopKind) -> bool:
        if not self._session_active(kind):
            return False
        self._status(MachineStatus(StatusOp.STOPPED_OR_PAUSED_BY_USER, stop_kind=kind))
        self._console_took_over()
        if kind is StopKind.STOP and self.profile.console_stop_silence_s > 0:
            self.stall_notifications(self.profile.console_stop_silence_s)
        self._halt(kind)
        return True

    @abc.abstractmethod
    def _keys_move_belt(self) -> bool:
        """Return whether a speed key changes anything now (the belt runs or is starting)."""

    @abc.abstractmethod
    def _status(self, status: MachineStatus, *, echo: bool = False) -> None: ...

    @abc.abstractmethod
    def _console_took_over(self) -> None: ...

    @abc.abstractmethod
    def _apply_speed_target(self, speed: float) -> None: ...

    @abc.abstractmethod
    def _apply_incline_target(self, incline: float) -> None: ...

    @abc.abstractmethod
    def _begin_start(self) -> None: ...

    @abc.abstractmethod
    def _halt(self, kind: StopKind) -> None: ...

    @abc.abstractmethod
    def _session_active(self, kind: StopKind) -> bool: ...

    @abc.abstractmethod
    def stall_notifications(self, seconds: float) -> None:
        """Send no Treadmill Data for `seconds`."""
