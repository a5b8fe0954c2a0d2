"""The workout file format, version 1, as pydantic models (values parsed into domain units).

Field values are parsed by retrowalk.units (durations, distances, speeds) in before-validators,
so a model holds seconds, metres, km/h and %; `Workout.model_json_schema()` documents what a
person writes. Presence rules (exactly one direction key, speed only when walking, ...) live in
`structure_problems`, which reports every problem of a raw document with its field path.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from retrowalk import units
from retrowalk.errors import WorkoutError
from retrowalk.workout.plan import Direction, SpeedTarget, TurnMode, TurnSpec

PROFILE_NAMES = ("beginner", "standard", "advanced", "supervised")
KINDS = ("forward", "backward", "rest", "repeat")
MIN_WALK_S, MAX_WALK_S = 10.0, 3 * 3600.0
MIN_REST_S, MAX_REST_S = 5.0, 3600.0
MIN_SPEED_KMH, MAX_SPEED_KMH = 0.5, 20.0
MIN_INCLINE_PCT, MAX_INCLINE_PCT = -10.0, 30.0
MAX_DISTANCE_M = 50_000.0
MAX_REPEAT = 100
MAX_COUNTDOWN_S = 15.0
MIN_WINDOW_S, MAX_WINDOW_S = 5.0, 60.0
MAX_SLOW_SPEED_KMH = 1.5

_NUMBER_RE = r"\d+(\.\d+)?"
_DURATION_RE = (
    rf"^\s*(\d+:[0-5]\d(:[0-5]\d)?|({_NUMBER_RE}\s*h)?\s*({_NUMBER_RE}\s*min)?\s*"
    rf"({_NUMBER_RE}\s*s)?)\s*$"
)
_DISTANCE_RE = r"^\s*\d+(\.\d+)?\s*(m|km|mi)\s*$"
_SPEED_RE = r"^\s*\d+(\.\d+)?\s*(mph|km/h|kmh|kph)?\s*$"
_SPEED_NUMBER = {"type": "number", "minimum": MIN_SPEED_KMH, "maximum": MAX_SPEED_KMH}
_SPEED_VALUE = {"anyOf": [_SPEED_NUMBER, {"type": "string", "pattern": _SPEED_RE}]}


@dataclass(frozen=True)
class Extent:
    """How long a walking interval lasts: a duration (`seconds`) or a distance (`metres`)."""

    seconds: float | None = None
    metres: float | None = None


def _fail(message: str) -> PydanticCustomError:
    # The message goes through the context so braces in it are never read as a template.
    return PydanticCustomError("workout", "{message}", {"message": message})


def _parsed(parse: Any, value: Any) -> Any:  # noqa: ANN401 - thin adapter over units.parse_*
    try:
        return parse(value)
    except WorkoutError as exc:
        raise _fail(exc.message) from None


def _extent(value: Any) -> Extent:  # noqa: ANN401 - raw YAML value
    if isinstance(value, bool) or value is None or not isinstance(value, str | int | float):
        raise _fail(
            f"expected a duration ({units.DURATION_FORMS}) or a distance "
            f"({units.DISTANCE_FORMS}), not {value!r}"
        )
    if not isinstance(value, str):
        raise _fail(
            f"a bare number ({value!r}) is ambiguous; write a unit: 5:00, 5min, 90s "
            "(a duration) or 400m (a distance)"
        )
    if units.looks_like_distance(value):
        metres = _parsed(units.parse_distance, value)
        if metres > MAX_DISTANCE_M:
            raise _fail(f"{value!r} is longer than the {MAX_DISTANCE_M / 1000:g} km maximum")
        return Extent(metres=metres)
    seconds = _parsed(units.parse_duration, value)
    if not MIN_WALK_S <= seconds <= MAX_WALK_S:
        raise _fail(
            f"{value!r} is {units.format_duration(seconds)}; a walking interval lasts "
            f"{MIN_WALK_S:g} s to {units.format_duration(MAX_WALK_S)}"
        )
    return Extent(seconds=seconds)


def _rest(value: Any) -> float:  # noqa: ANN401 - raw YAML value
    if not isinstance(value, str):
        raise _fail(f"a rest takes a duration with a unit ({units.DURATION_FORMS}), not {value!r}")
    seconds: float = _parsed(units.parse_duration, value)
    if not MIN_REST_S <= seconds <= MAX_REST_S:
        raise _fail(
            f"{value!r} is {units.format_duration(seconds)}; a rest lasts "
            f"{MIN_REST_S:g} s to {units.format_duration(MAX_REST_S)}"
        )
    return seconds


def _seconds_between(low: float, high: float, what: str) -> Any:  # noqa: ANN401 - validator
    def parse(value: Any) -> float:  # noqa: ANN401 - raw YAML value
        if value is None or not isinstance(value, str | int | float):
            raise _fail(f"expected {what} in seconds (5s, 0:05), not {value!r}")
        seconds: float = _parsed(units.parse_duration, value)
        if not low <= seconds <= high:
            raise _fail(f"must be {low:g} to {high:g} s, not {seconds:g} s")
        return seconds

    return BeforeValidator(parse)


def _one_speed(value: Any) -> float:  # noqa: ANN401 - raw YAML value
    if value is None or not isinstance(value, str | int | float):
        raise _fail(
            f"expected a speed ({units.SPEED_FORMS}) or {{from: 3.0, to: 4.0}}, not {value!r}"
        )
    kmh: float = _parsed(units.parse_speed, value)
    if not MIN_SPEED_KMH <= kmh <= MAX_SPEED_KMH:
        raise _fail(f"speed must be {MIN_SPEED_KMH:g} to {MAX_SPEED_KMH:g} km/h, not {kmh:g} km/h")
    return kmh


def _speed(value: Any) -> SpeedTarget:  # noqa: ANN401 - raw YAML value
    if isinstance(value, dict):
        if set(value) != {"from", "to"}:
            raise _fail("a speed ramp is written {from: 3.0, to: 4.0}")
        return SpeedTarget(_one_speed(value["from"]), _one_speed(value["to"]))
    kmh = _one_speed(value)
    return SpeedTarget(kmh, kmh)


def _incline(value: Any) -> float:  # noqa: ANN401 - raw YAML value
    if value is None or not isinstance(value, str | int | float):
        raise _fail(f"expected an incline in % (a number such as 2 or -1.5), not {value!r}")
    pct: float = _parsed(units.parse_incline, value)
    if not MIN_INCLINE_PCT <= pct <= MAX_INCLINE_PCT:
        raise _fail(f"incline must be {MIN_INCLINE_PCT:g} to {MAX_INCLINE_PCT:g} %, not {pct:g} %")
    return pct


def _count(value: Any) -> int:  # noqa: ANN401 - raw YAML value
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"repeat takes a whole number 1-{MAX_REPEAT}, not {value!r}")
    if not 1 <= value <= MAX_REPEAT:
        raise _fail(f"repeat must be 1 to {MAX_REPEAT}, not {value}")
    return value


_DURATION_SCHEMA = {"type": "string", "pattern": _DURATION_RE}
ExtentValue = Annotated[
    Extent,
    BeforeValidator(_extent),
    WithJsonSchema(
        {
            "type": "string",
            "anyOf": [{"pattern": _DURATION_RE}, {"pattern": _DISTANCE_RE}],
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
                {"type": "string", "pattern": r"^\s*-?\d+(\.\d+)?\s*%?\s*$"},
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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TurnConfig(_Strict):
    """How a direction change is done; on the workout (defaults) or on one interval (override)."""

    mode: TurnMode | None = Field(None, description="stop (default) or slow")
    window: WindowValue | None = Field(None, description="time to turn around, 5-60 s")
    confirm: bool | None = Field(None, description="wait for the person's confirmation")
    slow_speed: Annotated[float, Field(gt=0, le=MAX_SLOW_SPEED_KMH)] | None = Field(
        None, description="turn speed in km/h for mode slow, at most 1.5"
    )

    @model_validator(mode="after")
    def _slow_speed_needs_slow_mode(self) -> TurnConfig:
        if self.slow_speed is not None and self.mode is TurnMode.STOP:
            raise _fail("slow_speed applies only to mode: slow")
        return self

    def apply_to(self, base: TurnSpec) -> TurnSpec:
        """Return `base` with the fields this config sets."""
        return TurnSpec(
            mode=self.mode if self.mode is not None else base.mode,
            window_s=self.window if self.window is not None else base.window_s,
            confirm=self.confirm if self.confirm is not None else base.confirm,
            slow_speed_kmh=self.slow_speed if self.slow_speed is not None else base.slow_speed_kmh,
        )


def _only(
    kind: str, *, extra: tuple[str, ...] = (), absent: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Return the JSON Schema branch for one interval kind."""
    others = [k for k in (*KINDS, *absent) if k != kind]
    properties: dict[str, Any] = dict.fromkeys(others, False)
    if kind == "backward":  # no backward downhill
        properties["incline"] = {"not": {"type": "number", "exclusiveMaximum": 0}}
    return {"required": [kind, *extra], "properties": properties}


