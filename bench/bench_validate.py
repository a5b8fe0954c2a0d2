"""Time and memory of `retrowalk validate` on the worst workout files we can build (prints figures).

Each file is under 1 MiB. For each: the check alone in this process (CPU time, and the peak of
Python allocations by tracemalloc, in a second run), and the real command as a child process
(wall and CPU time, interpreter start-up and imports included, and its peak resident memory).
Target (issue 11): every file under a second and under 100 MB.

    .venv/bin/python bench/bench_validate.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from retrowalk.errors import WorkoutError
from retrowalk.workout.check import check_file

LIMIT_BYTES = 1024 * 1024


def nested(depth: int) -> str:
    """`repeat: 100` nested `depth` deep (the issue's 248-byte file at 3 and 4)."""
    text = "name: Bomb\nintervals:\n"
    for level in range(depth):
        pad = "    " * level
        text += f"{pad}  - repeat: 100\n{pad}    intervals:\n"
    pad = "    " * depth
    return text + f"{pad}  - {{backward: 1:00, speed: 2}}\n{pad}  - {{forward: 1:00, speed: 3}}\n"


def many(line: str, count: int, head: str = "name: Many\n") -> str:
    """`count` copies of one interval line."""
    return head + "intervals:\n" + line * count


CASES: dict[str, str] = {
    "repeat 100 nested 3 deep": nested(3),
    "repeat 100 nested 4 deep": nested(4),
    "repeat 100 nested 18 deep (deepest)": nested(18),
    "5,000 steps exactly (valid)": "name: T\nintervals:\n  - repeat: 100\n    intervals:\n"
    + "      - {rest: 5s}\n" * 50,
    "3,998 intervals, 12 h with turns (refused)": many(
        "  - {forward: 10s, speed: 3}\n  - {backward: 10s, speed: 2}\n", 1999
    ),
    "2,800 intervals, a turn before each (valid)": many(
        "  - {forward: 10s, speed: 3}\n  - {backward: 10s, speed: 2}\n",
        1400,
        "name: T\nturn: {window: 5s}\n",
    ),
    "3,999 intervals, each beyond standard": many("  - {forward: 10s, speed: 9}\n", 3999),
    "3,999 broken intervals (salvaged)": many("  - {backward: 10s, sped: 3}\n", 3999),
    "3,999 intervals beyond every profile": many("  - {backward: 3:00:00, speed: 9}\n", 3999),
    "1 MiB duration of spaces": "name: T\nintervals:\n  - {forward: '1h"
    + " " * (LIMIT_BYTES - 80)
    + "x', speed: 3}\n",
    "1 MiB name": "name: '"
    + "a" * (LIMIT_BYTES - 80)
    + "'\nintervals:\n  - {forward: 1:00, speed: 3}\n",
}


def in_process(path: Path) -> tuple[float, float, int]:
    """Return (CPU seconds, peak traced MB, problem lines) of checking `path` in this process."""
    started = time.process_time()  # CPU time: the machine may be shared
    count = _check(path)
    seconds = time.process_time() - started
    tracemalloc.start()
    _check(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 1e6, count


def _check(path: Path) -> int:
    try:
        return len(check_file(path).problems())
    except WorkoutError as exc:
        return len(exc.render().splitlines())


# The child reports its own peak resident memory (VmHWM) as it exits: ru_maxrss from wait4
# would include the image of this process it was forked from.
_CHILD = (
    "import atexit, runpy, sys\n"
    "out = sys.argv.pop(1)\n"
    "def peak():\n"
    "    with open('/proc/self/status') as status, open(out, 'w') as sink:\n"
    "        sink.write(next(line for line in status if line.startswith('VmHWM')))\n"
    "atexit.register(peak)\n"
    "runpy.run_module('retrowalk', run_name='__main__', alter_sys=True)\n"
)


def as_command(path: Path) -> tuple[float, float, float, int]:
    """Return (wall s, CPU s, peak RSS MB, exit code) of `python -m retrowalk validate path`."""
    report = path.with_suffix(".peak")
    started = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", _CHILD, str(report), "validate", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    peak_kb = int(report.read_text(encoding="utf-8").split()[1])
    return wall, usage.ru_utime + usage.ru_stime, peak_kb / 1024, child.returncode


def main() -> None:
    """Print one line of figures per case."""
    print(
        f"{'case':<40} {'bytes':>8} | check: {'CPU s':>6} {'peak MB':>7} {'lines':>5} | "
        f"command: {'wall s':>6} {'CPU s':>6} {'RSS MB':>6} {'exit':>4}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for name, text in CASES.items():
            path = Path(folder) / "case.yaml"
            path.write_text(text, encoding="utf-8")
            size = path.stat().st_size
            assert size < LIMIT_BYTES, name
            seconds, peak, count = in_process(path)
            wall, cpu, rss, code = as_command(path)
            print(
                f"{name:<40} {size:>8} |        {seconds:>6.3f} {peak:>7.1f} {count:>5} | "
                f"         {wall:>6.3f} {cpu:>6.3f} {rss:>6.1f} {code:>4}"
            )


if __name__ == "__main__":
    main()
