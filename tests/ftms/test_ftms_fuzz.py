"""Fuzzing every decoder: any bytes give a record or ProtocolError; decoded records re-encode."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrowalk.errors import ProtocolError
from retrowalk.ftms.advertisement import decode_advertisement, encode_advertisement
from retrowalk.ftms.assembler import TreadmillDataAssembler
from retrowalk.ftms.control_point import (
    decode_request,
    decode_response,
    encode_request,
    encode_response,
)
from retrowalk.ftms.feature import decode_features, encode_features
from retrowalk.ftms.ranges import (
    decode_incline_range,
    decode_speed_range,
    encode_incline_range,
    encode_speed_range,
)
from retrowalk.ftms.registry import CHARACTERISTICS, lookup
from retrowalk.ftms.status import decode_status, encode_status
from retrowalk.ftms.training_status import decode_training_status, encode_training_status
from retrowalk.ftms.treadmill_data import decode_treadmill_data, encode_treadmill_data

if TYPE_CHECKING:
    from collections.abc import Callable

# Biased toward the interesting part of the space: short inputs and treadmill-ish flag words.
payloads = st.binary(max_size=40) | st.builds(
    lambda flags, rest: flags.to_bytes(2, "little") + rest,
    st.integers(0, 0xFFFF),
    st.binary(max_size=40),
)

CODECS: list[tuple[Callable[[bytes], object], Callable[[object], bytes]]] = [
    (decode_treadmill_data, encode_treadmill_data),  # type: ignore[list-item]
    (decode_request, encode_request),  # type: ignore[list-item]
    (decode_response, encode_response),  # type: ignore[list-item]
    (decode_status, encode_status),  # type: ignore[list-item]
    (decode_training_status, encode_training_status),  # type: ignore[list-item]
    (decode_features, encode_features),  # type: ignore[list-item]
    (decode_speed_range, encode_speed_range),  # type: ignore[list-item]
    (decode_incline_range, encode_incline_range),  # type: ignore[list-item]
    (decode_advertisement, encode_advertisement),  # type: ignore[list-item]
]


@pytest.mark.parametrize(("decode", "encode"), CODECS, ids=lambda f: f.__name__)
@settings(max_examples=200, deadline=None)
@given(data=payloads)
def test_any_bytes_decode_to_a_record_or_protocol_error(
    decode: Callable[[bytes], object], encode: Callable[[object], bytes], data: bytes
) -> None:
    """No input makes a decoder raise anything but ProtocolError; what decodes re-encodes stably."""
    try:
        record = decode(data)
    except ProtocolError as error:
        caught: ProtocolError | None = error
    else:
        caught = None
    if caught is not None:
        assert caught.data == data
        assert data.hex(" ") in str(caught) or not data
        return
    if getattr(record, "truncated", False):
        return  # a truncated record lacks what its flags promised: nothing to re-encode against
    if getattr(record, "ambiguous", ()):
        # Changed by issue 12 item 5: bytes that fit several layouts are read the preferred way
        # and marked ambiguous; the encoding of what was read fits one layout, so no mark.
        record = dataclasses.replace(record, ambiguous=(), doubtful=frozenset())  # type: ignore[type-var]
    assert decode(encode(record)) == record


@pytest.mark.parametrize("characteristic", CHARACTERISTICS, ids=lambda c: c.name)
@settings(max_examples=100, deadline=None)
@given(data=payloads)
def test_registry_decoders_never_crash(characteristic: object, data: bytes) -> None:
    """Every decoder the CLI can reach gives a record or ProtocolError."""
    decode = lookup(characteristic.name).decode  # type: ignore[attr-defined]
    with contextlib.suppress(ProtocolError):
        decode(data)


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.tuples(payloads, st.floats(0, 0.5)), max_size=12),
    max_parts=st.integers(1, 5),
)
def test_assembler_survives_any_notification_stream(
    parts: list[tuple[bytes, float]], max_parts: int
) -> None:
    """Any stream of notifications: only ProtocolError escapes, nothing is held past max_parts."""
    assembler = TreadmillDataAssembler(max_parts=max_parts, max_age_s=1.0)
    now = 0.0
    for data, gap in parts:
        now += gap
        try:
            assembler.feed(data, now)
        except ProtocolError:
            continue
        assert assembler.held < max_parts
        deadline = assembler.deadline
        assert deadline is None or deadline <= now + 1.0
    assembler.flush()
    assert assembler.deadline is None
