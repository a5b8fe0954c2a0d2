"""Treadmill Data decode throughput on one core, and its ratio to a plain per-field decoder.

Run: .venv/bin/python bench/bench_decode.py [--seconds S]
Prints one line per record shape: a full 34-byte record (every standard field), a typical
walking-pad record (17 bytes, speed/distance/energy/time/steps), a minimal speed-only record,
the full record split over two 20-byte notifications and merged by the assembler, and the
encoder. Then the full record through a reference decoder that reads field by field from the
same declarations (the way retrowalk's decoder worked before its readers were compiled), so
the speed-up is a ratio measured in the same run, whatever else the machine is doing.

Each figure is the best of many short batches (as `timeit` takes the minimum), the shapes
taking turns: on a shared machine the best batch is one that ran undisturbed, and a busy spell
falls on every shape alike. The load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import os
import struct
import time
from typing import TYPE_CHECKING, Any

from retrowalk.ftms._wire import STRUCT_CODES
from retrowalk.ftms.assembler import TreadmillDataAssembler
from retrowalk.ftms.models import TreadmillData
from retrowalk.ftms.treadmill_data import decode_treadmill_data, encode_treadmill_data
from retrowalk.ftms.treadmill_layout import layout
from retrowalk_sim.split import split_treadmill_data

if TYPE_CHECKING:
    from collections.abc import Callable

TARGET_TYPICAL_PER_S = 200_000
TARGET_RATIO = 2.0  # issue 15: at least 2x the per-field decoder on the full record
BATCH = 500

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


def reference_decoder() -> Callable[[bytes], TreadmillData]:
    """Return a per-field decoder of the same declarations: one struct, a loop over fields."""
    plans: dict[int, tuple[struct.Struct, tuple[tuple[str, int, bool, int, frozenset[int]], ...]]]
    plans = {}

    def decode(data: bytes) -> TreadmillData:
        flags = data[0] | data[1] << 8
        plan = plans.get(flags)
        if plan is None:
            fields = layout(flags).fields
            steps, index = [], 0
            for f in fields:
                wide = f.wire == "u24"
                steps.append((f.name, index, wide, f.divisor, f.not_available))
                index += 2 if wide else 1
            codes = "".join(STRUCT_CODES[f.wire] for f in fields)
            plan = plans[flags] = (struct.Struct("<" + codes), tuple(steps))
        packer, steps = plan
        raws = packer.unpack_from(data, 2)
        values: dict[str, Any] = {}
        for name, index, wide, divisor, not_available in steps:
            raw = raws[index] | (raws[index + 1] << 16 if wide else 0)
            if raw not in not_available:
                values[name] = raw if divisor == 1 else raw / divisor
        return TreadmillData.from_values(values)

    return decode


def rates(calls: list[Callable[[], object]], seconds: float) -> list[float]:
    """Return calls per second of each call: its best batch of BATCH calls.

    The calls take turns, one batch each, for `seconds` per call in all, so whatever else the
    machine does falls on all of them alike and the ratios hold.
    """
    best = [float("inf")] * len(calls)
    deadline = time.perf_counter() + seconds * len(calls)
    while time.perf_counter() < deadline:
        for index, call in enumerate(calls):
            start = time.perf_counter()
            for _ in range(BATCH):
                call()
            best[index] = min(best[index], time.perf_counter() - start)
    return [BATCH / b for b in best]


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    seconds = parser.parse_args().seconds

    full = encode_treadmill_data(FULL)
    assert len(full) == 34, len(full)
    assert decode_treadmill_data(full) == FULL
    reference = reference_decoder()
    assert reference(full) == FULL
    parts = split_treadmill_data(FULL)
    assembler = TreadmillDataAssembler()

    def merged() -> object:
        out = None
        for part in parts:
            out = assembler.feed(part, 0.0)
        return out

    assert merged() == FULL
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Treadmill Data decode, one core, best batch of {BATCH}, {seconds:.1f} s per shape")
    print(f"  load average (1, 5, 15 min) at start: {load} on {os.cpu_count()} cores")
    shapes: list[tuple[str, Callable[[], object]]] = [
        (f"full ({len(full)} bytes, every field)", lambda: decode_treadmill_data(full)),
        (f"typical ({len(TYPICAL)} bytes, walking pad)", lambda: decode_treadmill_data(TYPICAL)),
        (f"minimal ({len(MINIMAL)} bytes, speed only)", lambda: decode_treadmill_data(MINIMAL)),
        (f"full, {len(parts)} parts merged", merged),
        ("encode full", lambda: encode_treadmill_data(FULL)),
        ("full, per-field reference decoder", lambda: reference(full)),
    ]
    measured = rates([call for _, call in shapes], seconds)
    for (name, _), per_s in zip(shapes, measured, strict=True):
        unit = "records/s" if "encode" not in name else "encodes/s"
        print(f"  {name:38s} {per_s:12,.0f} {unit}  ({1e6 / per_s:.2f} us each)")
    typical = measured[1]
    ratio = measured[0] / measured[-1]
    verdict = "meets" if typical >= TARGET_TYPICAL_PER_S else "MISSES"
    print(f"  target {TARGET_TYPICAL_PER_S:,} typical records/s: {verdict} ({typical:,.0f})")
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(
        f"  target full record >= {TARGET_RATIO:g}x the per-field decoder: {verdict} ({ratio:.1f}x)"
    )
    print(f"  load average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