class Interval(_Strict):
    """One entry of `intervals`: forward, backward, rest, or a repeat of nested intervals."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                _only("forward", extra=("speed",), absent=("intervals",)),
                _only("backward", extra=("speed",), absent=("intervals",)),
                _only("rest", absent=("intervals", "speed", "incline", "turn")),
                _only("repeat", extra=("intervals",), absent=("speed", "incline", "turn", "cue")),
            ]
        }
    )

    forward: ExtentValue | None = Field(None, description="walk facing forward for this long")
    backward: ExtentValue | None = Field(None, description="walk backward for this long")
    rest: RestValue | None = Field(None, description="belt paused for this long")
    repeat: RepeatValue | None = Field(None, description="repeat `intervals` this many times")
    intervals: list[Interval] | None = Field(None, min_length=1)
    speed: SpeedValue | None = None
    incline: InclineValue | None = None
    label: Text | None = None
    cue: Text | None = Field(None, description="spoken when the interval starts")
    turn: TurnConfig | None = Field(None, description="override of the workout's turn")

    @field_validator("incline")
    @classmethod
    def _no_backward_downhill(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and value < 0 and info.data.get("backward") is not None:
            raise _fail(
                f"backward walking downhill ({value:g} %) is not allowed; "
                "use 0 % or more when walking backward"
            )
        return value

    @model_validator(mode="after")
    def _structure(self) -> Interval:
        problems = interval_problems(self.model_fields_set)
        if problems:  # the loader reports these itself, each at its own key
            raise PydanticCustomError("structure", "{message}", {"message": problems[0][1]})
        return self

    @property
    def direction(self) -> Direction | None:
        """Return the walking direction or REST; None for a repeat."""
        if self.forward is not None:
            return Direction.FORWARD
        if self.backward is not None:
            return Direction.BACKWARD
        if self.rest is not None:
            return Direction.REST
        return None

    @property
    def extent(self) -> Extent:
        """Return how long the interval lasts (a rest as seconds)."""
        if self.rest is not None:
            return Extent(seconds=self.rest)
        return self.forward or self.backward or Extent()


class Workout(_Strict):
    """A workout file, format version 1."""

    model_config = ConfigDict(
        title="retrowalk workout",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    version: Literal[1] = Field(1, description="format version")
    name: Text
    description: Text | None = None
    evidence: list[Text] = Field(default_factory=list, description="sources the workout rests on")
    profile: Literal["beginner", "standard", "advanced", "supervised"] = Field(
        "standard", description="the least safety profile this workout needs"
    )
    countdown: CountdownValue = Field(5.0, description="spoken lead before every change, 0-15 s")
    turn: TurnConfig = Field(default_factory=TurnConfig)
    intervals: list[Interval] = Field(min_length=1)

    _source: str = PrivateAttr(default="<workout>")
    _locations: Any = PrivateAttr(default=None)

    @property
    def source(self) -> str:
        """Return the file the workout was read from (or a placeholder)."""
        return self._source

    def turn_spec(self) -> TurnSpec:
        """Return the workout's default turn."""
        return self.turn.apply_to(TurnSpec())


