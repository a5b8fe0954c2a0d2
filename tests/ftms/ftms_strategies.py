"""Hypothesis strategies for FTMS records built from wire-representable values."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from retrowalk.ftms._wire import BOUNDS, Field
from retrowalk.ftms.models import TreadmillData
from retrowalk.ftms.treadmill_data import GROUPS


def domain_values(field: Field) -> st.SearchStrategy[Any]:
    """Return values a field can carry (never one of its "not available" markers)."""
    low, high = BOUNDS[field.wire]
    raw = st.integers(low, high).filter(lambda r: r not in field.not_available)
    if field.divisor == 1:
        return raw
    return raw.map(lambda r: r / field.divisor)


@st.composite
def treadmill_records(draw: st.DrawFn) -> TreadmillData:
    """Return a TreadmillData with a random subset of groups, absent members as None."""
    values: dict[str, Any] = {}
    for _, group in GROUPS:
        if not draw(st.booleans()):
            continue
        members = [draw(st.none() | domain_values(f)) for f in group]
        if all(m is None for m in members):  # a present group needs one value
            members[0] = draw(domain_values(group[0]))
        values.update({f.name: m for f, m in zip(group, members, strict=True)})
    return TreadmillData(**values)
