"""The simulator's splitter: a record over several notifications, merged back by the client."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftms_strategies import FULL, treadmill_records
from retrowalk.ftms.assembler import TreadmillDataAssembler
from retrowalk.ftms.treadmill_data import decode_part
from retrowalk_sim.split import split_treadmill_data

if TYPE_CHECKING:
    from retrowalk.ftms.models import TreadmillData


@settings(max_examples=150, deadline=None)
@given(record=treadmill_records(), max_payload=st.integers(7, 40))
def test_split_parts_fit_and_reassemble(record: TreadmillData, max_payload: int) -> None:
    """Split parts fit the payload, all but the last lack speed, the assembler rebuilds it."""
    parts = split_treadmill_data(record, max_payload)
    assert all(len(p) <= max_payload for p in parts)
    assert all(p[0] & 1 for p in parts[:-1])
    assert bool(parts[-1][0] & 1) == (record.speed_kmh is None)
    assembler = TreadmillDataAssembler(max_parts=len(parts) + 1)
    out = [assembler.feed(p, now=i * 0.01) for i, p in enumerate(parts)]
    merged = out[-1] if record.speed_kmh is not None else assembler.flush()
    assert merged == record
    assert all(o is None for o in out[:-1])


def test_split_of_a_full_record_at_default_mtu() -> None:
    """A full record needs three 20-byte notifications; only the last carries speed."""
    parts = split_treadmill_data(FULL)
    assert [len(p) for p in parts] == [17, 20, 4]
    assert [decode_part(p)[1] for p in parts] == [True, True, False]


def test_split_refuses_a_payload_too_small_for_a_group() -> None:
    """A payload that cannot hold flags + the 5-byte energy group is refused."""
    with pytest.raises(ValueError, match="max_payload"):
        split_treadmill_data(FULL, max_payload=6)