def allowed_keys(path: str) -> tuple[str, ...]:
    """Return the keys allowed in the mapping at `path` (workout, interval, turn or speed)."""
    if path == "":
        return tuple(Workout.model_fields)
    if path.endswith("]"):
        return tuple(Interval.model_fields)
    if path.endswith("turn"):
        return tuple(TurnConfig.model_fields)
    if path.endswith("speed"):
        return ("from", "to")
    return ()


def unknown_key_message(key: str, allowed: tuple[str, ...]) -> str:
    """Return the message for an unknown key, with a "did you mean" suggestion when close."""
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key {key!r}; did you mean {close[0]!r}?"
    return f"unknown key {key!r}; allowed here: {', '.join(allowed)}"


def interval_problems(keys: set[str] | Any) -> list[tuple[str, str]]:  # noqa: ANN401 - keys view
    """Return (key or "", message) for each presence rule an interval with `keys` breaks."""
    keys = set(keys)
    kinds = [k for k in KINDS if k in keys]
    if not kinds:
        return [("", "an interval needs exactly one of forward, backward, rest or repeat")]
    if len(kinds) > 1:
        return [
            (
                "",
                (
                    f"{' and '.join(kinds)} in one interval; use exactly one of "
                    "forward, backward, rest or repeat"
                ),
            )
        ]
    kind = kinds[0]
    problems: list[tuple[str, str]] = []
    if kind in {"forward", "backward"}:
        if "speed" not in keys:
            problems.append(("speed", f"required for {kind} walking (km/h, e.g. speed: 3.0)"))
        if "intervals" in keys:
            problems.append(("intervals", "nested intervals belong under a repeat"))
    elif kind == "rest":
        problems.extend(
            (key, f"a rest has no {key}: the belt is paused")
            for key in ("speed", "incline", "turn")
            if key in keys
        )
        if "intervals" in keys:
            problems.append(("intervals", "nested intervals belong under a repeat"))
    else:
        if "intervals" not in keys:
            problems.append(("intervals", "required: the intervals to repeat"))
        problems.extend(
            (key, f"{key} belongs to the intervals inside the repeat")
            for key in ("speed", "incline", "turn", "cue")
            if key in keys
        )
    return problems


def workout_json_schema() -> dict[str, Any]:
    """Return the JSON Schema (2020-12) of a workout file, as editors use it."""
    schema = Workout.model_json_schema(mode="validation")
    _drop_nulls(schema)
    schema["$id"] = "https://retrowalk.invalid/schema/workout-v1.json"
    return schema


def _drop_nulls(node: Any) -> None:  # noqa: ANN401 - JSON data
    """Remove `null` alternatives and `default: null`: an empty key is not allowed in a file."""
    if isinstance(node, dict):
        options = node.get("anyOf")
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del node["anyOf"]
            if len(rest) == 1 and isinstance(rest[0], dict):
                node.update({k: v for k, v in rest[0].items() if k not in node})
            else:
                node["anyOf"] = rest
            if node.get("default", 0) is None:
                del node["default"]
        for value in node.values():
            _drop_nulls(value)
    elif isinstance(node, list):
        for value in node:
            _drop_nulls(value)
