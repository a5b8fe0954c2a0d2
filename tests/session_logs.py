"""Session logs for the tests: a made-up walk published on a bus and recorded, or hand-written.

The walk alternates forward and backward steps of `step_s` seconds, publishing a snapshot every
0.25 s (offset by 0.1 s so no snapshot coincides with the recorder's whole-second deadline).
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from retrowalk.engine import events as ev
from retrowalk.engine.bus import Bus
from retrowalk.sinks.recorder import SessionRecorder
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

HEADER: dict[str, Any] = {
    "workout": {"name": "Retro Intro", "file": "x.yaml", "sha256": "ab"},
    "device": {"name": "T", "simulated": True},
    "body_mass_kg": 70,
}
SNAPSHOT_EVERY_S = 0.25
OFFSET_S = 0.1


def direction_at(t: float, step_s: float) -> Direction:
    """Return the direction of the made-up walk at workout time `t`."""
    return Direction.FORWARD if int(t // step_s) % 2 == 0 else Direction.BACKWARD


def snapshot(t: float, *, step_s: float = 20.0, **changes: Any) -> ev.Snapshot:
    """Return the walk's snapshot at workout time `t` (1 m/s, 0.1 kcal/s)."""
    values: dict[str, Any] = {
        "t": t,
        "state": ev.EngineState.RUNNING,
        "step_index": int(t // step_s),
        "step_count": 99,
        "direction": direction_at(t, step_s),
        "label": None,
        "target_speed_kmh": 3.6,
        "target_incline_pct": 0.0,
        "actual_speed_kmh": 3.6,
        "actual_incline_pct": 0.0,
        "step_elapsed_s": t % step_s,
        "step_remaining_s": step_s - t % step_s,
        "step_remaining_m": None,
        "workout_elapsed_s": t,
        "workout_remaining_s": 3600 - t,
        "distance_m": t,
        "energy_kcal": t / 10,
        "heart_rate_bpm": None,
        "hold_cause": None,
        "hold_advice": None,
        "turn_phase": None,
        "turn_remaining_s": None,
        "coach_mode": False,
        "next_direction": None,
        "next_speed_kmh": None,
        "next_incline_pct": None,
        "next_label": None,
    }
    values.update(changes)
    return ev.Snapshot(**values)


def step_started(t: float, index: int, *, step_s: float = 20.0) -> ev.StepStarted:
    """Return the StepStarted event of step `index` of the walk."""
    return ev.StepStarted(
        t=t,
        index=index,
        count=99,
        direction=direction_at(index * step_s, step_s),
        label="back" if index % 2 else "fwd",
        cue=None,
        duration_s=step_s,
        distance_m=None,
        speed_kmh=3.6,
        incline_pct=0.0,
    )


def finished(t: float) -> ev.Finished:
    """Return the walk's Finished event at `t`."""
    return ev.Finished(
        t=t,
        elapsed_s=t,
        distance_m=t,
        energy_kcal=t / 10,
        steps_completed=3,
        steps_skipped=0,
        belt_stopped=True,
    )


async def publish_walk(
    bus: Bus, seconds: float, *, step_s: float = 20.0, finish: bool = True
) -> None:
    """Publish the walk in loop time for `seconds`, then Finished and close (if `finish`)."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    tick = 0
    while (t := OFFSET_S + tick * SNAPSHOT_EVERY_S) < seconds:
        await asyncio.sleep(max(t0 + t - loop.time(), 0))
        if (tick * SNAPSHOT_EVERY_S) % step_s == 0:
            bus.publish(step_started(t, int(t // step_s), step_s=step_s))
        bus.publish(snapshot(t, step_s=step_s))
        tick += 1
    if finish:
        bus.publish(snapshot(seconds, step_s=step_s, state=ev.EngineState.FINISHED))
        bus.publish(finished(seconds))
        bus.close()


async def record_walk(
    directory: Path,
    seconds: float,
    *,
    at: dict[float, Callable[[], object]] | None = None,
    **recorder: Any,
) -> SessionRecorder:
    """Record the whole walk with a SessionRecorder(directory, **recorder); return it.

    `at` maps workout times to actions done then (fill the disk, free it, ...).
    """
    bus = Bus()
    channel = bus.subscribe("recorder", snapshots="none")

    async def act() -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        for t, action in sorted((at or {}).items()):
            await asyncio.sleep(max(t0 + t - loop.time(), 0))
            action()

    async with SessionRecorder(directory, **recorder) as rec, asyncio.TaskGroup() as tg:
        tg.create_task(rec.run(channel, dict(HEADER), latest=lambda: bus.latest))
        actions = tg.create_task(act())
        await publish_walk(bus, seconds)
        actions.cancel()
    return rec


def write_lines(path: Path, *lines: dict[str, Any], tail: str = "") -> Path:
    """Write a log of JSON lines by hand (and `tail`, a partial last line)."""
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) + tail)
    return path


def header_line(
    name: str, started: str, *, simulated: bool = False, **extra: Any
) -> dict[str, Any]:
    """Return a format-2 header line."""
    return {
        "kind": "header",
        "format": 2,
        "started": started,
        "workout": {"name": name},
        "device": {"simulated": simulated},
        **extra,
    }


def summary_line(elapsed_s: float, *, ended: str = "finished", **extra: Any) -> dict[str, Any]:
    """Return a summary line of a walk of `elapsed_s` seconds (1 m/s, 0.1 kcal/s)."""
    return {
        "kind": "summary",
        "ended": ended,
        "reason": None,
        "elapsed_s": elapsed_s,
        "distance_m": elapsed_s,
        "energy_kcal": elapsed_s / 10,
        "backward_s": elapsed_s / 2,
        "belt_stopped": True,
        "lost_s": 0.0,
        **extra,
    }
