"""Plain output for `retrowalk run` without a terminal (or with --plain/--fast): a line per event.

Each line starts with the workout clock (`  12:34`), then what happened in words a person reads
in a log or a CI job. Snapshots are not printed; the final summary is `format_summary()`.
Speeds and distances read in the person's unit system (units.py formats them; km/h inside).
`read_commands()` takes line commands from stdin (Enter confirms) for plain runs with a person.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from retrowalk.engine import events as ev
from retrowalk.engine.commands import Command, CommandKind, Origin
from retrowalk.units import format_distance, format_duration, format_speed
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from retrowalk.engine.bus import Channel
    from retrowalk.engine.commands import CommandResult
    from retrowalk.units import UnitSystem

# Line commands in plain mode: what a person types, then Enter.
LINE_COMMANDS: dict[str, tuple[CommandKind, float | None]] = {
    "": (CommandKind.CONFIRM, None),
    "p": (CommandKind.PAUSE, None),
    "r": (CommandKind.RESUME, None),
    "n": (CommandKind.SKIP, None),
    "b": (CommandKind.BACK, None),
    "+": (CommandKind.NUDGE_SPEED, 0.5),
    "-": (CommandKind.NUDGE_SPEED, -0.5),
    "u": (CommandKind.NUDGE_INCLINE, 0.5),
    "d": (CommandKind.NUDGE_INCLINE, -0.5),
    "q": (CommandKind.STOP, None),
    "s": (CommandKind.EMERGENCY_STOP, None),
    "e": (CommandKind.EMERGENCY_STOP, None),
}
LINE_HELP = (
    "keys (then Enter): Enter confirm | p pause | r resume | n skip | b back | "
    "+/- speed | u/d incline | q stop | s or e EMERGENCY STOP"
)


async def print_events(
    channel: Channel,
    file: TextIO,
    *,
    verbose: bool = False,
    prompts: bool = True,
    units: UnitSystem = "metric",
) -> None:
    """Print one line per event of `channel` to `file` until the channel closes.

    `prompts` adds "confirm (Enter)" hints where the engine waits for a person (not with --yes).

    Without `verbose`, the second-by-second countdown is printed once per change (its first
    second); ramp writes, state changes, turn phases other than "turn now" and control-point
    acknowledgements are left out.
    """
    announced: int | None = None
    counting = False  # an end or start countdown was already announced
    async for item in channel:
        if isinstance(item, ev.Snapshot):
            continue
        if isinstance(item, ev.ChangeAhead) and not verbose:
            if item.next_index == announced:
                continue
            announced = item.next_index
        if isinstance(item, ev.EndAhead | ev.StartAhead) and not verbose:
            if counting:
                continue
            counting = True
        elif not isinstance(item, ev.Snapshot):
            counting = counting and isinstance(item, ev.EndAhead | ev.StartAhead)
        text = format_event(item, verbose=verbose, units=units)
        if not prompts and text is not None and "(Enter)" in text:
            continue
        if text is not None:
            print(f"{clock(item.t):>8}  {text}", file=file, flush=True)


async def read_commands(
    submit: Callable[[Command], Awaitable[CommandResult]], fd: int, file: TextIO
) -> None:
    """Turn lines typed on `fd` into keyboard commands until end of input (or cancellation).

    Returns at once where the loop cannot watch `fd` (Windows consoles, regular files).
    """
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[bytes | None] = asyncio.Queue()
    pending = bytearray()

    def readable() -> None:
        try:
            data = os.read(fd, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            lines.put_nowait(None)
            return
        pending.extend(data)
        while (cut := pending.find(b"\n")) >= 0:
            lines.put_nowait(bytes(pending[:cut]))
            del pending[: cut + 1]

    try:
        loop.add_reader(fd, readable)
    except (NotImplementedError, OSError, ValueError):
        return
    try:
        print(LINE_HELP, file=file, flush=True)
        while (line := await lines.get()) is not None:
            word = line.decode("utf-8", "replace").strip().lower()
            if word not in LINE_COMMANDS:
                print(f"unknown command {word!r}; {LINE_HELP}", file=file, flush=True)
                continue
            kind, value = LINE_COMMANDS[word]
            result = await submit(Command(kind, Origin.KEYBOARD, value))
            if result.reason:  # refused, or done with something the person must do
                print(f"{kind}: {result.reason}", file=file, flush=True)
    finally:
        with contextlib.suppress(ValueError, OSError):
            loop.remove_reader(fd)


def clock(seconds: float) -> str:
    """Return the workout clock of a line: `m:ss` or `h:mm:ss` (never below 0:00)."""
    return format_duration(max(seconds, 0.0))


def _speed(kmh: float | None, units: UnitSystem) -> str:
    return "speed by hand" if kmh is None else format_speed(kmh, units)


def _doing(direction: Direction, kmh: float | None, units: UnitSystem) -> str:
    if direction == Direction.REST:
        return "rest (belt paused)"
    return f"{direction} at {_speed(kmh, units)}"


def _origin(event: ev.Event) -> str:
    return "" if event.origin == "engine" else f" ({event.origin})"


def format_event(  # noqa: C901, PLR0911, PLR0912 - one flat dispatch over the event types
    event: ev.Event, *, verbose: bool = False, units: UnitSystem = "metric"
) -> str | None:
    """Return the one-line text of `event`, or None when it is not worth a line."""
    match event:
        case ev.StateChanged(state=state, previous=previous):
            if state == ev.EngineState.WAITING_START and not verbose:
                return "ready: confirm the start (Enter) when you stand on the belt"
            if state == ev.EngineState.WAITING_CONFIRM and not verbose:
                return "belt stopped: confirm (Enter) when you are ready to walk on"
            return f"state {previous} -> {state}{_origin(event)}" if verbose else None
        case ev.Connected(name=name, address=address, controllable=controllable):
            mode = "" if controllable else " (no control: coach mode)"
            return f"connected to {name} [{address}]{mode}"
        case ev.ConnectionLost(reason=reason, belt_kmh=kmh, seen_ago_s=ago):
            return f"LINK LOST: {reason}; {_last_seen(kmh, ago, units)}"
        case ev.Reconnected(attempts=attempts):
            return f"link restored after {attempts} attempt(s); belt NOT restarted"
        case ev.StepStarted():
            return _step(event, units)
        case ev.StepFinished(index=index, skipped=skipped, elapsed_s=elapsed, distance_m=dist):
            how = "skipped" if skipped else "done"
            done = f"{clock(elapsed)}, {format_distance(dist, units)}"
            return f"step {index + 1} {how} after {done}{_origin(event)}"
        case ev.ChangeAhead(seconds=seconds, turn=turn, next_direction=direction):
            what = _doing(direction, event.next_speed_kmh, units)
            return f"in {seconds} s: {'turn around, then ' if turn else ''}{what}"
        case ev.TurnStarted(to_direction=direction, window_s=window, confirm=confirm):
            ask = ", confirm when turned" if confirm else ""
            return f"TURN AROUND to walk {direction.upper()} ({window:g} s window{ask})"
        case ev.TurnPhaseChanged(phase=phase, remaining_s=remaining):
            if phase == ev.TurnPhase.WINDOW and not verbose:
                return "belt stopped: turn around now"
            if phase == ev.TurnPhase.AWAITING_CONFIRM and not verbose:
                return "turned? confirm (Enter) to start the belt"
            left = "" if remaining is None else f", {remaining:.0f} s left"
            return f"turn: {phase}{left}" if verbose else None
        case ev.TurnEnded(direction=direction):
            return f"turned: now walking {direction.upper()}"
        case ev.TargetSet(speed_kmh=speed, incline_pct=incline):
            # Ramps write a target every second; the step line already says where they go.
            if not verbose and event.origin == Origin.ENGINE:
                return None
            parts = [] if speed is None else [f"speed {format_speed(speed, units)}"]
            parts += [] if incline is None else [f"incline {incline:g} %"]
            return f"set {', '.join(parts) or 'nothing'}{_origin(event)}"
        case ev.TargetConfirmed(op=op, result=result):
            return f"treadmill: {op} -> {result}" if verbose else None
        case ev.Override(what=what, value=value, planned=planned):
            if what == "speed":
                was = "" if planned is None else f" (plan {format_speed(planned, units)})"
                return f"override speed {format_speed(value, units)}{was}{_origin(event)}"
            was = "" if planned is None else f" (plan {planned:g})"
            return f"override {what} {value:g}{was}{_origin(event)}"
        case ev.Hold(cause=cause, detail=detail, advice=advice):
            return f"HOLD ({cause}): {detail}. {advice}"
        case ev.Resumed():
            return f"resumed{_origin(event)}"
        case ev.Paused():
            return f"paused{_origin(event)}"
        case ev.CoachMode(reason=reason, speed_kmh=speed, incline_pct=incline):
            incl = "" if incline is None else f", incline {incline:g} %"
            return f"COACH MODE ({reason}): set {_speed(speed, units)}{incl} by hand"
        case ev.Notice(message=message, safety=safety):
            return f"{'SAFETY' if safety else 'warning'}: {message}"
        case ev.EndAhead(seconds=seconds):
            return f"in {seconds} s: the workout ends, the belt stops"
        case ev.StartAhead(seconds=seconds):
            return f"belt starting in {seconds} s (Space or Esc to wait)"
        case ev.BeltAtRest(why=why):
            if why == ev.RestReason.TURN and not verbose:
                return None  # the turn window's own line says it
            if why == ev.RestReason.END:
                return "belt stopped: you can step off"
            return f"belt at rest ({why})"
        case ev.CommandHandled(result=result):
            cmd = result.command
            verdict = "accepted" if result.accepted else f"refused: {result.reason}"
            return f"command {cmd.kind} from {cmd.origin} {verdict}"
        case ev.HeartRate(bpm=bpm, connected=connected):
            return f"heart rate {'strap connected' if connected else 'strap lost'}" + (
                f", {bpm} bpm" if bpm is not None else ""
            )
        case ev.Finished(elapsed_s=elapsed, distance_m=dist, energy_kcal=kcal):
            return f"FINISHED in {clock(elapsed)}: {format_distance(dist, units)}, {kcal:.0f} kcal"
        case ev.Aborted(reason=reason, elapsed_s=elapsed):
            # A long reason (a refused plan, one line per step) is printed in full by the CLI.
            first = reason.splitlines()[0] if reason else "?"
            return f"ABORTED after {clock(elapsed)}: {first}{_origin(event)}"
        case _:
            return type(event).__name__


def _last_seen(kmh: float | None, ago: float | None, units: UnitSystem) -> str:
    """Return what was last known of the belt before a drop (nothing is seen until it is back)."""
    if kmh is None or ago is None:
        return "the belt was never reported: check it at the console"
    when = f"{ago:.0f} s before" if ago >= 1 else "just before"
    if kmh <= 0:
        return f"the belt was standing {when}"
    return f"the belt was running at {format_speed(kmh, units)} {when}: check it at the console"


def _step(event: ev.StepStarted, units: UnitSystem) -> str:
    if event.duration_s is not None:
        size = clock(event.duration_s)
    elif event.distance_m is not None:
        size = format_distance(event.distance_m, units)
    else:
        size = "open"
    label = f" {event.label}" if event.label else ""
    incline = f", incline {event.incline_pct:g} %" if event.incline_pct else ""
    cue = f' "{event.cue}"' if event.cue else ""
    if event.direction == Direction.REST:
        return f"step {event.index + 1}/{event.count}{label}: REST {size} (belt paused){cue}"
    return (
        f"step {event.index + 1}/{event.count}{label}: {event.direction.upper()} "
        f"{size} at {_speed(event.speed_kmh, units)}{incline}{cue}"
    )


@dataclass(frozen=True)
class RunSummary:
    """What `retrowalk run` prints at the end."""

    workout: str
    ended: str  # "finished" or "aborted"
    reason: str | None
    elapsed_s: float
    distance_m: float
    energy_kcal: float
    steps_done: int
    steps_total: int
    turns: int
    belt_stopped: bool
    session_log: Path | None
    keep_walking: bool = False
    units: UnitSystem = "metric"


def format_summary(summary: RunSummary) -> str:
    """Return the multi-line end-of-run summary; the belt reads "stopped" only if it was."""
    how = "finished" if summary.ended == "finished" else f"aborted: {summary.reason}"
    if summary.belt_stopped:
        belt = "stopped"
    elif summary.keep_walking:
        belt = "still running (you chose to keep walking)"
    else:
        belt = "NOT CONFIRMED STOPPED: check the treadmill and stop it at its console"
    lines = [
        f"{summary.workout}: {how}",
        f"  time      {clock(summary.elapsed_s)}",
        f"  distance  {format_distance(summary.distance_m, summary.units)}",
        f"  energy    {summary.energy_kcal:.0f} kcal (estimate)",
        f"  steps     {summary.steps_done}/{summary.steps_total}, {summary.turns} turn(s)",
        f"  belt      {belt}",
    ]
    if summary.session_log is not None:
        lines.append(f"  session   {summary.session_log}")
        log = shlex.quote(str(summary.session_log))
        chart = shlex.quote(f"{summary.session_log.stem}.png")
        lines.append(f"  report    retrowalk report {log} -o {chart}")
    return "\n".join(lines)
