"""The room as seen over MQTT: one row per treadmill, from its state, status and session topics.

Pure: `Room.update()` takes (treadmill id, topic leaf, payload, loop time) from
`retrowalk.room.watch.watch_room`; `Room.rows()` gives display-ready strings. `Link` is what
`watch_room` last knew about its connection to the broker. Views (the plain table and the
Textual app in `retrowalk monitor`) only render rows and the link.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from retrowalk.units import format_distance, format_duration

COLUMNS = (
    "treadmill",
    "status",
    "state",
    "step",
    "direction",
    "speed km/h",
    "incline %",
    "HR",
    "distance",
    "left",
    "note",
)
STALE_AFTER_S = 5.0
DASH = "-"


@dataclass
class Link:
    """The monitor's connection to the broker: connecting, connected or reconnecting, and why."""

    where: str  # the broker URL without password (Broker.display)
    state: str = "connecting"  # "connecting" (first attempt), "connected", "reconnecting"
    problem: str | None = None  # why the last attempt failed or the link dropped
    ever_connected: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False, compare=False)

    def up(self) -> None:
        """Record a successful connection (subscribed)."""
        self.state, self.problem, self.ever_connected = "connected", None, True
        self.changed.set()

    def down(self, problem: str) -> None:
        """Record a failed attempt or a dropped link; the watcher keeps retrying."""
        self.state, self.problem = "reconnecting", problem
        self.changed.set()

    def describe(self) -> str:
        """Return one line for the view: connected, connecting, or why it is reconnecting."""
        if self.state == "connected":
            return f"connected to {self.where}"
        if self.state == "connecting":
            return f"connecting to {self.where}..."
        verb = "lost the broker at" if self.ever_connected else "cannot reach the broker at"
        return f"reconnecting: {verb} {self.where}: {self.problem}"


@dataclass
class Treadmill:
    """What the room knows about one treadmill."""

    treadmill_id: str
    status: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    session: dict[str, Any] = field(default_factory=dict)
    state_at: float | None = None  # loop time of the last state message


class Room:
    """Every treadmill heard on the broker, updated message by message."""

    def __init__(self, *, stale_after_s: float = STALE_AFTER_S) -> None:
        self.treadmills: dict[str, Treadmill] = {}
        self.stale_after_s = stale_after_s
        self.ignored = 0  # malformed messages skipped

    def update(self, treadmill_id: str, leaf: str, payload: bytes, now: float) -> bool:
        """Apply one message; return whether anything changed. Malformed payloads are counted."""
        if leaf == "status":
            text = payload.decode("utf-8", errors="replace").strip()
            if not text:  # a cleared retained status: the treadmill is gone
                return self.treadmills.pop(treadmill_id, None) is not None
            self._get(treadmill_id).status = text
            return True
        if leaf not in {"state", "session"} or not payload:
            return False
        data = self._decode(payload)
        if data is None:
            return False
        entry = self._get(treadmill_id)
        if leaf == "state":
            entry.state, entry.state_at = data, now
        else:
            entry.session = data
        return True

    def _decode(self, payload: bytes) -> dict[str, Any] | None:
        """Return the JSON object in `payload`, or None (counted) if it is not one."""
        try:
            data = json.loads(payload)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self.ignored += 1
            return None
        return data

    def _get(self, treadmill_id: str) -> Treadmill:
        return self.treadmills.setdefault(treadmill_id, Treadmill(treadmill_id))

    def rows(self, now: float) -> list[tuple[str, ...]]:
        """Return one row of strings per treadmill (sorted by id), matching COLUMNS."""
        return [self._row(self.treadmills[k], now) for k in sorted(self.treadmills)]

    def _row(self, t: Treadmill, now: float) -> tuple[str, ...]:
        s = t.state
        status = t.status or "?"
        if status == "online" and t.state_at is not None and now - t.state_at > self.stale_after_s:
            status = "stale"
        step = DASH
        if s.get("step_number") is not None:
            step = f"{s['step_number']}/{s.get('step_count', '?')}"
        return (
            t.treadmill_id,
            status,
            str(s.get("state") or DASH),
            step,
            str(s.get("direction") or DASH),
            _pair(s.get("actual_speed_kmh"), s.get("target_speed_kmh")),
            _pair(s.get("actual_incline_pct"), s.get("target_incline_pct")),
            _number(s.get("heart_rate_bpm"), "{:.0f}"),
            _distance(s.get("distance_m")),
            _duration(s.get("workout_remaining_s")),
            _note(t),
        )


def _number(value: object, fmt: str) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return fmt.format(value)
    return DASH


def _pair(actual: object, target: object) -> str:
    """Return `actual/target` (each one decimal), or just what is known."""
    a, t = _number(actual, "{:.1f}"), _number(target, "{:.1f}")
    if t == DASH:
        return a
    return f"{a}/{t}"


def _distance(value: object) -> str:
    return format_distance(value) if isinstance(value, int | float) and value >= 0 else DASH


def _duration(value: object) -> str:
    return format_duration(value) if isinstance(value, int | float) and value >= 0 else DASH


def _note(t: Treadmill) -> str:
    """Return the most useful remark: hold advice, coach mode, or the session outcome."""
    s = t.state
    if s.get("hold_cause"):
        return f"hold: {s['hold_cause']}"
    if s.get("turn_phase"):
        return f"turn: {s['turn_phase']}"
    if s.get("coach_mode"):
        return "coach mode"
    if t.session and s.get("state") in {"finished", "aborted", None}:
        outcome = t.session.get("outcome", "?")
        reason = t.session.get("reason")
        return f"{outcome}: {reason}" if reason else str(outcome)
    return ""


def render_table(rows: list[tuple[str, ...]], columns: tuple[str, ...] = COLUMNS) -> str:
    """Return a plain fixed-width text table (header, rule, rows)."""
    table = [columns, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if not rows:
        lines.append("(no treadmill heard yet)")
    return "\n".join(lines)
