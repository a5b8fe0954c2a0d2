"""CSV exports: one row per 1 Hz sample, for spreadsheets."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from retrowalk.export.activity import KMH_PER_MPS

if TYPE_CHECKING:
    from retrowalk.export.activity import Activity

COLUMNS = (
    "time_utc", "elapsed_s", "lap", "lap_name", "direction", "state", "target_speed_kmh",
    "speed_kmh", "target_incline_pct", "incline_pct", "distance_m", "heart_rate_bpm",
    "energy_kcal", "simulated",
)  # fmt: skip


def csv_bytes(activity: Activity) -> bytes:
    """Return the CSV of `activity`: a header row, then one row per sample (UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    start_t = activity.laps[0].lap.start_t if activity.laps else 0.0
    names = {lap.lap.index: lap.lap.name for lap in activity.laps}
    simulated = {True: "yes", False: "no", None: ""}[activity.simulated]
    for p in activity.points:
        speed = None if p.speed_mps is None else p.speed_mps * KMH_PER_MPS
        # fmt: off
        row = (
            p.time.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            _cell(p.t - start_t), p.lap + 1, names.get(p.lap, ""), p.walking, p.state or "",
            _cell(p.target_speed_kmh), _cell(speed), _cell(p.target_incline_pct),
            _cell(p.incline_pct), _cell(p.distance_m), _cell(p.heart_rate_bpm),
            _cell(p.energy_kcal), simulated,
        )
        # fmt: on
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"
