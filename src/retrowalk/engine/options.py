"""How an engine runs a workout: the person's choices and the engine's timing knobs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineOptions:
    """Options of one workout run (re-exported by retrowalk.engine.runner)."""

    clamp: bool = False  # fit targets the machine cannot take (else refuse the plan)
    auto_confirm: bool = False  # confirm start and turns automatically (--yes, simulator only)
    remote_control: bool = False  # remote controllers may start or resume the belt
    keep_walking: bool = False  # leave the belt running at the end
    hr_max_bpm: int | None = None  # hold when the heart rate stays above this
    hr_hold_s: float = 10.0  # ... for this long
    snapshot_interval_s: float = 0.25
    stop_timeout_s: float = 5.0  # bound of the final (and emergency) stop
    ramp_step_kmh: float = 0.5
    ramp_interval_s: float = 1.0
    start_speed_kmh: float = 1.0  # the low speed every start begins at (never above the target)
    follow_grace_s: float = 8.0  # the belt may lag its target this long without progress
    belt_still_timeout_s: float = 15.0  # longest wait for the belt to coast to a stop
    start_wait_s: float = 60.0  # longest wait for the belt to move after a Start
