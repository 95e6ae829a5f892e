"""Cell-width wrapping used by every printed document."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicbox_core.printdoc.wrap import cell_width, two_columns, wrap_cells


def test_cell_widths() -> None:
    assert cell_width("abc") == 3
    assert cell_width("藥袋") == 4
    assert cell_width("ＡＢ") == 4  # fullwidth
    assert cell_width("e\u0301") == 1  # combining accent


def test_words_move_whole_and_cjk_breaks_anywhere() -> None:
    assert wrap_cells("take one tablet", 9) == ["take one", "tablet"]
    assert wrap_cells("每日三次飯後使用", 8) == ["每日三次", "飯後使用"]
    assert wrap_cells("警語：請勿與酒併服", 12, hanging=6) == ["警語：請勿與", "      酒併服"]
    assert wrap_cells("", 10) == [""]
    assert wrap_cells("a\nb", 10) == ["a", "b"]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        wrap_cells("x", 1)
    with pytest.raises(ValueError):
        wrap_cells("x", 10, hanging=9)


texts = st.text(alphabet=st.sampled_from(list("ab c1-藥袋每日三次，（）ｍ")), max_size=120)


@given(texts, st.integers(2, 50), st.integers(0, 48))
def test_lines_fit_and_keep_every_character(text: str, columns: int, hanging: int) -> None:
    hanging = min(hanging, columns - 2)
    lines = wrap_cells(text, columns, hanging=hanging)
    assert all(cell_width(line) <= columns for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


@given(st.text(alphabet="ab 藥袋", max_size=30), st.text(alphabet="0123 元", max_size=12))
def test_two_columns_fit(left: str, right: str) -> None:
    lines = two_columns(left, right, 42)
    assert all(cell_width(line) <= 42 for line in lines)
    assert "".join(lines).replace(" ", "") == (left + right).replace(" ", "")
