"""Cell widths and wrapping (edge_agent.printer.text)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_agent.printer.text import (
    cell_width,
    needs_raster,
    printable_lines,
    text_width,
    wrap_cells,
)

TEXT = st.text(
    st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.sampled_from("藥袋診所王小明先生飯後服用一天三次，。：（）　"),
        st.sampled_from("堃喆犇峯銹珉赟𠀋"),
    ),
    max_size=200,
)


@given(TEXT, st.integers(min_value=2, max_value=64))
def test_wrapping_keeps_every_character_and_fits_the_width(text: str, width: int) -> None:
    lines = wrap_cells(text, width)
    assert "".join(lines) == text
    assert all(text_width(line) <= width for line in lines)
    assert all(lines[:-1]), "only the last piece may be empty"


@given(TEXT, st.integers(min_value=2, max_value=64))
def test_wrapping_is_greedy(text: str, width: int) -> None:
    lines = wrap_cells(text, width)
    for line, following in itertools.pairwise(lines):
        if not line.endswith(" "):  # not a word break, so the line was full
            assert text_width(line) + cell_width(following[0]) > width


def test_ascii_words_move_to_the_next_line_whole() -> None:
    assert wrap_cells("take two tablets", 10) == ["take two ", "tablets"]
    assert wrap_cells("一天三次", 5) == ["一天", "三次"]


def test_widths() -> None:
    assert [cell_width(ch) for ch in "a藥，　堃"] == [1, 2, 2, 2, 2]
    assert text_width("Amoxicillin 500mg 膠囊") == 22


def test_raster_only_for_characters_big5_lacks() -> None:
    assert not needs_raster("王小明 Amoxicillin，一天三次")
    assert needs_raster("王小堃")
    assert needs_raster("𠀋")


def test_printable_lines_split_and_drop_control_characters() -> None:
    assert printable_lines("一\r\n二\tb\x1b@c\u200b") == ["一", "二 b@c"]


def test_width_must_hold_a_wide_character() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        wrap_cells("一", 1)
