"""The session log format, declared once: line kinds, the sample delta code, strict JSON.

A session log (`<YYYYmmdd-HHMMSS>-<workout-slug>.jsonl`) holds one JSON object per line:

    {"kind": "header", "format": 2, "started": "2026-03-01T09:00:00+01:00", "workout": {...},
     "device": {"simulated": false, ...}, ...}
    {"kind": "sample", "t": 0.0, "state": "running", ...,
     "recorder": {"backward_s": 0.0, "wall": 1772352000.125, "wall_t": 0.02}}
    {"kind": "delta", "t": 1.0, "distance_m": 1.25, ...}   (only what changed since the last)
    {"kind": "event", "type": "StepStarted", "t": 0.0, "origin": "engine", ...}
    {"kind": "gap", "from_t": 90.0, "to_t": 131.0, "lost_s": 41.0, "reason": "..."}
    ...
    {"kind": "summary", "ended": "finished", "elapsed_s": ..., "backward_s": ..., ...}

Samples are Snapshot fields (engine/events.py) at 1 Hz, floats to 3 decimals (mm, ms). A full
"sample" line comes first, every FULL_SAMPLE_EVERY_S and after a gap; in between, "delta" lines
carry only the fields that changed, so a log is about a third of the full form and a killed log
still reads from its last full sample on. A full sample also carries what the recorder adds
(`recorder`): the backward time so far, which the listing needs for a killed log, and the wall
clock (Unix time) when it was taken with the engine's time at that moment (`wall_t`), which
ties the engine's clock to real time. Events are exactly `Event.to_dict()`, as on MQTT.
"gap" says what a write failure lost. Version 1 (and unversioned) logs have only full
"sample" lines and no `recorder` part; they still read.

Writers never put NaN or Infinity in a log (they become null); readers refuse them.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from retrowalk.errors import SessionError

if TYPE_CHECKING:
    from collections.abc import Callable

FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
FULL_SAMPLE_EVERY_S = 60.0
DECIMALS = 3
_COMPACT = (",", ":")

HEADER = "header"
SAMPLE = "sample"
DELTA = "delta"
EVENT = "event"
GAP = "gap"
SUMMARY = "summary"
RECORDER = "recorder"  # the part of a full sample that is not the Snapshot's

# What `backward_s` counts: time in these states facing backward, summed between samples.
WALKING_STATES = frozenset({"running"})
BACKWARD = "backward"
FORWARD = "forward"
REST = "rest"


def dumps_line(line: dict[str, Any]) -> bytes:
    """Return one log line as UTF-8 bytes ending in a newline; non-finite numbers become null."""
    try:
        text = _ENCODER.encode(line)
    except ValueError:
        text = _ENCODER.encode(_finite(line))
    return (text + "\n").encode("utf-8")


def loads_line(text: str | bytes, where: str) -> dict[str, Any]:
    """Return one log line as a dict; SessionError naming `where` (file:line) if it is not one.

    Stricter than json.loads: NaN, Infinity and numbers too large for a float are refused.
    """
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        value = _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc) or "too deep"
        raise SessionError(f"{where}: not a session log line ({reason})") from None
    if not isinstance(value, dict):
        raise SessionError(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def check_format(header: dict[str, Any], where: str) -> int:
    """Return the header's format version (1 when it has none); SessionError if unreadable."""
    version = header.get("format", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise SessionError(f"{where}: the header's format is {version!r}, not a version number")
    if version not in READABLE_FORMATS:
        newest = max(READABLE_FORMATS)
        raise SessionError(
            f"{where}: written in log format {version}; this retrowalk reads formats 1 to "
            f"{newest} (upgrade retrowalk to read it)"
        )
    return version


def rounded(values: dict[str, Any]) -> dict[str, Any]:
    """Return a sample's values as the log keeps them: floats to DECIMALS, non-finite as None."""
    return {key: _rounded(value) for key, value in values.items()}


def rounded_scalars(values: dict[str, Any]) -> dict[str, Any] | None:
    """Return rounded(values) if every value is a number, None or str (enum members too).

    None if any is not (a list, a dict): the caller then rounds its to_dict(). The recorder's
    every sample goes through here, at a third of the cost of checking and rounding apart.
    """
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value.__class__ is float:
            out[key] = round(value, DECIMALS) if math.isfinite(value) else None
        elif isinstance(value, _SCALARS):
            out[key] = _rounded(value)
        else:
            return None
    return out


class SampleEncoder:
    """Turn 1 Hz snapshot dicts into "sample" (full) and "delta" lines.

    A full line leaves out the recorder's part: the caller adds it (RECORDER) to a SAMPLE line.
    """

    def __init__(self, full_every_s: float = FULL_SAMPLE_EVERY_S) -> None:
        self._full_every_s = full_every_s
        self._previous: dict[str, Any] | None = None  # the last sample, rounded
        self._raw: dict[str, Any] | None = None  # the fields it was rounded from, if known
        self._full_t = 0.0

    def encode(self, values: dict[str, Any]) -> dict[str, Any]:
        """Return the line for a rounded sample (see rounded())."""
        previous = self._previous
        t = float(values["t"])
        self._previous, self._raw = values, None
        if self._full(t, previous):
            self._full_t = t
            return {"kind": SAMPLE, **values}
        assert previous is not None
        changed = {k: v for k, v in values.items() if k != "t" and previous.get(k, _MISSING) != v}
        return {"kind": DELTA, "t": t, **changed}

    def encode_raw(
        self, raw: dict[str, Any], json_form: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return (line, rounded sample) for a snapshot's own fields: encode(rounded(raw)).

        Only the fields that differ from the previous call's are rounded and compared: at 1 Hz
        most of a snapshot stands still. If a field is not a number, None or str, the sample
        is `json_form()` (the snapshot's to_dict()), rounded.
        """
        previous, before = self._previous, self._raw
        t = round(raw["t"], DECIMALS)
        if previous is None or before is None or self._full(t, previous):
            values = rounded_scalars(raw)
            if values is None:
                return self._encode_json(json_form)
            line = self.encode(values)
            self._raw = raw
            return line, values
        changed: dict[str, Any] = {}
        for key, field in raw.items():
            if key == "t" or field == before.get(key, _MISSING):
                continue
            if not isinstance(field, _SCALARS):
                return self._encode_json(json_form)
            kept = _rounded(field)  # the one rule: a float subclass (numpy's) is rounded too
            if previous.get(key, _MISSING) != kept:
                changed[key] = kept
        values = {**previous, "t": t, **changed}
        self._previous, self._raw = values, raw
        return {"kind": DELTA, "t": float(t), **changed}, values

    def restart(self) -> None:
        """Make the next line a full sample (after lines were lost)."""
        self._previous = self._raw = None

    def _encode_json(
        self, json_form: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        values = rounded(json_form())
        return self.encode(values), values

    def _full(self, t: float, previous: dict[str, Any] | None) -> bool:
        """Return whether the sample at `t` is written in full."""
        return previous is None or not 0 <= t - self._full_t < self._full_every_s


class SampleDecoder:
    """Turn "sample" and "delta" lines back into whole sample dicts (the Snapshot's fields)."""

    def __init__(self) -> None:
        self._previous: dict[str, Any] | None = None

    def decode(self, line: dict[str, Any], where: str) -> dict[str, Any]:
        """Return the whole sample a "sample" or "delta" line stands for."""
        fields = {k: v for k, v in line.items() if k not in {"kind", RECORDER}}
        if not isinstance(fields.get("t"), int | float) or isinstance(fields["t"], bool):
            raise SessionError(f"{where}: a sample without a time (t)")
        if line.get("kind") == DELTA:
            if self._previous is None:
                raise SessionError(f"{where}: a delta sample with no full sample before it")
            fields = {**self._previous, **fields}
        self._previous = fields
        return fields

    def restart(self) -> None:
        """Forget the previous sample (a gap: the next line must be a full sample)."""
        self._previous = None


class BackwardClock:
    """Sum the time spent walking backward, from consecutive samples (one rule for all)."""

    def __init__(self, start_s: float = 0.0, previous: dict[str, Any] | None = None) -> None:
        self.backward_s = start_s
        self._previous = previous

    def add(self, sample: dict[str, Any]) -> None:
        """Count the time from the previous sample to `sample` if it was walked backward."""
        previous = self._previous
        self._previous = sample
        if previous is None:
            return
        if previous.get("state") in WALKING_STATES and previous.get("direction") == BACKWARD:
            step = float(sample["t"]) - float(previous["t"])
            if step > 0:
                self.backward_s += step

    def restart(self) -> None:
        """Start afresh from the next sample (after a gap nothing is assumed)."""
        self._previous = None


class _Missing:
    pass


_MISSING = _Missing()


def _rounded(value: object) -> object:
    if isinstance(value, float):
        return round(value, DECIMALS) if math.isfinite(value) else None
    return value


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a session log may hold")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is too large for a number")
    return value


_SCALARS = (str, int, float, type(None))
# The one encoder (json.dumps would build one per line): compact, UTF-8 kept, and a value JSON
# has no form for kept as its text (default=str), never a crash mid-run.
_ENCODER = json.JSONEncoder(separators=_COMPACT, ensure_ascii=False, allow_nan=False, default=str)
_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)
