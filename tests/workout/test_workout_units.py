"""Units: what a person writes becomes seconds, metres and km/h; bad text says what to write."""

from __future__ import annotations

import re

import pytest

from retrowalk.errors import WorkoutError
from retrowalk.units import (
    DURATION_RE,
    KMH_PER_MPH,
    format_distance,
    format_duration,
    format_speed,
    parse_distance,
    parse_duration,
    parse_incline,
    parse_speed,
    schema_pattern,
    speed_in,
    speed_unit,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5:00", 300),
        ("0:45", 45),
        ("1:02:03", 3723),
        ("90s", 90),
        ("5min", 300),
        ("1h", 3600),
        ("1h30min", 5400),
        ("1h 30min 15s", 5415),
        ("2.5min", 150),
        (" 12s ", 12),
        (15, 15),
        (7.5, 7.5),
    ],
)
def test_durations_in_every_documented_form(text: str | float, seconds: float) -> None:
    """Each documented duration form gives the right number of seconds (5:00 is five minutes)."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5m", "'5m' is 5 metres, not a duration; for minutes write 5min"),
        ("five", "'five' is not a duration; write m:ss, h:mm:ss, 90s, 5min, 1h or 1h30min"),
        ("5:60", "'5:60' is not a duration; write m:ss, h:mm:ss, 90s, 5min, 1h or 1h30min"),
        ("1:75:00", "'1:75:00': minutes must be 00-59 in h:mm:ss"),
        ("", "'' is not a duration; write m:ss, h:mm:ss, 90s, 5min, 1h or 1h30min"),
        (True, "expected a duration (m:ss, h:mm:ss, 90s, 5min, 1h or 1h30min), not True"),
        (-3, "duration must be a finite number of at least 0, not -3.0"),
    ],
)
def test_bad_durations_say_what_to_write(text: str | float, message: str) -> None:
    """A bad duration is refused with the forms that are allowed (and 5m hints at 5min)."""
    with pytest.raises(WorkoutError) as caught:
        parse_duration(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "metres"),
    [("400m", 400), ("1.2km", 1200), ("0.25mi", 402.336), ("50 m", 50)],
)
def test_distances(text: str, metres: float) -> None:
    """Distances in m, km and miles become metres."""
    assert parse_distance(text) == pytest.approx(metres)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5m", "'5m' is 5 m, shorter than the 50 m minimum; for 5 minutes write 5min"),
        ("0.01km", "'0.01km' is 10 m, shorter than the 50 m minimum"),
        ("400 yards", "'400 yards' is not a distance; write 400m, 1.2km or 0.25mi"),
    ],
)
def test_bad_distances(text: str, message: str) -> None:
    """A distance under 50 m is refused; `5m` is read as metres and hints at `5min`."""
    with pytest.raises(WorkoutError) as caught:
        parse_distance(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("value", "kmh"),
    [(4, 4.0), (2.5, 2.5), ("2.5 mph", 4.02336), ("4 km/h", 4.0), ("3kph", 3.0), ("3.5", 3.5)],
)
def test_speeds(value: str | float, kmh: float) -> None:
    """Speeds as numbers (km/h), mph and km/h text all become km/h."""
    assert parse_speed(value) == pytest.approx(kmh)


def test_bad_speed_names_the_forms() -> None:
    """A speed in an unknown unit is refused with the accepted forms."""
    with pytest.raises(WorkoutError) as caught:
        parse_speed("3 m/s")
    assert (
        str(caught.value)
        == '\'3 m/s\' is not a speed; write a number in km/h, "2.5 mph" or "4 km/h"'
    )


def test_inclines() -> None:
    """Inclines are numbers of percent, optionally written with a % sign."""
    assert parse_incline(5) == 5.0
    assert parse_incline("-2 %") == -2.0
    with pytest.raises(WorkoutError, match="'steep' is not an incline"):
        parse_incline("steep")


def test_formatting() -> None:
    """Durations print as m:ss or h:mm:ss and distances in m or km."""
    assert format_duration(65) == "1:05"
    assert format_duration(3723) == "1:02:03"
    assert format_duration(59.6) == "1:00"
    assert format_duration(0.5) == "0:01"  # halves round up, as a clock reads
    assert format_duration(-3) == "0:00"
    assert format_duration(None) == "--:--"
    assert format_duration(float("nan")) == "--:--"
    assert format_distance(850) == "850 m"
    assert format_distance(1250) == "1.25 km"


def test_imperial_formatting() -> None:
    """Speeds and distances read in mph, miles and feet for a person who asked for imperial."""
    assert format_speed(4.02336, "imperial") == "2.5 mph"
    assert format_speed(4.0) == "4.0 km/h"
    assert speed_in(KMH_PER_MPH, "imperial") == pytest.approx(1.0)
    assert speed_unit("imperial", spoken=True) == "miles per hour"
    assert format_distance(1609.344 * 1.25, "imperial") == "1.25 mi"
    assert format_distance(100.0, "imperial") == "328 ft"
    assert format_distance(1250.0) == "1.25 km"


@pytest.mark.parametrize(
    "text",
    [
        "1h" + " " * 200_000 + "x",
        " " * 200_000 + "5min" + " " * 200_000 + "x",
        "1" * 200_000 + "x",
        "9" * 5000 + ":00:00",
        "1:" + "0" * 5000 + ":00",
        "1" * 5000 + ":00",
    ],
    ids=["spaces", "padding", "digits", "huge-hours", "huge-minutes", "huge-clock"],
)
def test_hostile_durations_are_refused_cleanly(text: str) -> None:
    """Long or huge durations are a WorkoutError (linear matching, never int()'s digit limit)."""
    with pytest.raises(WorkoutError):
        parse_duration(text)


def test_the_schema_patterns_are_the_parsers_grammar() -> None:
    """The JSON Schema's duration pattern accepts exactly what the grammar of the parser does."""
    pattern = re.compile(schema_pattern(DURATION_RE))
    for text in ["5:00", "1:02:03", "90s", "1h 30min", " 12s ", "2.5min", "5m", "", "  ", "5"]:
        assert bool(pattern.fullmatch(text)) == bool(DURATION_RE.fullmatch(text)), text
