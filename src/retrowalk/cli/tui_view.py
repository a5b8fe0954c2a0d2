"""What the screen shows, as data: the latest Snapshot plus what the engine's events said.

`reduce(view, item)` folds one event or snapshot into an immutable `View`; cli/tui_words.py turns
it into words and banners. No clock, no I/O, no workout logic: the engine decides, this module
only remembers what it decided. Time is the events' own `t`, so "recent" needs no clock.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.cli.tui_keys import nudge
from retrowalk.engine.commands import CommandKind
from retrowalk.engine.events import (
    Aborted,
    BeltAtRest,
    ChangeAhead,
    CoachMode,
    Connected,
    EndAhead,
    EngineState,
    Event,
    Finished,
    Hold,
    Notice,
    Resumed,
    Snapshot,
    StartAhead,
    StateChanged,
    StepStarted,
    TurnEnded,
    TurnPhase,
    TurnStarted,
)

if TYPE_CHECKING:
    from retrowalk.cli.tui_keys import RemoteKeys
    from retrowalk.engine.bus import Item
    from retrowalk.units import UnitSystem

_BEFORE_START = frozenset({EngineState.CONNECTING, EngineState.READY, EngineState.WAITING_START})
COUNTDOWN_SHOWN_S = 1.5  # a countdown number stays on screen this long after its event
NOTICE_SHOWN_S = 10.0  # a notice stays this long (event time); a safety one 15 s
ALERT_SHOWN_S = 15.0
TELEMETRY_STALE_S = 3.0  # events this much newer than the last snapshot: its "actual" is old
FIT_PREFIX = "fitted to the machine: "


@dataclass(frozen=True)
class ScreenOptions:
    """How this person's screen is set up (the run wiring fills it from options and config)."""

    units: UnitSystem = "metric"
    remote_keys: RemoteKeys | None = None  # `--remote-keys`: a handheld remote confirms/pauses
    voice: str | None = None  # which voice speaks where (speech.VoiceChoice.describe())
    notes: tuple[str, ...] = ()  # more lines for the READY screen (the engine's hands-free modes)


@dataclass(frozen=True)
class View:
    """Everything the screen shows at one moment."""

    snapshot: Snapshot | None = None
    state: EngineState = EngineState.CONNECTING
    countdown: ChangeAhead | None = None
    end_ahead: EndAhead | None = None
    start_ahead: StartAhead | None = None
    turn: TurnStarted | None = None
    hold: Hold | None = None
    coach: CoachMode | None = None
    ended: Finished | Aborted | None = None
    rest: BeltAtRest | None = None  # the latest time the belt was seen at rest on request
    closed: bool = False
    started: bool = False  # the first step began (the advice line is shown until then)
    device: str | None = None
    cue: str | None = None  # the current interval's own cue text
    fit_notes: tuple[str, ...] = ()  # "fitted to the machine: ..." notices, for READY
    notice: Notice | None = None  # the latest other notice (shown a while)
    alert: Notice | None = None  # the latest safety notice (shown prominently a while)
    last_t: float = 0.0  # the latest event or snapshot time seen
    step_seen: int | None = None  # the latest step started
    rewinds: int = 0  # how often a step before the last one started (the B key: back)

    @property
    def ended_or_closed(self) -> bool:
        """Return whether the workout is over (or the engine has gone)."""
        return self.ended is not None or self.closed

    def recent(self, event: Event | None, within_s: float) -> bool:
        """Return whether `event` is at most `within_s` older than the latest item seen."""
        return event is not None and self.last_t - event.t <= within_s

    @property
    def actual_fresh(self) -> bool:
        """Return whether the snapshot's "actual" readings are current telemetry."""
        snap = self.snapshot
        if snap is None or self.ended_or_closed or snap.actual_speed_kmh is None:
            return False
        return self.last_t - snap.t <= TELEMETRY_STALE_S

    @property
    def start_counting(self) -> bool:
        """Return whether the belt is counting down to start by itself (every key waits)."""
        if self.ended_or_closed or self.state in {EngineState.HOLD, EngineState.PAUSED}:
            return False
        phase = self.snapshot.turn_phase if self.snapshot is not None else None
        return phase is TurnPhase.START_COUNTDOWN or self.recent(
            self.start_ahead, COUNTDOWN_SHOWN_S
        )


def reduce(view: View, item: Item) -> View:  # noqa: C901, PLR0911, PLR0912 - one branch per item type
    """Return the view after `item` (pure)."""
    replace = dataclasses.replace
    view = replace(view, last_t=max(view.last_t, item.t))
    if isinstance(item, Snapshot):
        begun = item.step_index is not None and item.state not in _BEFORE_START
        state = item.state if view.ended is None else view.state  # the end is final
        return replace(view, snapshot=item, state=state, started=view.started or begun)
    if isinstance(item, StateChanged):
        hold = view.hold if item.state is EngineState.HOLD else None
        return replace(view, state=item.state, hold=hold)
    if isinstance(item, ChangeAhead):
        return replace(view, countdown=item)
    if isinstance(item, EndAhead):
        return replace(view, end_ahead=item)
    if isinstance(item, StartAhead):
        return replace(view, start_ahead=item)
    if isinstance(item, TurnStarted):
        return replace(view, turn=item, countdown=None)
    if isinstance(item, TurnEnded):
        return replace(view, turn=None, start_ahead=None)
    if isinstance(item, StepStarted):
        back = view.step_seen is not None and item.index < view.step_seen
        return replace(view, countdown=None, started=True, cue=item.cue, step_seen=item.index,
                       rewinds=view.rewinds + back, start_ahead=None)  # fmt: skip
    if isinstance(item, Hold):
        return replace(view, hold=item, state=EngineState.HOLD, countdown=None, start_ahead=None)
    if isinstance(item, Resumed):
        return replace(view, hold=None)
    if isinstance(item, CoachMode):
        return replace(view, coach=item)
    if isinstance(item, Finished):
        return replace(view, ended=item, state=EngineState.FINISHED)
    if isinstance(item, Aborted):
        return replace(view, ended=item, state=EngineState.ABORTED)
    if isinstance(item, BeltAtRest):
        return replace(view, rest=item)
    if isinstance(item, Connected):
        return replace(view, device=item.name)
    if isinstance(item, Notice):
        if item.message.startswith(FIT_PREFIX):
            return replace(view, fit_notes=(*view.fit_notes, item.message.removeprefix(FIT_PREFIX)))
        return replace(view, alert=item) if item.safety else replace(view, notice=item)
    return view


def closed(view: View) -> View:
    """Return the view once the engine's channel has closed."""
    return dataclasses.replace(view, closed=True)


def key_command(
    action: str, view: View, units: UnitSystem = "metric"
) -> tuple[CommandKind, float | None] | None:
    """Return the command a key action sends in this view (None: the key does nothing).

    While the belt counts down to start by itself, every key but the emergency stop pauses it.
    """
    if action == "emergency":
        return CommandKind.EMERGENCY_STOP, None
    if view.start_counting:
        return CommandKind.PAUSE, None
    if action == "pause":
        paused = view.state is EngineState.PAUSED
        return (CommandKind.RESUME if paused else CommandKind.PAUSE), None
    return KEY_COMMANDS.get(action) or nudge(action, units)


KEY_COMMANDS: dict[str, tuple[CommandKind, float | None]] = {
    "confirm": (CommandKind.CONFIRM, None),
    "skip": (CommandKind.SKIP, None),
    "back": (CommandKind.BACK, None),
    "stop": (CommandKind.STOP, None),
}
