"""Plays a `Scenario` on one simulated treadmill (and its strap), on the trace's session clock.

Public API: `ScriptPlayer(scenario, model, trace, strap)`; `SimWorld.add(..., scenario=...)`
makes one (`SimPeripheral.script`). It arms every action at `origin + at_s` when the trace is
anchored, records each in the trace as it takes effect, and `close()` cancels what is left.
`played` and `pending` list the actions done and to come.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    from retrowalk_sim.heart_rate import HeartRateStrap
    from retrowalk_sim.model import TreadmillModel
    from retrowalk_sim.scenario import Action, Scenario
    from retrowalk_sim.trace import Trace

__all__ = ["ScriptPlayer"]

T = TypeVar("T", int, float)


class ScriptPlayer:
    """Applies a scenario's actions to a treadmill model at their times."""

    def __init__(
        self,
        scenario: Scenario,
        model: TreadmillModel,
        trace: Trace,
        strap: Callable[[], HeartRateStrap | None],
    ) -> None:
        self.scenario = scenario
        self._model = model
        self._trace = trace
        self._strap = strap
        self._handles: list[asyncio.TimerHandle] = []
        self._played: list[Action] = []
        trace.on_anchor(self._arm)

    @property
    def played(self) -> tuple[Action, ...]:
        """Return the actions that took effect, in order."""
        return tuple(self._played)

    @property
    def pending(self) -> tuple[Action, ...]:
        """Return the actions still to come (all of them before the trace is anchored)."""
        return self.scenario.events[len(self._played) :]

    def close(self) -> None:
        """Cancel every action still to come."""
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()

    def _arm(self, origin: float) -> None:
        self.close()
        loop = asyncio.get_running_loop()
        for action in self.pending:
            self._handles.append(loop.call_at(origin + action.at_s, self._fire, action))

    def _fire(self, action: Action) -> None:
        self._played.append(action)
        now = asyncio.get_running_loop().time()
        # Traced when it takes effect: Stop pressed on an idle machine does nothing, sends nothing.
        if self._apply(action):
            self._trace.fault(now, action.do, action)

    def _apply(self, a: Action) -> bool:  # noqa: C901, PLR0912 - one case per action
        """Carry out `a`; return False when it did nothing at all (a Stop on an idle belt)."""
        m = self._model
        strap = self._strap() if a.do in {"hr_bpm", "hr_lost"} else None
        match a.do:
            case "console_stop":
                return m.console_stop()
            case "console_pause":
                return m.console_pause()
            case "console_start":
                m.console_start()
            case "console_speed":
                m.console_set_speed(_given(a.kmh))
            case "console_incline":
                m.console_set_incline(_given(a.pct))
            case "drop_link":
                m.drop_link(refuse_s=_given(a.for_s))
            case "ignore_stop":
                m.ignore_stop(_given(a.for_s))
            case "stale_telemetry":
                m.stall_notifications(_given(a.for_s))
            case "ignore_speed":
                m.ignore_speed(for_s=_given(a.for_s))
            case "mute_control_point":
                m.mute_control_point(for_s=_given(a.for_s))
            case "revoke_control":
                m.revoke_control()
            case "pull_safety_key":
                m.pull_safety_key()
            case "insert_safety_key":
                m.insert_safety_key()
            case "garbage":
                for _ in range(_given(a.count)):
                    m.send_garbage()
            case "refuse_control":
                m.refuse_control(_given(a.count))
            case "hr_bpm" if strap is not None:
                strap.hold_bpm(a.bpm)
            case "hr_lost" if strap is not None:
                strap.dropout(_given(a.for_s))
        return True


def _given(value: T | None) -> T:
    assert value is not None  # Action checked that its parameter is there
    return value
