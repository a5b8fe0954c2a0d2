"""The session recorder: the sink that writes a session log (format: history/logformat.py).

Its channel carries events only (subscribe it with snapshots="none"): each is written as
`Event.to_dict()`, the same JSON as MQTT. Samples are taken at 1 Hz on the recorder's own
deadline from the bus's latest snapshot. Once a second the new lines go to the OS, so a killed
process loses at most that second, and an fsync runs in a worker thread, off the event loop that
times the emergency stop. `min_write_wall_s` spaces the writes in wall time as well: fast mode
passes an hour in a second, where a write per workout second would be a tenth of the run's cost.

A write failure (full disk, I/O error, a folder gone) never ends the run: `on_problem` hears of
it once, the lines wait in memory (up to `max_pending_bytes`, then they are dropped and counted),
and every second the recorder tries again. When the disk takes them again a "gap" line records
what was lost, and the summary says how much. The summary reports what the engine's end event
said and nothing else: unknown is null, never a guess.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

from retrowalk.engine.clock import now, repeat
from retrowalk.engine.events import Aborted, Finished, Snapshot
from retrowalk.errors import SessionError
from retrowalk.history import logformat as fmt
from retrowalk.history.store import sessions_dir
from retrowalk.sinks.log_file import LogFile, LogIO, slugify
from retrowalk.sinks.log_tally import Span, Tally

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from types import TracebackType

    from retrowalk.engine.bus import Channel, Item

SAMPLE_INTERVAL_S = 1.0
SAMPLE_PHASE_S = 0.02  # how long after each whole second of engine time the sample is taken
# fsync guards against power loss, which happens in wall-clock time: in fast mode an hour of
# workout passes in a second, and one fsync per workout second would be thousands.
FSYNC_MIN_WALL_S = 0.5
FAST_WRITE_WALL_S = 0.05  # min_write_wall_s in fast mode: a kill loses at most this much
MAX_PENDING_BYTES = 1024 * 1024  # about an hour of log kept in memory while the disk refuses it

_log = logging.getLogger(__name__)


class SessionRecorder:
    """Write one session log: `async with recorder:` then `await recorder.run(...)`.

    Single use: a recorder records one session and cannot be reopened.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        on_problem: Callable[[str], None] | None = None,
        io: LogIO | None = None,
        max_pending_bytes: int = MAX_PENDING_BYTES,
        min_write_wall_s: float = 0.0,
    ) -> None:
        self.directory = directory
        self.on_problem = on_problem if on_problem is not None else _log.warning
        self.summary: dict[str, Any] | None = None  # the summary line, once the run ended
        self.samples = 0
        self.events = 0
        self.lost_s = 0.0  # seconds of samples the log does not have (write failures)
        self._io = io
        self._max_pending = max_pending_bytes
        self._min_write_wall_s = min_write_wall_s
        self._written_at = -math.inf  # time.monotonic() of the last write
        self._file: LogFile | None = None
        self._used = False
        self._encoder = fmt.SampleEncoder()
        self._backward = fmt.BackwardClock()
        self._seen: Snapshot | None = None  # the newest snapshot on the channel, if it has any
        self._sampled: Snapshot | None = None
        self._engine_t0: float | None = None  # the loop time of the engine's t=0, once known
        self._tally = Tally()
        self._unwritten = Span()  # appended since the last successful write
        self._dropped = Span()  # dropped while the disk refused them (a gap line to come)
        self._dropping = False
        self._failing: str | None = None  # why writes fail, while they do
        self._reason = "write failed"  # why they failed last
        self._told_failure = False
        self._told_recovery = False
        self._sync_wanted = asyncio.Event()
        self._last_sync = 0.0

    @property
    def path(self) -> Path | None:
        """The log file, once created."""
        return self._file.path if self._file is not None else None

    async def __aenter__(self) -> Self:
        if self._used:
            raise SessionError("a SessionRecorder records one session; create a new one")
        self._used = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None and self.summary is None:
            self._finish(interrupted=True)

    async def run(
        self,
        channel: Channel,
        header: dict[str, Any],
        *,
        latest: Callable[[], Snapshot | None] | None = None,
    ) -> Path | None:
        """Record until `channel` closes; return the log (None if it could never be created).

        `latest` gives the newest snapshot (the bus's `latest`); without it the recorder keeps
        the newest one its channel delivers.
        """
        if self._file is not None:
            raise SessionError("this recorder already recorded a session")
        self._begin(header)
        newest = latest if latest is not None else (lambda: self._seen)
        closed = False
        try:
            async with asyncio.TaskGroup() as tg:
                ticks = tg.create_task(self._every_second(channel, newest), name="recorder-samples")
                syncs = tg.create_task(self._sync_when_asked(), name="recorder-fsync")
                try:
                    async for item in channel:
                        self._record(item, newest)
                    closed = True
                finally:
                    ticks.cancel()
                    syncs.cancel()
        finally:
            self._catch_up(channel, newest)  # cancelled (Ctrl-C) or done: then the summary
            self._finish(interrupted=not closed)
        return self.path

    def note(self, record: dict[str, Any]) -> None:
        """Record an event from a sink beside the engine (a cue report: "type", "t"), if open."""
        if self._file is None or self.summary is not None:
            return
        if self._append(fmt.dumps_line({"kind": fmt.EVENT, **record}), float(record["t"])):
            self.events += 1

    # --- taking items -------------------------------------------------------------------------

    def _begin(self, header: dict[str, Any]) -> None:
        started = datetime.now(UTC).astimezone()
        workout = header.get("workout", {})
        name = str(workout.get("name", "workout")) if isinstance(workout, dict) else "workout"
        directory = self.directory if self.directory is not None else sessions_dir()
        stem = f"{started:%Y%m%d-%H%M%S}-{slugify(name)}"
        self._file = LogFile(directory, stem, io=self._io)
        line = {"kind": fmt.HEADER, "format": fmt.FORMAT_VERSION, "started": started.isoformat()}
        self._file.append(fmt.dumps_line({**line, **header}))

    def _record(self, item: Item, newest: Callable[[], Snapshot | None]) -> None:
        if isinstance(item, Snapshot):
            self._seen = item  # samples are taken on the recorder's own deadline
            return
        self._tally.count(item)
        # An event comes at once: its t against the loop's clock says when the engine's t=0 was.
        origin = now() - item.t
        self._engine_t0 = origin if self._engine_t0 is None else min(self._engine_t0, origin)
        if isinstance(item, Finished | Aborted):
            self._sample(newest())  # the engine's final snapshot, before its end event
        if self._append(fmt.dumps_line({"kind": fmt.EVENT, **item.to_dict()}), item.t):
            self.events += 1

    def _sample(self, snapshot: Snapshot | None) -> None:
        if snapshot is None or snapshot is self._sampled:
            return
        if self._sampled is not None and snapshot.t <= self._sampled.t:
            return
        self._sampled = snapshot
        if self._dropping:
            self._dropped.add(snapshot.t, sample=True)
            return
        line, values = self._encoder.encode_raw(vars(snapshot), snapshot.to_dict)
        self._backward.add(values)
        if line["kind"] == fmt.SAMPLE:
            extra = {"backward_s": self._backward.backward_s, "wall": time.time()}
            if self._engine_t0 is not None:
                extra["wall_t"] = now() - self._engine_t0  # the engine's time at that wall time
            line[fmt.RECORDER] = fmt.rounded(extra)
        if self._append(fmt.dumps_line(line), snapshot.t, sample=True):
            self.samples += 1

    def _append(self, data: bytes, t: float, *, sample: bool = False) -> bool:
        assert self._file is not None
        if self._dropping or self._file.pending_bytes + len(data) > self._max_pending:
            if not self._dropping:
                self._dropping = True
                self._encoder.restart()  # what follows the gap starts with a full sample
                self._backward.restart()
            self._dropped.add(t, sample=sample)
            return False
        self._file.append(data)
        self._unwritten.add(t, sample=sample)
        return True

    # --- writing ------------------------------------------------------------------------------

    async def _every_second(self, channel: Channel, newest: Callable[[], Snapshot | None]) -> None:
        deadline = now()

        def step() -> float:
            nonlocal deadline
            self._catch_up(channel, newest)
            if time.monotonic() - self._written_at >= self._min_write_wall_s:
                self._flush()
            deadline = self._next_deadline(deadline)
            return deadline

        await repeat(step)

    def _catch_up(self, channel: Channel, newest: Callable[[], Snapshot | None]) -> None:
        # The events queued first, then a sample: the log keeps time order, and t=0 is known.
        while (queued := channel.get_nowait()) is not None:
            self._record(queued, newest)
        self._sample(newest())

    def _next_deadline(self, previous: float) -> float:
        # SAMPLE_PHASE_S past each second of engine time (a snapshot published on the second is
        # taken), never within half a second of the last: a kill loses at most a second.
        # Before the engine's first event, simply every second.
        if self._engine_t0 is None:
            return previous + SAMPLE_INTERVAL_S
        phase = SAMPLE_PHASE_S
        since = max(now(), previous + SAMPLE_INTERVAL_S / 2) - self._engine_t0 - phase
        seconds = math.floor(since + 1e-6) + 1  # 3.9999999 is 4: never the deadline just done
        return self._engine_t0 + phase + seconds * SAMPLE_INTERVAL_S

    async def _sync_when_asked(self) -> None:
        assert self._file is not None
        while True:
            await self._sync_wanted.wait()
            self._sync_wanted.clear()
            try:
                await asyncio.to_thread(self._file.sync)
            except OSError as exc:
                self._failed(exc)
            self._last_sync = time.monotonic()

    def _flush(self) -> bool:
        """Hand the pending lines to the OS; return whether all of them were written."""
        assert self._file is not None
        had_data = self._file.pending_bytes > 0
        self._written_at = time.monotonic()
        try:
            self._file.write_pending()
        except OSError as exc:
            self._failed(exc)
            return False
        self._unwritten = Span()
        if self._failing is not None:
            self._recovered()
        if had_data and time.monotonic() - self._last_sync >= FSYNC_MIN_WALL_S:
            self._sync_wanted.set()
        return True

    def _failed(self, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        self._failing = self._reason = reason
        if not self._told_failure:
            self._told_failure = True
            self._tell(
                f"the session log cannot be written ({reason}); the workout goes on, "
                "and the recorder tries again every second"
            )

    def _recovered(self) -> None:
        self._failing = None
        if self._dropping:
            self._append_gap()
        if not self._told_recovery:
            self._told_recovery = True
            lost = self.lost_s
            what = f"{lost:.0f} s of samples were lost" if lost else "nothing was lost"
            self._tell(f"the session log is written again; {what}")

    def _append_gap(self) -> None:
        assert self._file is not None
        self._file.append(fmt.dumps_line(self._dropped.line(self._reason)))
        self.lost_s += self._dropped.lost_s
        self._dropped = Span()
        self._dropping = False

    def _finish(self, *, interrupted: bool) -> None:
        """Append the summary and write everything out (on a full disk, into the reserve)."""
        file = self._file
        if file is None or self.summary is not None:
            return
        self._closing_lines(interrupted=interrupted)
        written = self._flush()
        if not written and file.path is not None:
            # No room for everything: keep the summary, count the rest as lost. The lines still
            # waiting are dropped first, so the reserve's room goes to the gap and the summary
            # rather than to the oldest of up to MAX_PENDING_BYTES of samples.
            file.discard_pending()
            self._dropped.merge(self._unwritten)
            self._unwritten = Span()
            self._dropping = True
            self._closing_lines(interrupted=interrupted)
            written = self._flush()
            if not written and file.release_reserve():
                written = self._flush()
        try:
            file.close()
        except OSError as exc:
            self._failed(exc)
            written = False
        if not written and file.path is None:
            self._tell(f"no session log could be created ({self._reason})")
        elif not written:
            self._tell(f"the session log {file.path} ends without its summary ({self._reason})")

    def _tell(self, message: str) -> None:
        try:
            self.on_problem(message)
        except Exception:  # noqa: BLE001 - a broken notice must not stop the recording
            _log.exception("the session log's notice failed: %s", message)

    def _closing_lines(self, *, interrupted: bool) -> None:
        assert self._file is not None
        if self._dropped:
            self._append_gap()
        self.summary = self._summary(interrupted=interrupted)
        self._file.append(fmt.dumps_line(self.summary))

    def _summary(self, *, interrupted: bool) -> dict[str, Any]:
        return self._tally.summary(
            last=self._sampled,
            backward_s=self._backward.backward_s,
            written=(self.samples, self.events),
            lost_s=self.lost_s,
            interrupted=interrupted,
        )
