"""Units, parsed and formatted once: durations (s), distances (m), speeds (km/h), inclines (%).

Parsers take what a person writes in a workout file and return domain units; bad text raises a
WorkoutError (without a location: the caller knows the file and field) saying what is allowed.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from retrowalk.errors import WorkoutError

KMH_PER_MPH = 1.609344
METRES_PER_MILE = 1609.344
FEET_PER_METRE = 3.28084

UnitSystem = Literal["metric", "imperial"]  # what the person reads and hears; km/h inside
UNIT_SYSTEMS: tuple[UnitSystem, ...] = ("metric", "imperial")
UNITS_HELP = "km/h and metres, or mph and miles (default: units in config.toml, else the locale)"
MIN_DISTANCE_M = 50.0
# The one plausible range of a body mass, wherever one is taken (--weight, weight_kg, the plan).
MIN_BODY_MASS_KG, MAX_BODY_MASS_KG = 20.0, 300.0

_NUMBER = r"\d+(?:\.\d+)?"
# The one grammar of each kind of value. The parsers read the named groups; the JSON Schema of
# the workout format uses the same expressions (`schema_pattern`), so an editor and the loader
# accept exactly the same text.
DURATION_RE = re.compile(
    r"\s*(?:(?:(?P<clock_h>\d+):)?(?P<clock_m>\d+):(?P<clock_s>[0-5]\d)"  # m:ss, h:mm:ss
    # 1h30min, 5min, 90s: each part owns the space before it (so matching stays linear in the
    # length of the text), and the lookahead refuses an empty text.
    rf"|(?=\d)(?:(?P<h>{_NUMBER})\s*h)?(?:\s*(?P<min>{_NUMBER})\s*min)?"
    rf"(?:\s*(?P<s>{_NUMBER})\s*s)?)\s*"
)
DISTANCE_RE = re.compile(rf"\s*(?P<n>{_NUMBER})\s*(?P<unit>km|mi|m)\s*")
SPEED_RE = re.compile(rf"\s*(?P<n>{_NUMBER})\s*(?P<unit>mph|km/h|kmh|kph)?\s*")
INCLINE_RE = re.compile(rf"\s*(?P<n>-?{_NUMBER})\s*%?\s*")

DURATION_FORMS = "m:ss, h:mm:ss, 90s, 5min, 1h or 1h30min"
DISTANCE_FORMS = "400m, 1.2km or 0.25mi"
UNKNOWN_DURATION = "--:--"
SPEED_FORMS = 'a number in km/h, "2.5 mph" or "4 km/h"'


def parse_duration(value: str | float) -> float:
    """Return seconds for `5:00`, `1:02:03`, `90s`, `5min`, `1h`, `1h30min`; numbers are seconds."""
    if isinstance(value, bool):
        raise WorkoutError(f"expected a duration ({DURATION_FORMS}), not {value!r}")
    if isinstance(value, int | float):
        return _finite_non_negative(float(value), "duration")
    text = value.strip()
    match = DURATION_RE.fullmatch(text)
    if match and match["clock_m"] is not None:
        # Lengths first: a hostile 5,000-digit field never reaches int()'s digit limit.
        hours, minutes = match["clock_h"], match["clock_m"]
        if hours is None and len(minutes) > 3:
            raise WorkoutError(f"{text!r} has too many minutes; write h:mm:ss")
        if hours is not None and len(hours) > 3:
            raise WorkoutError(f"{text!r} has too many hours")
        if hours is not None and (len(minutes) > 2 or int(minutes) > 59):
            raise WorkoutError(f"{text!r}: minutes must be 00-59 in h:mm:ss")
        return float(int(hours or 0) * 3600 + int(minutes) * 60 + int(match["clock_s"]))
    if match:
        return (
            float(match["h"] or 0) * 3600 + float(match["min"] or 0) * 60 + float(match["s"] or 0)
        )
    distance = DISTANCE_RE.fullmatch(text)
    if distance and distance["unit"] == "m":
        raise WorkoutError(
            f"{text!r} is {distance['n']} metres, not a duration; "
            f"for minutes write {distance['n']}min"
        )
    raise WorkoutError(f"{text!r} is not a duration; write {DURATION_FORMS}")


def parse_distance(value: str) -> float:
    """Return metres for `400m`, `1.2km`, `0.25mi`; refuse less than 50 m (a `5m` meant 5min)."""
    text = str(value).strip()
    match = DISTANCE_RE.fullmatch(text)
    if not match:
        raise WorkoutError(f"{text!r} is not a distance; write {DISTANCE_FORMS}")
    number = float(match["n"])
    metres = number * {"m": 1.0, "km": 1000.0, "mi": METRES_PER_MILE}[match["unit"]]
    if metres < MIN_DISTANCE_M:
        hint = f"; for {match['n']} minutes write {match['n']}min" if match["unit"] == "m" else ""
        raise WorkoutError(
            f"{text!r} is {format_distance(metres)}, shorter than the "
            f"{MIN_DISTANCE_M:g} m minimum{hint}"
        )
    return metres


def looks_like_distance(text: str) -> bool:
    """Return whether `text` is written as a distance (number and m, km or mi)."""
    return DISTANCE_RE.fullmatch(text) is not None


def parse_speed(value: str | float) -> float:
    """Return km/h for a number (km/h), `"2.5 mph"`, `"4 km/h"`."""
    if isinstance(value, bool):
        raise WorkoutError(f"expected a speed ({SPEED_FORMS}), not {value!r}")
    if isinstance(value, int | float):
        return _finite_non_negative(float(value), "speed")
    text = value.strip()
    match = SPEED_RE.fullmatch(text)
    if not match:
        raise WorkoutError(f"{text!r} is not a speed; write {SPEED_FORMS}")
    number = float(match["n"])
    return number * KMH_PER_MPH if match["unit"] == "mph" else number


def parse_incline(value: str | float) -> float:
    """Return percent grade for a number or text like `"5 %"` / `"-2%"`."""
    if isinstance(value, bool):
        raise WorkoutError(f"expected an incline in % (a number), not {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise WorkoutError(f"incline must be a finite number, not {value!r}")
        return float(value)
    match = INCLINE_RE.fullmatch(value)
    if not match:
        raise WorkoutError(f"{value.strip()!r} is not an incline; write a number of percent")
    return float(match["n"])


def format_duration(seconds: float | None) -> str:
    """Return `m:ss` (under an hour) or `h:mm:ss` to the nearest second; `--:--` when unknown.

    The one clock format of retrowalk (plans, the screen, the console, the voice's logs):
    halves round up, a negative time reads 0:00, None or a non-finite number reads `--:--`.
    """
    if seconds is None or not math.isfinite(seconds):
        return UNKNOWN_DURATION
    total = max(0, math.floor(seconds + 0.5))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def schema_pattern(grammar: re.Pattern[str]) -> str:
    """Return `grammar` as a JSON Schema (ECMA-262) pattern: anchored, groups unnamed."""
    return "^" + re.sub(r"\(\?P<\w+>", "(", grammar.pattern) + "$"


def format_distance(metres: float, units: UnitSystem = "metric") -> str:
    """Return `850 m` / `1.25 km`, or in imperial `930 ft` (under a tenth of a mile) / `1.25 mi`."""
    if units == "imperial":
        miles = metres / METRES_PER_MILE
        return f"{metres * FEET_PER_METRE:.0f} ft" if miles < 0.1 else f"{miles:.2f} mi"
    if metres < 1000:
        return f"{metres:.0f} m"
    return f"{metres / 1000:.2f} km"


def speed_in(kmh: float, units: UnitSystem) -> float:
    """Return `kmh` in the unit people of `units` read: km/h, or mph."""
    return kmh / KMH_PER_MPH if units == "imperial" else kmh


def speed_unit(units: UnitSystem, *, spoken: bool = False) -> str:
    """Return "km/h" or "mph" (spoken: "kilometres per hour" or "miles per hour")."""
    if units == "imperial":
        return "miles per hour" if spoken else "mph"
    return "kilometres per hour" if spoken else "km/h"


def format_speed(kmh: float, units: UnitSystem = "metric") -> str:
    """Return `2.5 km/h`, or in imperial `1.6 mph`."""
    return f"{speed_in(kmh, units):.1f} {speed_unit(units)}"


def _finite_non_negative(number: float, what: str) -> float:
    if not math.isfinite(number) or number < 0:
        raise WorkoutError(f"{what} must be a finite number of at least 0, not {number!r}")
    return number
