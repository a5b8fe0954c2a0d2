"""Field value types of the workout format: raw YAML values parsed into domain units.

Each type is `Annotated[...]` with a before-validator that parses what a person writes (through
retrowalk.units) and a JSON Schema that describes it for editors. A bad value raises a
PydanticCustomError whose message is the exact text the person sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from retrowalk import units
from retrowalk.errors import WorkoutError
from retrowalk.workout.plan import SpeedTarget
from retrowalk.workout.source import clip

MIN_WALK_S, MAX_WALK_S = 10.0, 3 * 3600.0
MIN_REST_S, MAX_REST_S = 5.0, 3600.0
MIN_SPEED_KMH, MAX_SPEED_KMH = 0.5, 20.0
MIN_INCLINE_PCT, MAX_INCLINE_PCT = -10.0, 30.0
MAX_DISTANCE_M = 50_000.0
MAX_REPEAT = 100
MAX_COUNTDOWN_S = 15.0
MIN_WINDOW_S, MAX_WINDOW_S = 5.0, 60.0
MAX_SLOW_SPEED_KMH = 1.5

_DURATION_PATTERN = units.schema_pattern(units.DURATION_RE)
_DISTANCE_PATTERN = units.schema_pattern(units.DISTANCE_RE)
_SPEED_PATTERN = units.schema_pattern(units.SPEED_RE)
_SPEED_NUMBER = {"type": "number", "minimum": MIN_SPEED_KMH, "maximum": MAX_SPEED_KMH}
_SPEED_VALUE = {"anyOf": [_SPEED_NUMBER, {"type": "string", "pattern": _SPEED_PATTERN}]}


@dataclass(frozen=True)
class Extent:
    """How long a walking interval lasts: a duration (`seconds`) or a distance (`metres`)."""

    seconds: float | None = None
    metres: float | None = None


def fail(message: str) -> PydanticCustomError:
    """Return the validation error a person sees as exactly `message`."""
    # The message goes through the context so braces in it are never read as a template.
    return PydanticCustomError("workout", "{message}", {"message": clip(message)})


def _parsed(parse: Any, value: Any) -> Any:  # noqa: ANN401 - thin adapter over units.parse_*
    try:
        return parse(value)
    except WorkoutError as exc:
        raise fail(exc.message) from None


def _extent(value: Any) -> Extent:  # noqa: ANN401 - raw YAML value
    if isinstance(value, bool) or value is None or not isinstance(value, str | int | float):
        raise fail(
            f"expected a duration ({units.DURATION_FORMS}) or a distance "
            f"({units.DISTANCE_FORMS}), not {value!r}"
        )
    if not isinstance(value, str):
        raise fail(
            f"a bare number ({value!r}) is ambiguous; write a unit: 5:00, 5min, 90s "
            "(a duration) or 400m (a distance)"
        )
    if units.looks_like_distance(value):
        metres = _parsed(units.parse_distance, value)
        if metres > MAX_DISTANCE_M:
            raise fail(f"{value!r} is longer than the {MAX_DISTANCE_M / 1000:g} km maximum")
        return Extent(metres=metres)
    seconds = _parsed(units.parse_duration, value)
    if not MIN_WALK_S <= seconds <= MAX_WALK_S:
        raise fail(
            f"{value!r} is {units.format_duration(seconds)}; a walking interval lasts "
            f"{MIN_WALK_S:g} s to {units.format_duration(MAX_WALK_S)}"
        )
    return Extent(seconds=seconds)


def _rest(value: Any) -> float:  # noqa: ANN401 - raw YAML value
    if not isinstance(value, str):
        raise fail(f"a rest takes a duration with a unit ({units.DURATION_FORMS}), not {value!r}")
    seconds: float = _parsed(units.parse_duration, value)
    if not MIN_REST_S <= seconds <= MAX_REST_S:
        raise fail(
            f"{value!r} is {units.format_duration(seconds)}; a rest lasts "
            f"{MIN_REST_S:g} s to {units.format_duration(MAX_REST_S)}"
        )
    return seconds


def _seconds_between(low: float, high: float, what: str) -> Any:  # noqa: ANN401 - validator
    def parse(value: Any) -> float:  # noqa: ANN401 - raw YAML value
        if value is None or not isinstance(value, str | int | float):
            raise fail(f"expected {what} in seconds (5s, 0:05), not {value!r}")
        seconds: float = _parsed(units.parse_duration, value)
        if not low <= seconds <= high:
            raise fail(f"must be {low:g} to {high:g} s, not {seconds:g} s")
        return seconds

    return BeforeValidator(parse)


def _one_speed(value: Any) -> float:  # noqa: ANN401 - raw YAML value
    if value is None or not isinstance(value, str | int | float):
        raise fail(
            f"expected a speed ({units.SPEED_FORMS}) or {{from: 3.0, to: 4.0}}, not {value!r}"
        )
    kmh: float = _parsed(units.parse_speed, value)
    if not MIN_SPEED_KMH <= kmh <= MAX_SPEED_KMH:
        raise fail(f"speed must be {MIN_SPEED_KMH:g} to {MAX_SPEED_KMH:g} km/h, not {kmh:g} km/h")
    return kmh


def _speed(value: Any) -> SpeedTarget:  # noqa: ANN401 - raw YAML value
    if isinstance(value, dict):
        if set(value) != {"from", "to"}:
            raise fail("a speed ramp is written {from: 3.0, to: 4.0}")
        return SpeedTarget(_one_speed(value["from"]), _one_speed(value["to"]))
    kmh = _one_speed(value)
    return SpeedTarget(kmh, kmh)


def _incline(value: Any) -> float:  # noqa: ANN401 - raw YAML value
    if value is None or not isinstance(value, str | int | float):
        raise fail(f"expected an incline in % (a number such as 2 or -1.5), not {value!r}")
    pct: float = _parsed(units.parse_incline, value)
    if not MIN_INCLINE_PCT <= pct <= MAX_INCLINE_PCT:
        raise fail(f"incline must be {MIN_INCLINE_PCT:g} to {MAX_INCLINE_PCT:g} %, not {pct:g} %")
    return pct


def _count(value: Any) -> int:  # noqa: ANN401 - raw YAML value
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"repeat takes a whole number 1-{MAX_REPEAT}, not {value!r}")
    if not 1 <= value <= MAX_REPEAT:
        raise fail(f"repeat must be 1 to {MAX_REPEAT}, not {value}")
    return value


_DURATION_SCHEMA = {"type": "string", "pattern": _DURATION_PATTERN}
ExtentValue = Annotated[
    Extent,
    BeforeValidator(_extent),
    WithJsonSchema(
        {
            "type": "string",
            "anyOf": [{"pattern": _DURATION_PATTERN}, {"pattern": _DISTANCE_PATTERN}],
            "description": f"a duration ({units.DURATION_FORMS}) or a distance "
            f"({units.DISTANCE_FORMS}, at least 50 m)",
        }
    ),
]
RestValue = Annotated[
    float, BeforeValidator(_rest), WithJsonSchema({**_DURATION_SCHEMA, "description": "duration"})
]
SpeedValue = Annotated[
    SpeedTarget,
    BeforeValidator(_speed),
    WithJsonSchema(
        {
            "anyOf": [
                *_SPEED_VALUE["anyOf"],
                {
                    "type": "object",
                    "properties": {"from": _SPEED_VALUE, "to": _SPEED_VALUE},
                    "required": ["from", "to"],
                    "additionalProperties": False,
                },
            ],
            "description": 'km/h; or "2.5 mph", "4 km/h"; or a ramp {from: 3.0, to: 4.0}',
        }
    ),
]
InclineValue = Annotated[
    float,
    BeforeValidator(_incline),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": MIN_INCLINE_PCT, "maximum": MAX_INCLINE_PCT},
                {"type": "string", "pattern": units.schema_pattern(units.INCLINE_RE)},
            ],
            "description": "percent grade, default 0; negative only when walking forward",
        }
    ),
]
RepeatValue = Annotated[
    int,
    BeforeValidator(_count),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_REPEAT}),
]


def _seconds_schema(low: float, high: float) -> WithJsonSchema:
    number = {"type": "number", "minimum": low, "maximum": high}
    return WithJsonSchema({"anyOf": [number, _DURATION_SCHEMA], "description": "seconds"})


CountdownValue = Annotated[
    float, _seconds_between(0, MAX_COUNTDOWN_S, "countdown"), _seconds_schema(0, MAX_COUNTDOWN_S)
]
WindowValue = Annotated[
    float,
    _seconds_between(MIN_WINDOW_S, MAX_WINDOW_S, "the turn window"),
    _seconds_schema(MIN_WINDOW_S, MAX_WINDOW_S),
]
Text = Annotated[str, Field(min_length=1, max_length=500)]
