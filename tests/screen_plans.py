"""Plans from the real planner and an engine-like event stream for the screen and cue tests.

`make_plan()` builds its rows through `plans.plan_of` (the one plan helper, on the real planner);
`intro_plan()` has the shape of the library's retro-intro workout. `play()` publishes, in loop
time, the events and snapshots the engine publishes for a plan whose turns are confirmed at
once, in the guard's order: a turn's countdown to the slow-down, ramp down, stop, the belt seen
at rest, the window; the end's countdown, the belt at rest, then Finished. `toasts()` reads the
notifications the screen app shows.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from plans import plan_of
from retrowalk.engine.events import (
    BeltAtRest,
    ChangeAhead,
    EndAhead,
    EngineState,
    Finished,
    RestReason,
    Snapshot,
    StateChanged,
    StepFinished,
    StepStarted,
    TurnEnded,
    TurnPhase,
    TurnPhaseChanged,
    TurnStarted,
)
from retrowalk.workout.plan import Direction, Plan, Transition

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from retrowalk.engine.bus import Bus

F, B, R = Direction.FORWARD, Direction.BACKWARD, Direction.REST
TURN_S = 6.0  # ramp down + stop (2 + 2) + start + ramp (2) in the stand-in stream


def make_plan(
    shape: list[tuple[Direction, float, float | None, float, str | None]],
    *,
    name: str = "Retro intro",
    window_s: float = 12.0,
    countdown_s: float = 5.0,
) -> Plan:
    """Return the planner's plan of (direction, seconds, km/h, incline %, label) rows."""
    return plan_of(
        shape,
        name=name,
        source="workouts/retro-intro.yaml",
        window_s=window_s,
        countdown_s=countdown_s,
        cues={B: "Hands on the rails, small steps."},
    )


def intro_plan() -> Plan:
    """Return a plan shaped like retro-intro: warm-up, 3 x (BW 2:00, FW 3:00), cool-down."""
    shape: list[tuple[Direction, float, float | None, float, str | None]] = [
        (F, 300, 4.0, 0.0, "Warm-up")
    ]
    for n in range(1, 4):
        shape += [(B, 120, 2.0, 0.0, f"Backward {n}"), (F, 180, 4.0, 0.0, f"Forward {n}")]
    shape.append((F, 180, 3.5, 0.0, "Cool-down"))
    return make_plan(shape)


def snapshot(plan: Plan, **changes: Any) -> Snapshot:
    """Return a plausible mid-step snapshot of `plan`, with `changes` applied."""
    index = int(changes.get("step_index") or 1)
    step = plan.steps[index]
    nxt = plan.steps[index + 1] if index + 1 < len(plan.steps) else None
    base = Snapshot(
        t=step.start_s + 45.0,
        state=EngineState.RUNNING,
        step_index=index,
        step_count=len(plan.steps),
        direction=step.direction,
        label=step.label,
        target_speed_kmh=step.speed.start_kmh if step.speed else None,
        target_incline_pct=step.incline_pct,
        actual_speed_kmh=(step.speed.start_kmh - 0.1) if step.speed else 0.0,
        actual_incline_pct=step.incline_pct,
        step_elapsed_s=45.0,
        step_remaining_s=step.planned_s - 45.0,
        step_remaining_m=None,
        workout_elapsed_s=step.start_s + 45.0,
        workout_remaining_s=plan.totals.duration_with_turns_s - step.start_s - 45.0,
        distance_m=412.0,
        energy_kcal=23.4,
        heart_rate_bpm=112,
        hold_cause=None,
        hold_advice=None,
        turn_phase=None,
        turn_remaining_s=None,
        coach_mode=False,
        next_direction=nxt.direction if nxt else None,
        next_speed_kmh=nxt.speed.start_kmh if nxt and nxt.speed else None,
        next_incline_pct=nxt.incline_pct if nxt else None,
        next_label=nxt.label if nxt else None,
    )
    return replace(base, **changes)


