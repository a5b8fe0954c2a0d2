"""Figures of the exports (prints them; never asserts).

The 64-minute bench workout (bench_run.py) is run once in fast mode with a simulated heart-rate
strap; then its log is read and rendered as FIT, TCX and CSV and charted as PNG and SVG, each
timed (best of three, in process) with the size of what it made. After a real run the FIT
file is made once the belt has stopped and the log is closed, in a worker thread: its time
only delays the prompt. No target yet; the figures go in the README.

    .venv/bin/python bench/bench_export.py
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench_run import HOUR_WORKOUT
from retrowalk.cli.main import main as cli_main
from retrowalk.export import activity as activity_module
from retrowalk.export import render
from retrowalk.export.report import chart
from retrowalk.history import read_log

if TYPE_CHECKING:
    from collections.abc import Callable

REPEATS = 3


def record(folder: Path) -> Path:
    """Walk the hour workout on the simulator in fast mode; return its session log."""
    path = folder / "bench-hour.yaml"
    path.write_text(HOUR_WORKOUT)
    os.environ["RETROWALK_DATA_DIR"] = str(folder / "data")
    with contextlib.redirect_stdout(io.StringIO()):
        cli_main(["run", str(path), "--sim", "--fast", "--yes", "--hr", "auto"])
    [log] = (folder / "data" / "sessions").glob("*.jsonl")
    return log


def best(job: Callable[[], bytes]) -> tuple[float, int]:
    """Return the best time of REPEATS calls of `job` and the size of what it returned."""
    times, size = [], 0
    for _ in range(REPEATS):
        began = time.perf_counter()
        size = len(job())
        times.append(time.perf_counter() - began)
    return min(times), size


def main() -> None:
    """Print the figures."""
    print(
        f"python {platform.python_version()} on {platform.machine()}, load {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as scratch:
        log_path = record(Path(scratch))
        log = read_log(log_path)
        assert log.summary is not None
        assert log.summary.elapsed_s is not None
        minutes = log.summary.elapsed_s / 60
        print(f"session: {minutes:.0f} minutes, {len(log.samples)} samples")
        began = time.perf_counter()
        walked = activity_module.activity(read_log(log_path))
        took = time.perf_counter() - began
        print(f"read the log and cut it into {len(walked.laps)} laps: {took:.2f} s")
        for fmt in ("fit", "tcx", "csv"):
            seconds, size = best(lambda fmt=fmt: render(log, fmt))
            print(f"{fmt}: {seconds:.2f} s, {size / 1e3:.0f} kB (laps and file, from the log read)")
        for fmt in ("png", "svg"):
            seconds, size = best(lambda fmt=fmt: chart(walked, fmt))
            print(f"report {fmt}: {seconds:.2f} s, {size / 1e3:.0f} kB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
