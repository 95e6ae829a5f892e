"""Whatever bytes a card sends, parsing the basic segment fails only with CardFormatError."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from clinicbox_core.nhi.card import (
    BASIC_DATA_LEN,
    CardFormatError,
    encode_basic_data,
    parse_basic_data,
)
from devsim.nhi_card import demo_card

_VALID = encode_basic_data(demo_card())


@given(st.binary(max_size=120))
@example(b"")
@example(b"\x00" * BASIC_DATA_LEN)
@example(b" " * BASIC_DATA_LEN)
def test_random_bytes_raise_only_card_format_error(raw: bytes) -> None:
    try:
        card = parse_basic_data(raw)
    except CardFormatError:
        return
    assert len(raw) == BASIC_DATA_LEN
    assert encode_basic_data(card)[:12] == raw[:12]


@given(st.lists(st.tuples(st.integers(0, BASIC_DATA_LEN - 1), st.integers(0, 255)), max_size=8))
def test_mutated_valid_segments_raise_only_card_format_error(
    edits: list[tuple[int, int]],
) -> None:
    raw = bytearray(_VALID)
    for index, value in edits:
        raw[index] = value
    try:
        card = parse_basic_data(bytes(raw))
    except CardFormatError:
        return
    assert card.card_no == bytes(raw[:12]).decode("ascii")


def test_valid_segment_parses_to_the_demo_card() -> None:
    assert parse_basic_data(_VALID) == demo_card()


def test_blank_name_is_a_format_error() -> None:
    raw = _VALID[:12] + b"\x00" * 20 + _VALID[32:]
    with pytest.raises(CardFormatError):
        parse_basic_data(raw)