async def play(plan: Plan, bus: Bus, *, snapshot_every_s: float = 1.0) -> None:
    """Publish what an engine would for `plan`, in loop time, turns confirmed at once."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()

    def t() -> float:
        return loop.time() - t0

    async def until(moment: float) -> None:
        await asyncio.sleep(max(0.0, moment - t()))

    bus.publish(StateChanged(t=t(), state=EngineState.WAITING_START, previous=EngineState.READY))
    bus.publish(StateChanged(t=t(), state=EngineState.RUNNING, previous=EngineState.WAITING_START))
    count = len(plan.steps)
    for step in plan.steps:
        transition = plan.transition_before(step.index)
        if transition is not None:
            await _turn(bus, transition, t, until)
        begin = t()
        bus.publish(
            StepStarted(t=begin, index=step.index, count=count, direction=step.direction,
                        label=step.label, cue=step.cue, duration_s=step.duration_s,
                        distance_m=None, speed_kmh=step.speed.start_kmh if step.speed else None,
                        incline_pct=step.incline_pct)
        )  # fmt: skip
        end = begin + step.planned_s
        nxt = plan.steps[step.index + 1] if step.index + 1 < count else None
        marks = [
            begin + k * snapshot_every_s for k in range(int(step.planned_s / snapshot_every_s))
        ]
        ahead = [end - s for s in range(int(plan.countdown_s), 0, -1)]
        for moment in sorted({*marks, *ahead}):
            await until(moment)
            if moment in ahead and nxt is None:
                bus.publish(EndAhead(t=t(), seconds=round(end - moment)))
            if moment in ahead and nxt is not None:
                bus.publish(
                    ChangeAhead(t=t(), seconds=round(end - moment), next_index=nxt.index,
                                next_direction=nxt.direction,
                                next_speed_kmh=nxt.speed.start_kmh if nxt.speed else None,
                                next_incline_pct=nxt.incline_pct,
                                turn=plan.transition_before(nxt.index) is not None)
                )  # fmt: skip
            if moment in marks:
                bus.publish(
                    snapshot(plan, step_index=step.index, t=t(), step_elapsed_s=t() - begin,
                             step_remaining_s=end - t(), workout_elapsed_s=t())
                )  # fmt: skip
        await until(end)
        bus.publish(StepFinished(t=t(), index=step.index, skipped=False, elapsed_s=end - begin,
                                 distance_m=0.0))  # fmt: skip
    await until(t() + 2.0)  # the belt coasts to rest
    bus.publish(BeltAtRest(t=t(), why=RestReason.END))
    bus.publish(Finished(t=t(), elapsed_s=t(), distance_m=1234.0, energy_kcal=98.0,
                         steps_completed=count, steps_skipped=0, belt_stopped=True))  # fmt: skip
    bus.close()


async def _turn(bus: Bus, transition: Transition, t: Any, until: Any) -> None:
    start = t()
    turn = transition.turn
    bus.publish(TurnStarted(t=start, before_step=transition.before_step,
                            from_direction=transition.from_direction,
                            to_direction=transition.to_direction,
                            window_s=turn.window_s, confirm=turn.confirm))  # fmt: skip
    bus.publish(TurnPhaseChanged(t=start, phase=TurnPhase.RAMP_DOWN, remaining_s=None))
    await until(start + 2.0)
    bus.publish(TurnPhaseChanged(t=t(), phase=TurnPhase.STOPPING, remaining_s=None))
    await until(start + 4.0)
    bus.publish(BeltAtRest(t=t(), why=RestReason.TURN))
    bus.publish(
        TurnPhaseChanged(t=t(), phase=TurnPhase.WINDOW, remaining_s=transition.turn.window_s)
    )
    await until(start + 4.0 + transition.turn.window_s)
    bus.publish(TurnPhaseChanged(t=t(), phase=TurnPhase.AWAITING_CONFIRM, remaining_s=None))
    bus.publish(TurnPhaseChanged(t=t(), phase=TurnPhase.STARTING, remaining_s=None))
    await until(start + 6.0 + transition.turn.window_s)
    bus.publish(TurnPhaseChanged(t=t(), phase=TurnPhase.RAMP_UP, remaining_s=None))
    bus.publish(TurnEnded(t=t(), direction=transition.to_direction))


async def toasts(pilot: Pilot[Any]) -> list[str]:
    """Return the messages of the notifications on the screen, oldest first.

    A notification is a message, then a scheduled call, then a mount: three turns of the app.
    """
    for _ in range(3):
        await pilot.pause()
    return [str(toast.render()).splitlines()[-1] for toast in pilot.app.screen.query("Toast")]
