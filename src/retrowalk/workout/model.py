"""The workout file format, version 1, as pydantic models (values parsed into domain units).

Field values are parsed by the types of retrowalk.workout.fields, so a model holds seconds,
metres, km/h and %; `workout_json_schema()` documents what a person writes. Presence rules
(exactly one direction key, speed only when walking, ...) live in `interval_problems`, which the
loader applies to every interval of the raw document, each problem at its own key.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from retrowalk.errors import SourceLocation
from retrowalk.workout.fields import (
    MAX_SLOW_SPEED_KMH,
    CountdownValue,
    Extent,
    ExtentValue,
    InclineValue,
    RepeatValue,
    RestValue,
    SpeedValue,
    Text,
    WindowValue,
    fail,
)
from retrowalk.workout.plan import Direction, TurnMode, TurnSpec
from retrowalk.workout.source import SourceTree

SOURCE_CONTEXT = "source"  # validation context key: the SourceTree a workout was read from
PROFILE_NAMES = ("beginner", "standard", "advanced", "supervised")
KINDS = ("forward", "backward", "rest", "repeat")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _not_empty(cls, value: object, info: ValidationInfo) -> object:
        """Refuse `key:` with nothing after it (YAML null); an optional key is left out instead."""
        if value is None:
            field = cls.model_fields[info.field_name] if info.field_name else None
            optional = field is not None and not field.is_required()
            raise fail("has no value; give one" + (" or leave the key out" if optional else ""))
        return value


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
            raise fail("slow_speed applies only to mode: slow")
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
            raise fail(
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

    _tree: SourceTree | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _remember_the_file(self, info: ValidationInfo) -> Workout:
        """Keep the source tree the loader passes as context, for `source` and `locate`."""
        tree = info.context.get(SOURCE_CONTEXT) if isinstance(info.context, dict) else None
        if isinstance(tree, SourceTree):
            self._tree = tree
        return self

    @property
    def source(self) -> str:
        """Return the file the workout was read from (or a placeholder)."""
        return self._tree.file if self._tree is not None else "<workout>"

    def locate(self, path: str, *, key: bool = False) -> SourceLocation:
        """Return where `path` (e.g. "intervals[2].speed") is in the file, its key when `key`.

        A path the file does not spell out gets its nearest written parent's line and column;
        a workout not read from a file has neither.
        """
        if self._tree is None:
            return SourceLocation(self.source, None, None, path)
        return self._tree.locate(path, key=key)

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


@lru_cache(maxsize=256)  # a broken file repeats its typo; difflib is the loader's costliest step
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
