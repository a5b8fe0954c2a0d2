"""The sample delta code: what the recorder writes reads back as the snapshot, rounded."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from retrowalk.history import logformat as fmt

_FIELDS = ("speed", "distance", "state", "count", "label")
_values = {
    "speed": st.one_of(
        st.none(),
        st.sampled_from([1.0, 1.0004, 1.0006, math.nan, math.inf]),
        st.floats(0, 20, allow_nan=False),
    ),
    "distance": st.sampled_from([0.0, 0.0001, 10.0, 10.00049, 10.2]),
    "state": st.sampled_from(["running", "hold", "turning"]),
    "count": st.sampled_from([0, 1, 2]),
    "label": st.one_of(st.none(), st.sampled_from(["walk", "back"]), st.just(["not", "scalar"])),
}
_step = st.tuples(
    st.fixed_dictionaries({name: _values[name] for name in _FIELDS}),
    st.floats(0.5, 40),  # seconds to the next sample
    st.booleans(),  # whether a gap (restart) comes before it
)


def _json_form(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: "|".join(v) if isinstance(v, list) else v for k, v in raw.items()}


@settings(max_examples=200, deadline=None)
@given(st.lists(_step, min_size=1, max_size=40))
def test_every_line_reads_back_as_the_rounded_snapshot(steps: list[Any]) -> None:
    """Deltas carry only what changed once rounded; a reader gets every sample whole."""
    encoder, reference = fmt.SampleEncoder(), fmt.SampleEncoder()
    decoder = fmt.SampleDecoder()
    t = 0.0
    for fields, gap, restart in steps:
        t += gap
        raw = {"t": t, **fields}
        if restart:
            encoder.restart()
            reference.restart()
            decoder.restart()
        line, values = encoder.encode_raw(raw, lambda raw=raw: _json_form(raw))
        expected = fmt.rounded_scalars(raw) or fmt.rounded(_json_form(raw))
        assert values == expected
        assert line == reference.encode(expected)  # only what changed, a full line each minute
        read = decoder.decode(line, "test")
        assert read == expected


def test_a_change_below_the_rounding_is_not_written() -> None:
    """A field that moved less than the log's 3 decimals stays out of the delta line."""
    encoder = fmt.SampleEncoder()
    encoder.encode_raw({"t": 0.0, "distance_m": 10.0, "state": "running"}, dict)
    line, _ = encoder.encode_raw({"t": 1.0, "distance_m": 10.0004, "state": "running"}, dict)
    assert line == {"kind": fmt.DELTA, "t": 1.0}
    line, _ = encoder.encode_raw({"t": 2.0, "distance_m": 10.0006, "state": "hold"}, dict)
    assert line == {"kind": fmt.DELTA, "t": 2.0, "distance_m": 10.001, "state": "hold"}


class _Reading(float):
    """A float subclass, as numpy's float64 is."""


def test_a_float_subclass_is_rounded_in_a_delta_as_in_a_full_line() -> None:
    """A value of a float subclass goes to the log rounded, and NaN as null, in every line."""
    encoder = fmt.SampleEncoder()
    encoder.encode_raw({"t": 0.0, "speed": 1.0}, dict)
    line, _ = encoder.encode_raw({"t": 1.0, "speed": _Reading(1.23456)}, dict)
    assert line == {"kind": fmt.DELTA, "t": 1.0, "speed": 1.235}
    line, _ = encoder.encode_raw({"t": 2.0, "speed": _Reading("nan")}, dict)
    assert line == {"kind": fmt.DELTA, "t": 2.0, "speed": None}
