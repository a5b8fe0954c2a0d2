"""A log that cannot be written: refused before the run, or survived during it, and counted."""

from __future__ import annotations

import errno
import os
import subprocess
import threading
from typing import TYPE_CHECKING

import pytest

from retrowalk.errors import EXIT_BAD_INPUT, RecordingRefused
from retrowalk.history import LogState, read_log
from retrowalk.sinks.log_file import LogIO, check_recordable
from session_logs import record_walk

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path


def _mount_tmpfs(where: Path, options: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs (skipped where mounting is not permitted)."""
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, "size=64k")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill(disk: Path) -> None:
    """Take every free byte of `disk`."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while True:
            os.write(fd, bytes(512))
    except OSError:
        pass
    finally:
        os.close(fd)


def test_a_folder_that_cannot_be_created_refuses_the_run(tmp_path: Path) -> None:
    """A data folder below a file: refused with exit 2, naming the folder and --no-record."""
    (tmp_path / "file").write_text("")
    with pytest.raises(RecordingRefused) as caught:
        check_recordable(tmp_path / "file" / "sessions")
    message = str(caught.value)
    assert str(tmp_path / "file" / "sessions") in message
    assert "cannot be written" in message
    assert "--no-record" in message
    assert caught.value.exit_code == EXIT_BAD_INPUT


def test_a_read_only_folder_refuses_the_run(tmp_path: Path) -> None:
    """A read-only file system (a real one: root ignores permission bits) refuses the run."""
    disk = tmp_path / "ro"
    _mount_tmpfs(disk, "ro,size=64k")
    try:
        with pytest.raises(RecordingRefused, match=r"cannot be written \(Read-only file system\)"):
            check_recordable(disk / "sessions")
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_nearly_full_disk_refuses_the_run(small_disk: Path) -> None:
    """Less than a few MB free: refused, saying how much is free and how much is needed."""
    with pytest.raises(RecordingRefused, match=r"only 0\.\d MB free .* needs 5 MB"):
        check_recordable(small_disk / "sessions")


def test_a_good_folder_passes_and_keeps_no_trace(tmp_path: Path) -> None:
    """The check creates the folder and leaves nothing behind in it."""
    folder = check_recordable(tmp_path / "data" / "sessions")
    assert folder.is_dir()
    assert list(folder.iterdir()) == []


class FlakyDisk:
    """os.write that fails with EIO while `broken`, and writes at most `chunk` bytes a call."""

    def __init__(self, chunk: int = 1 << 20) -> None:
        self.broken = False
        self.chunk = chunk

    def write(self, fd: int, data: bytes) -> int:
        """Write like os.write, or fail."""
        if self.broken:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return os.write(fd, data[: self.chunk])

    def io(self) -> LogIO:
        """Return the recorder's I/O through this disk."""
        return LogIO(write=self.write)

    def breaks(self, value: bool) -> Callable[[], None]:
        """Return an action that breaks (or mends) the disk."""
        return lambda: setattr(self, "broken", value)


async def test_a_write_error_is_reported_once_and_nothing_is_lost(tmp_path: Path) -> None:
    """I/O errors for 20 s: one notice, the run goes on, the log catches up completely."""
    disk = FlakyDisk()
    problems: list[str] = []
    recorder = await record_walk(
        tmp_path,
        60.0,
        at={10.0: disk.breaks(True), 30.0: disk.breaks(False)},
        io=disk.io(),
        on_problem=problems.append,
    )
    assert problems == [
        (
            "the session log cannot be written (Input/output error); the workout goes on, "
            "and the recorder tries again every second"
        ),
        "the session log is written again; nothing was lost",
    ]
    assert recorder.path is not None
    log = read_log(recorder.path)
    assert log.state == LogState.COMPLETE
    assert log.gaps == ()
    assert 59 <= len(log.samples) <= 62
    assert log.summary is not None
    assert log.summary.lost_s == 0


async def test_what_could_not_be_kept_is_counted_in_a_gap(tmp_path: Path) -> None:
    """With little room to wait in memory, dropped seconds become a gap line and lost_s."""
    disk = FlakyDisk()
    problems: list[str] = []
    recorder = await record_walk(
        tmp_path,
        90.0,
        at={10.0: disk.breaks(True), 60.0: disk.breaks(False)},
        io=disk.io(),
        on_problem=problems.append,
        max_pending_bytes=2000,
    )
    assert recorder.path is not None
    log = read_log(recorder.path)
    [gap] = log.gaps
    assert 10 <= gap.from_t < gap.to_t <= 61
    assert 30 <= gap.lost_s <= 50
    assert gap.reason == "Input/output error"
    assert log.summary is not None
    assert log.summary.lost_s == gap.lost_s
    assert (
        problems[-1] == f"the session log is written again; {gap.lost_s:.0f} s of samples were lost"
    )
    after = [s for s in log.samples if s.t > gap.to_t]
    assert after
    assert after[0].distance_m == pytest.approx(after[0].t, abs=0.3)  # a whole sample again
    assert len(log.samples) + gap.lost_s == pytest.approx(91, abs=2)


async def test_short_writes_never_break_a_line(tmp_path: Path) -> None:
    """A disk that takes 7 bytes a call: every line still arrives whole."""
    disk = FlakyDisk(chunk=7)
    recorder = await record_walk(tmp_path, 20.0, io=disk.io())
    assert recorder.path is not None
    log = read_log(recorder.path)
    assert log.state == LogState.COMPLETE
    assert len(log.samples) >= 19


async def test_a_full_disk_mid_run_is_survived_and_counted(small_disk: Path) -> None:
    """The 64 KiB disk fills up mid-run, then is freed: a gap, a summary, two notices."""
    problems: list[str] = []
    recorder = await record_walk(
        small_disk,
        200.0,
        at={10.0: lambda: _fill(small_disk), 150.0: (small_disk / "filler").unlink},
        on_problem=problems.append,
        max_pending_bytes=2000,
    )
    assert recorder.path is not None
    log = read_log(recorder.path)
    assert log.state == LogState.COMPLETE
    [gap] = log.gaps
    assert gap.reason == "No space left on device"
    assert gap.lost_s > 60
    assert log.summary is not None
    assert log.summary.ended == "finished"
    assert log.summary.lost_s == gap.lost_s
    assert len(problems) == 2
    assert "No space left on device" in problems[0]
    assert problems[1].startswith("the session log is written again")


@pytest.mark.parametrize(
    ("seconds", "buffered"),
    [(200.0, {"max_pending_bytes": 2000}), (1200.0, {})],
    ids=["small-buffer", "default-buffer"],
)
async def test_a_disk_full_to_the_end_still_gets_the_summary(
    small_disk: Path, seconds: float, buffered: dict[str, int]
) -> None:
    """The disk never frees up: the reserve held beside the log makes room for the summary.

    With the default buffer, far more samples wait in memory at the end than the reserve holds:
    they are counted as lost, and the reserve's room still goes to the summary.
    """
    problems: list[str] = []
    recorder = await record_walk(
        small_disk,
        seconds,
        at={10.0: lambda: _fill(small_disk)},
        on_problem=problems.append,
        **buffered,
    )
    assert recorder.path is not None
    log = read_log(recorder.path)
    assert log.state == LogState.COMPLETE
    assert log.summary is not None
    assert log.summary.ended == "finished"
    assert log.summary.distance_m == seconds
    assert log.summary.lost_s > seconds / 2
    assert "No space left on device" in problems[0]
    assert not any("without its summary" in p for p in problems)


async def test_fsync_runs_off_the_event_loop(tmp_path: Path) -> None:
    """Every fsync during the run happens in a worker thread, never on the loop's thread."""
    loop_thread = threading.get_ident()
    during_run: list[int] = []
    done = False

    def fsync(fd: int) -> None:
        if not done:
            during_run.append(threading.get_ident())
        os.fsync(fd)

    def finish() -> None:
        nonlocal done
        done = True

    await record_walk(tmp_path, 30.0, at={29.5: finish}, io=LogIO(fsync=fsync))
    assert during_run
    assert loop_thread not in during_run
