"""Start-up a person feels: `retrowalk --help`, `validate`, `show`, the screen app's first screen.

Each figure is the median of several fresh processes (the console script next to this Python,
as a person types it): wall time, and CPU time, which moves much less on a shared machine. The
screen figure starts `retrowalk run WORKOUT --sim` in an 80x24 pseudo-terminal and stops the
clock when the workout's name is first drawn (CPU read from /proc then, Linux). Then
`python -X importtime` shows where `--help` and `validate` spend their imports (the largest
top-level imports, cumulative). Prints figures; asserts nothing.

    .venv/bin/python bench/bench_startup.py [--runs 7] [--workout retro-intro]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import platform
import pty
import re
import resource
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

from fresh import fresh_env, warm

TARGETS = {"--help": 0.080, "validate": 0.200, "show": None, "screen": 0.700}
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def command() -> list[str]:
    """Return how a person starts retrowalk: the console script, else `python -m retrowalk`."""
    script = Path(sys.executable).with_name("retrowalk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "retrowalk"]


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Return (wall, CPU) seconds of one run of `argv` to its exit.

    CPU (user + system of the child) moves much less than wall time on a shared machine.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)  # noqa: S603 - our own CLI
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def medians(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Return the median wall and the median CPU seconds of `runs` runs of `argv`."""
    figures = [timed(argv, env) for _ in range(runs)]
    return statistics.median(w for w, _ in figures), statistics.median(c for _, c in figures)


def first_screen_s(argv: list[str], env: dict[str, str], marker: bytes) -> tuple[float, float]:
    """Return (wall, CPU) seconds from start until `marker` is drawn in an 80x24 terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    started = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        argv,
        env={**env, "TERM": "xterm-256color"},
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    seen = b""
    drawn: float | None = None
    try:
        while drawn is None and time.perf_counter() - started < 30:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                seen += os.read(master, 65536)
                # The screen writes words with cursor moves between them: compare letters only.
                if marker in re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]|[^A-Za-z]", b"", seen):
                    drawn = time.perf_counter() - started
                    cpu = cpu_s(child.pid)
    finally:
        child.send_signal(signal.SIGINT)
        with contextlib.suppress(OSError):
            while select.select([master], [], [], 0.2)[0] and os.read(master, 65536):
                pass
        child.wait(timeout=30)
        os.close(slave)
        os.close(master)
    if drawn is None:
        msg = "the screen never showed the workout's name"
        raise RuntimeError(msg)
    return drawn, cpu


def cpu_s(pid: int) -> float:
    """Return the user + system CPU seconds of `pid` so far (/proc, Linux)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def import_breakdown(argv: list[str], env: dict[str, str], top: int = 8) -> list[str]:
    """Return the `top` largest imports of one run (cumulative ms, top-level modules only)."""
    proc = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-X", "importtime", "-m", "retrowalk", *argv],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows: list[tuple[int, str]] = []
    for line in proc.stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match and len(match[3]) <= 2:  # a module imported from the top or one level down
            rows.append((int(match[2]), ("  " if match[3] else "") + match[4]))
    total = sum(us for us, name in rows if not name.startswith(" "))
    rows.sort(reverse=True)
    lines = [f"all imports: {total / 1000:.0f} ms"]
    lines += [f"{us / 1000:7.1f} ms  {name.strip()}" for us, name in rows[:top]]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--workout", default="retro-intro")
    args = parser.parse_args()
    base = command()
    with tempfile.TemporaryDirectory() as data:
        env = fresh_env(data)
        warm(env)
        env.pop("NO_COLOR", None)
        cases = {
            "--help": [*base, "--help"],
            "validate": [*base, "validate", args.workout],
            "show": [*base, "show", args.workout],
        }
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f} at the start"
        )
        print(f"median of {args.runs} fresh processes ({' '.join(Path(b).name for b in base)})")
        wall, cpu = medians([sys.executable, "-c", "pass"], env, args.runs)
        print(f"  {'':<14} {'wall':>7} {'CPU':>7}")
        print(
            f"  {'python -c pass':<14} {wall * 1000:4.0f} ms {cpu * 1000:4.0f} ms  (Python's start)"
        )
        for name, argv in cases.items():
            wall, cpu = medians(argv, env, args.runs)
            target = TARGETS[name]
            aim = f"  (target <= {target * 1000:.0f} ms wall)" if target else ""
            print(f"  {name:<14} {wall * 1000:4.0f} ms {cpu * 1000:4.0f} ms{aim}")
        run = [*base, "run", args.workout, "--sim", "--voice", "off"]
        marker = re.sub(rb"[^A-Za-z]", b"", args.workout.replace("-", " ").title().encode())
        shown = [first_screen_s(run, env, marker) for _ in range(args.runs)]
        wall = statistics.median(w for w, _ in shown)
        cpu = statistics.median(c for _, c in shown)
        print(
            f"  {'first screen':<14} {wall * 1000:4.0f} ms {cpu * 1000:4.0f} ms"
            "  (target <= 700 ms wall)"
        )
        for name, argv in (("--help", ["--help"]), ("validate", ["validate", args.workout])):
            print(f"imports of {name} (python -X importtime, one run):")
            print("\n".join(f"  {line}" for line in import_breakdown(argv, env)))
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
