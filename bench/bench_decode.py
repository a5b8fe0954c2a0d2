"""Treadmill Data decode throughput: records per second on one core (target 200,000 typical/s).

Run: .venv/bin/python bench/bench_decode.py [--seconds S]
Prints one line per record shape: a full 34-byte record (every standard field), a typical
walking-pad record (17 bytes, speed/distance/energy/time/steps), a minimal speed-only record,
and the full record split over three 20-byte notifications and merged by the assembler.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from retrowalk.ftms.assembler import TreadmillDataAssembler
from retrowalk.ftms.models import TreadmillData
from retrowalk.ftms.treadmill_data import decode_treadmill_data, encode_treadmill_data
from retrowalk_sim.split import split_treadmill_data

if TYPE_CHECKING:
    from collections.abc import Callable

TARGET_PER_S = 200_000

FULL = TreadmillData(
    speed_kmh=5.25,
    average_speed_kmh=4.5,
    total_distance_m=7000,
    incline_pct=2.5,
    ramp_angle_deg=1.5,
    positive_elevation_gain_m=12.3,
    negative_elevation_gain_m=4.5,
    instantaneous_pace_km_min=0.1,
    average_pace_km_min=0.1,
    total_energy_kcal=320,
    energy_per_hour_kcal=400,
    energy_per_minute_kcal=7,
    heart_rate_bpm=128,
    metabolic_equivalent=4.2,
    elapsed_time_s=3600,
    remaining_time_s=600,
    force_on_belt_n=20,
    power_output_w=180,
)
TYPICAL = bytes.fromhex("84242c0131000002000000003d005b0000")  # CS-WP8 walking pad capture
MINIMAL = encode_treadmill_data(TreadmillData(speed_kmh=3.0))


def rate(call: Callable[[], object], seconds: float) -> float:
    """Return calls per second of `call`, best of three runs of about `seconds` / 3 each."""
    batch = 1000
    best = 0.0
    for _ in range(3):
        count = 0
        start = time.perf_counter()
        deadline = start + seconds / 3
        while True:
            for _ in range(batch):
                call()
            count += batch
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, count / (now - start))
    return best


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    seconds = parser.parse_args().seconds

    full = encode_treadmill_data(FULL)
    assert len(full) == 34, len(full)
    assert decode_treadmill_data(full) == FULL
    parts = split_treadmill_data(FULL)
    assembler = TreadmillDataAssembler()

    def merged() -> object:
        out = None
        for part in parts:
            out = assembler.feed(part, 0.0)
        return out

    assert merged() == FULL
    shapes: list[tuple[str, Callable[[], object]]] = [
        (f"full ({len(full)} bytes, every field)", lambda: decode_treadmill_data(full)),
        (f"typical ({len(TYPICAL)} bytes, walking pad)", lambda: decode_treadmill_data(TYPICAL)),
        (f"minimal ({len(MINIMAL)} bytes, speed only)", lambda: decode_treadmill_data(MINIMAL)),
        (f"full, {len(parts)} parts merged", merged),
        ("encode full", lambda: encode_treadmill_data(FULL)),
    ]
    print(f"Treadmill Data decode, one core, best of 3 x {seconds / 3:.1f} s")
    for name, call in shapes:
        per_s = rate(call, seconds)
        unit = "records/s" if "encode" not in name else "encodes/s"
        print(f"  {name:38s} {per_s:12,.0f} {unit}  ({1e6 / per_s:.2f} us each)")
    typical = rate(lambda: decode_treadmill_data(TYPICAL), seconds)
    verdict = "meets" if typical >= TARGET_PER_S else "MISSES"
    print(f"  target {TARGET_PER_S:,} typical records/s: {verdict} ({typical:,.0f})")


if __name__ == "__main__":
    main()
