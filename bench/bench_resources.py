"""CPU and memory of a real-time `retrowalk run` against the simulator (prints figures).

Runs `python -m retrowalk run WORKOUT --sim --yes --plain` (or, with --screen, the screen app in
an 80x24 pseudo-terminal, started with Enter) as a child for N wall seconds, reads
its CPU time and memory from /proc (Linux; no psutil), then stops it with Ctrl-C (SIGINT).
CPU is reported over the whole run and over the steady part (after the first 5 s of start-up
imports). Targets: < 2 % of one core, < 80 MB resident.

    .venv/bin/python bench/bench_resources.py [--seconds 30] [--workout retro-intro] [--screen]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import platform
import pty
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

from fresh import fresh_env, warm

WARMUP_S = 5.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """Return user + system CPU seconds of `pid` from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_kb(pid: int) -> dict[str, int]:
    """Return VmRSS and VmHWM (peak resident) of `pid` in kB."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            out[key] = int(value.split()[0])
    return out


class _Terminal:
    """A pseudo-terminal whose output a thread drains (as a terminal emulator would)."""

    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        with contextlib.suppress(OSError):
            while os.read(self.master, 65536):
                pass

    def close(self) -> None:
        os.close(self.slave)
        os.close(self.master)


def _start_in_terminal(
    argv: list[str], env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], _Terminal]:
    """Start the screen app on a pseudo-terminal and press Enter to start the belt."""
    terminal = _Terminal()
    child = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        argv,
        env={**env, "TERM": "xterm-256color"},
        stdin=terminal.slave,
        stdout=terminal.slave,
        stderr=terminal.slave,
        start_new_session=True,
    )
    time.sleep(3.0)  # the app is up
    os.write(terminal.master, b"\r")
    return child, terminal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workout", default="retro-intro")
    parser.add_argument(
        "--screen", action="store_true", help="run the screen app in a pseudo-terminal"
    )
    args = parser.parse_args()
    if not Path("/proc/self/stat").exists():
        print("this benchmark reads /proc: Linux only")
        return 1
    with tempfile.TemporaryDirectory() as data:
        env = fresh_env(data)
        warm(env)
        argv = [sys.executable, "-m", "retrowalk", "run", args.workout, "--sim", "--voice", "off"]
        started = time.monotonic()
        if args.screen:
            child, terminal = _start_in_terminal(argv, env)
        else:
            child = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
                [*argv, "--yes", "--plain"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        try:
            time.sleep(WARMUP_S)
            cpu_warm = cpu_seconds(child.pid)
            warm_at = time.monotonic()
            time.sleep(max(args.seconds - WARMUP_S, 1.0))
            if child.poll() is not None:
                print(f"the run ended early (exit {child.returncode})")
                return 1
            cpu_end = cpu_seconds(child.pid)
            end_at = time.monotonic()
            memory = memory_kb(child.pid)
        finally:
            child.send_signal(signal.SIGINT)
            code = child.wait(timeout=30)
            if args.screen:
                terminal.close()
    total_pct = 100 * cpu_end / (end_at - started)
    steady_pct = 100 * (cpu_end - cpu_warm) / (end_at - warm_at)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    mode = "screen app in an 80x24 pseudo-terminal" if args.screen else "--plain"
    print(f"real-time run of {args.workout!r} for {end_at - started:.0f} s (simulator, {mode})")
    print(f"CPU, whole run incl. start-up : {total_pct:.2f} % of one core")
    print(
        f"CPU, steady (after {WARMUP_S:g} s)     : {steady_pct:.2f} % of one core  (target < 2 %)"
    )
    print(f"memory resident now / peak    : {memory['VmRSS'] / 1024:.1f} / "
          f"{memory['VmHWM'] / 1024:.1f} MB  (target < 80 MB)")  # fmt: skip
    print(f"Ctrl-C exit code              : {code} (expected 130)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
