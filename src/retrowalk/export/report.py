"""The report chart of a session: target and actual speed, incline and heart rate over time.

Backward parts are shaded, turn windows lightly, holds and pauses marked; the title holds the
totals. Drawn with matplotlib's object API (a Figure, no pyplot, no global backend), which is
an optional extra: `pip install 'retrowalk[plot]'`.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from retrowalk.errors import ConfigError
from retrowalk.export.activity import KMH_PER_MPS
from retrowalk.units import format_distance, format_duration, speed_in, speed_unit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from retrowalk.export.activity import Activity
    from retrowalk.units import UnitSystem

FORMATS = ("png", "svg")
MISSING = "the report needs matplotlib, an optional extra: pip install 'retrowalk[plot]'"
BACKWARD_COLOUR = "#c2185b"  # magenta, as the screen's BACKWARD bar
FORWARD_COLOUR = "#2e7d32"
HOLD_COLOUR = "#d32f2f"
PAUSE_COLOUR = "#f57c00"


def chart(activity: Activity, fmt: str, *, units: UnitSystem = "metric") -> bytes:
    """Return the chart of `activity` as PNG or SVG bytes; ConfigError without matplotlib."""
    try:
        from matplotlib import rc_context  # noqa: PLC0415 - an optional extra, 0.3 s to load
        from matplotlib.figure import Figure  # noqa: PLC0415
    except ImportError:
        raise ConfigError(MISSING) from None
    figure = Figure(figsize=(11, 7.5), dpi=100, layout="constrained")
    speed, incline, heart = figure.subplots(3, 1, sharex=True, height_ratios=(3, 1.5, 2))
    start = activity.laps[0].lap.start_t if activity.laps else 0.0
    minutes = [(p.t - start) / 60 for p in activity.points]
    unit = speed_unit(units)

    def shown(kmh: float | None) -> float | None:
        return None if kmh is None else speed_in(kmh, units)

    speed.plot(
        minutes,
        [shown(p.target_speed_kmh) for p in activity.points],
        color="#555555",
        linestyle="--",
        linewidth=1.2,
        label="target",
    )
    actual = [
        None if p.speed_mps is None else shown(p.speed_mps * KMH_PER_MPS) for p in activity.points
    ]
    speed.plot(minutes, actual, color=FORWARD_COLOUR, linewidth=1.6, label="belt")
    speed.set_ylabel(f"speed ({unit})")
    incline.plot(
        minutes,
        [p.target_incline_pct for p in activity.points],
        color="#555555",
        linestyle="--",
        linewidth=1.2,
        label="target",
    )
    incline.plot(minutes, [p.incline_pct for p in activity.points], color="#1565c0", linewidth=1.6)
    incline.set_ylabel("incline (%)")
    inclines = [
        v for p in activity.points for v in (p.incline_pct, p.target_incline_pct) if v is not None
    ]
    incline.set_ylim(min([0.0, *inclines]) - 0.5, max([1.0, *inclines]) + 1.0)
    rates = [p.heart_rate_bpm for p in activity.points]
    if any(r is not None for r in rates):
        heart.plot(minutes, rates, color=HOLD_COLOUR, linewidth=1.4)
    else:
        heart.text(0.5, 0.5, "no heart-rate strap", transform=heart.transAxes, ha="center")
        heart.set_yticks([])
    heart.set_ylabel("heart rate (bpm)")
    heart.set_xlabel("minutes")
    for axes in (speed, incline, heart):
        _shade(axes, activity, start)
        axes.grid(visible=True, alpha=0.3)
    _legend(speed, activity)
    figure.suptitle(_title(activity, units), fontsize=12)
    out = io.BytesIO()
    with rc_context({"svg.hashsalt": "retrowalk"}):  # ids that do not change from run to run
        figure.savefig(out, format=fmt, metadata=_metadata(fmt))
    return out.getvalue()


def _shade(axes: Axes, activity: Activity, start: float) -> None:
    for lap in activity.laps:
        begin, end = (lap.lap.start_t - start) / 60, (lap.lap.end_t - start) / 60
        if lap.lap.turn:
            axes.axvspan(begin, end, color="#9e9e9e", alpha=0.15, linewidth=0)
        elif lap.lap.direction == "backward":
            axes.axvspan(begin, end, color=BACKWARD_COLOUR, alpha=0.18, linewidth=0)
    for pause in activity.pauses:
        colour = HOLD_COLOUR if pause.kind == "hold" else PAUSE_COLOUR
        begin, end = (pause.start_t - start) / 60, (pause.end_t - start) / 60
        axes.axvline(begin, color=colour, linewidth=1.5)
        axes.axvspan(begin, max(end, begin), color=colour, alpha=0.12, linewidth=0, hatch="//")


def _legend(axes: Axes, activity: Activity) -> None:
    from matplotlib.patches import Patch  # noqa: PLC0415 - with the figure

    handles, labels = axes.get_legend_handles_labels()
    handles.append(Patch(color=BACKWARD_COLOUR, alpha=0.3))
    labels.append("backward")
    handles.append(Patch(color="#9e9e9e", alpha=0.3))
    labels.append("turn-around")
    for kind, colour in (("hold", HOLD_COLOUR), ("pause", PAUSE_COLOUR)):
        causes = sorted({p.cause or kind for p in activity.pauses if p.kind == kind})
        if causes:
            handles.append(Patch(color=colour, alpha=0.4))
            names = ", ".join(c.replace("_", " ") for c in causes)
            labels.append(f"HOLD ({names})" if kind == "hold" else "paused")
    axes.legend(
        handles, labels, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=len(labels),
        fontsize=8, frameon=False,
    )  # fmt: skip


def _title(activity: Activity, units: UnitSystem) -> str:
    when = activity.start.astimezone(activity.zone).strftime("%Y-%m-%d %H:%M")
    parts = [
        f"{activity.workout} - {when}",
        format_duration(activity.elapsed_s),
        format_distance(activity.distance_m, units),
        f"{activity.energy_kcal:.0f} kcal",
        f"{format_duration(activity.backward_s)} backward",
        activity.ended,
    ]
    if activity.simulated:
        parts.append("simulated treadmill")
    return " | ".join(parts)


def _metadata(fmt: str) -> dict[str, str | None]:
    # No creation date: the same session draws the same file (the README's picture).
    if fmt == "svg":
        return {"Date": None, "Creator": "retrowalk"}
    return {"Software": "retrowalk"}
