"""Figures of the session log and `retrowalk sessions` (prints them; never asserts).

1. log size per workout hour: the 64-minute bench workout (bench_run.py) run in fast mode.
   Target about 1 MB per hour or less.
2. `retrowalk sessions` over 500 realistic logs: real logs of three library workouts recorded in
   fast mode, copied with start times three a week over three years; 2 % aborted and 3 % killed
   (cut at a random byte). Timed cold (no index: every log's header and tail read), warm (the
   index beside the logs), and as a fresh process. Target under 0.5 s.
3. with --kills N: N `retrowalk run --sim --speedup 2` processes killed (SIGKILL) at random
   moments, the engine time at each kill minus the last sample on disk. Target <= 1 s.

    .venv/bin/python bench/bench_sessions.py [--logs 500] [--kills 20]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_run import HOUR_WORKOUT
from fresh import fresh_env
from fresh import warm as compile_sources
from retrowalk.cli.main import main as cli_main
from retrowalk.history import read_log

WORKOUTS = ("retro-intro", "knee-friendly-retro-10", "steady-balance-retro")


def record(folder: Path, *argv: str) -> Path:
    """Run `retrowalk run ARGV --sim --fast --yes` in process; return its session log."""
    os.environ["RETROWALK_DATA_DIR"] = str(folder)
    with contextlib.redirect_stdout(io.StringIO()):
        cli_main(["run", *argv, "--sim", "--fast", "--yes"])
    [log] = (folder / "sessions").glob("*.jsonl")
    return log


def bench_size(scratch: Path) -> None:
    path = scratch / "bench-hour.yaml"
    path.write_text(HOUR_WORKOUT)
    log = record(scratch / "hour", str(path))
    summary = read_log(log).summary
    assert summary is not None
    assert summary.elapsed_s is not None
    hours = summary.elapsed_s / 3600
    size = log.stat().st_size
    print(f"1. session log of a {summary.elapsed_s / 60:.0f}-minute workout: {size / 1e6:.2f} MB")
    print(
        f"   {size / 1e6 / hours:.2f} MB per workout hour (target about 1 MB or less)", flush=True
    )


def build_history(folder: Path, scratch: Path, count: int, rng: random.Random) -> None:
    """Write `count` logs into `folder`: copies of real logs, three sessions a week."""
    sources = [record(scratch / name, name).read_bytes() for name in WORKOUTS]
    folder.mkdir(parents=True)
    start = datetime(2024, 1, 1, 7, 0, tzinfo=UTC)
    for i in range(count):
        started = start + timedelta(days=i * 7 / 3, minutes=rng.randint(0, 600))
        data = sources[i % len(sources)]
        header_end = data.index(b"\n")
        header = json.loads(data[:header_end])
        header["started"] = started.isoformat()
        body = data[header_end:]
        fate = rng.random()
        if fate < 0.03:
            body = body[: rng.randint(1, len(body) - 1)]  # killed
        elif fate < 0.05:
            lines = body.split(b"\n")
            summary = json.loads(lines[-2])
            summary.update(ended="aborted", reason="stop pressed at the console")
            body = b"\n".join([*lines[:-2], json.dumps(summary).encode(), b""])
        name = f"{started:%Y%m%d-%H%M%S}-{header['workout']['name'].lower().replace(' ', '-')}"
        (folder / f"{name}.jsonl").write_bytes(json.dumps(header).encode() + body)


def time_listing(folder: Path) -> float:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        started = time.perf_counter()
        cli_main(["sessions", "--dir", str(folder)])
        return time.perf_counter() - started


def bench_listing(scratch: Path, count: int) -> None:
    folder = scratch / "history"
    build_history(folder, scratch, count, random.Random(7))
    size = sum(p.stat().st_size for p in folder.glob("*.jsonl"))
    cold = []
    for _ in range(3):
        (folder / ".index.json").unlink(missing_ok=True)
        cold.append(time_listing(folder))
    warm = [time_listing(folder) for _ in range(3)]
    compile_sources(fresh_env(str(folder)))
    fresh = [_process(folder) for _ in range(3)]
    empty = [_process(scratch / "no-sessions") for _ in range(3)]
    print(f"2. `retrowalk sessions` over {count} logs ({size / 1e6:.0f} MB), medians of 3:")
    print(
        f"   in process: {statistics.median(cold):.3f} s without the index, "
        f"{statistics.median(warm):.3f} s with it"
    )
    print(
        f"   fresh `retrowalk sessions` process: {statistics.median(fresh):.3f} s "
        f"({statistics.median(empty):.3f} s of it start-up: the same on an empty folder)"
    )
    print("   (target < 0.5 s)")


def _process(folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own CLI with fixed arguments
        [sys.executable, "-m", "retrowalk", "sessions", "--dir", str(folder)],
        env=fresh_env(str(folder)),
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - started


def bench_kills(scratch: Path, kills: int) -> None:
    speedup = 2.0
    rng = random.Random(3)
    lost: list[float] = []
    for i in range(kills):
        folder = scratch / f"kill-{i}"
        env = fresh_env(str(folder))
        argv = [sys.executable, "-m", "retrowalk", "run", "retro-intro", "--sim", "--yes"]
        argv += ["--plain", "--voice", "off", "--speedup", str(speedup)]
        child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
        log = _first_sample(folder / "sessions")
        time.sleep(rng.uniform(0.2, 1.5))
        killed_at = time.time()
        child.kill()
        child.wait()
        lines = [json.loads(x) for x in log.read_text().splitlines() if x.endswith("}")]
        anchor = [x for x in lines if x["kind"] == "sample"][-1]["recorder"]
        at_kill = anchor["wall_t"] + (killed_at - anchor["wall"]) * speedup
        lost.append(at_kill - read_log(log).samples[-1].t)
    print(f"3. SIGKILL at {kills} random moments (--speedup {speedup:g}): seconds lost")
    print(f"   median {statistics.median(lost):.2f} s, max {max(lost):.2f} s (target <= 1 s)")


def _first_sample(sessions: Path) -> Path:
    end = time.monotonic() + 60
    while time.monotonic() < end:
        for log in sessions.glob("*.jsonl"):
            if '"kind":"sample"' in log.read_text():
                return log
        time.sleep(0.02)
    raise SystemExit(f"no sample in {sessions}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=int, default=500, help="logs in the made-up history")
    parser.add_argument("--kills", type=int, default=0, help="SIGKILL measurements (0: none)")
    args = parser.parse_args()
    os.environ["RETROWALK_CONFIG"] = os.devnull
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        bench_size(scratch)
        bench_listing(scratch, args.logs)
        if args.kills:
            bench_kills(scratch, args.kills)


if __name__ == "__main__":
    main()
