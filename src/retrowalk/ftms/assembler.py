"""Merging the More-Data parts of a Treadmill Data record, statefully, never waiting forever.

A record larger than one notification's payload arrives as parts: every part but the last has
More Data set (no speed), the last one carries speed. The assembler holds parts until then, and
gives out what it holds when a new record begins, after `max_parts`, or when `max_age_s` passed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from retrowalk.ftms.models import TREADMILL_FIELDS, TreadmillData
from retrowalk.ftms.treadmill_data import reading_of
from retrowalk.ftms.treadmill_layout import READINGS

if TYPE_CHECKING:
    from collections.abc import Iterable


def merge(earlier: TreadmillData, later: TreadmillData) -> TreadmillData:
    """Return `earlier` updated with every value present in `later` (marks are combined)."""
    values: dict[str, Any] = {}
    for name in TREADMILL_FIELDS:
        value = getattr(later, name)
        if value is None:
            value = getattr(earlier, name)
        if value is not None:
            values[name] = value
    return TreadmillData.from_values(
        values,
        truncated=earlier.truncated or later.truncated,
        ambiguous=_joined(earlier.ambiguous, later.ambiguous),
        doubtful=_doubt(earlier.doubtful, _present(later), later.doubtful),
    )


class TreadmillDataAssembler:
    """Merges More-Data parts into records; never waits forever.

    A part without speed is held. The record is given out when a part with speed arrives, when a
    held part would be overwritten (a new record began), when `max_parts` are held, when the
    oldest held part is `max_age_s` old at the next feed or `poll`, or on `flush`. A record is
    truncated or ambiguous if any of its parts was.
    """

    def __init__(self, max_parts: int = 4, max_age_s: float = 1.0) -> None:
        if max_parts < 1 or max_age_s <= 0:
            msg = f"max_parts must be >= 1 and max_age_s > 0 (got {max_parts}, {max_age_s})"
            raise ValueError(msg)
        self.max_parts = max_parts
        self.max_age_s = max_age_s
        # The held parts' present values merged (later parts win), kept as a dict so a record
        # is built once, when it goes out.
        self._pending: dict[str, Any] | None = None
        self._truncated = False
        self._ambiguous: tuple[str, ...] = ()
        self._doubtful: frozenset[str] = frozenset()
        self._count = 0
        self._started = 0.0

    @property
    def deadline(self) -> float | None:
        """Return the loop time by which the held parts go out (None when nothing is held)."""
        return None if self._pending is None else self._started + self.max_age_s

    @property
    def held(self) -> int:
        """Return how many parts are held."""
        return self._count

    def feed(self, data: bytes, now: float) -> TreadmillData | None:
        """Return a merged record when this part completes one; ProtocolError on bad bytes."""
        try:  # the hot path: a flags and length seen before
            found = READINGS[data[0] | data[1] << 8 | len(data) << 16]
        except (KeyError, IndexError):
            found = reading_of(data)
        pending = self._pending
        if not found.more_data and pending is None:
            return found.decode(data)  # a whole record in one notification: the common case
        values = found.values(data)
        if not found.more_data:
            assert pending is not None
            pending.update(values)
            truncated = found.truncated or self._truncated
            ambiguous = _joined(self._ambiguous, found.ambiguous)
            doubtful = _doubt(self._doubtful, values.keys(), found.doubtful)
            self._pending, self._count = None, 0
            return TreadmillData.from_values(
                pending, truncated=truncated, ambiguous=ambiguous, doubtful=doubtful
            )
        out: TreadmillData | None = None
        if pending is not None and (
            not pending.keys().isdisjoint(values) or now - self._started >= self.max_age_s
        ):
            out = self._take()
        if self._pending is None:
            self._pending, self._started = values, now
            self._truncated, self._ambiguous = found.truncated, found.ambiguous
            self._doubtful = found.doubtful
        else:
            self._pending.update(values)
            self._truncated = self._truncated or found.truncated
            self._ambiguous = _joined(self._ambiguous, found.ambiguous)
            self._doubtful = _doubt(self._doubtful, values.keys(), found.doubtful)
        self._count += 1
        if self._count >= self.max_parts:
            assert out is None  # only possible with max_parts == 1, when nothing was held
            out = self._take()
        return out

    def poll(self, now: float) -> TreadmillData | None:
        """Return the held parts as a record if they are `max_age_s` old, else None."""
        deadline = self.deadline
        if deadline is not None and now >= deadline:
            return self._take()
        return None

    def flush(self) -> TreadmillData | None:
        """Return whatever is held (None if nothing) and forget it."""
        return self._take()

    def _take(self) -> TreadmillData | None:
        pending = self._pending
        self._pending, self._count = None, 0
        if pending is None:
            return None
        return TreadmillData.from_values(
            pending, truncated=self._truncated, ambiguous=self._ambiguous, doubtful=self._doubtful
        )


def _joined(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    """Return the reasons of both, each once, in order."""
    if not second:  # the common case: a part with nothing in doubt
        return first
    return tuple(dict.fromkeys([*first, *second]))


def _doubt(
    held: frozenset[str], supplied: Iterable[str], doubtful: frozenset[str]
) -> frozenset[str]:
    """Return the doubt of merged parts: a value a later part supplies replaces its doubt."""
    if not held:  # the common case
        return doubtful
    return held.difference(supplied) | doubtful


__all__ = ["TreadmillDataAssembler", "merge"]


def _present(record: TreadmillData) -> frozenset[str]:
    """Return the attributes `record` has a value for."""
    return frozenset(n for n in TREADMILL_FIELDS if getattr(record, n) is not None)
