"""The 20-column drug price list: parsing, and the effective-date pick ``price(code, on_date)``.

Properties: the picked row always covers the date and no covering row starts later; without
overlaps exactly the covering row is picked; 起日 and 迄日 are both inclusive (the day after 迄日
is not covered); the index and the plain pick agree; the parser survives any text without
crashing other than with a ``ValidationFailed``.
"""

from __future__ import annotations

import contextlib
import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.drug_prices import (
    HEADER,
    DrugPriceRow,
    PriceIndex,
    parse_price_list,
    price,
    row_in_force,
)

BASE = date(2020, 1, 1)


def _row(code: str, start: int, length: int | None, amount: str, line: int) -> DrugPriceRow:
    valid_from = BASE + timedelta(days=start)
    valid_to = None if length is None else valid_from + timedelta(days=length)
    return DrugPriceRow(code, valid_from, valid_to, Decimal(amount), "n", "名", line=line)


def _csv(rows: list[list[str]], header: tuple[str, ...] = HEADER) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    return "\ufeff" + out.getvalue()


def _cells(code: str, amount: str, start: str, end: str, atc: str = "") -> list[str]:
    cells = [""] * 20
    cells[1], cells[2], cells[3], cells[8], cells[9], cells[10] = (
        code, "Panadol 500mg", "普拿疼", amount, start, end,
    )  # fmt: skip
    cells[16] = atc
    return cells


rows_st = st.lists(
    st.builds(
        _row,
        st.sampled_from(["A000015421", "AC43718100"]),
        st.integers(0, 400),
        st.one_of(st.none(), st.integers(0, 200)),
        st.sampled_from(["1.5", "2.05", "0.98", "12"]),
        st.integers(1, 10_000),
    ),
    max_size=12,
    unique_by=lambda r: r.line,
)


@given(rows_st, st.integers(-5, 700), st.sampled_from(["A000015421", "AC43718100", "X"]))
def test_pick_covers_and_is_latest_start(rows: list[DrugPriceRow], day: int, code: str) -> None:
    on = BASE + timedelta(days=day)
    got = row_in_force(rows, code, on)
    covering = [r for r in rows if r.code == code and r.covers(on)]
    if not covering:
        assert got is None and price(rows, code, on) is None
        return
    assert got is not None and got.covers(on)
    assert all((r.valid_from, r.line) <= (got.valid_from, got.line) for r in covering)
    assert price(rows, code, on) == got.price == PriceIndex(rows).price(code, on)


@given(st.lists(st.tuples(st.integers(1, 60), st.integers(0, 30)), min_size=1, max_size=8))
def test_contiguous_editions_boundaries(spans: list[tuple[int, int]]) -> None:
    """Non-overlapping editions (gaps allowed): each day maps to exactly its edition; 起日 and
    迄日 are inclusive, the day after 迄日 belongs to the next edition or to none."""
    rows, start = [], BASE
    for n, (length, gap) in enumerate(spans):
        end = start + timedelta(days=length - 1)
        rows.append(DrugPriceRow("A000015421", start, end, Decimal(n + 1), "n", "名", line=n))
        start = end + timedelta(days=1 + gap)
    index = PriceIndex(rows)
    for r in rows:
        assert index.price(r.code, r.valid_from) == r.price
        assert index.price(r.code, r.valid_to or r.valid_from) == r.price
        after = (r.valid_to or r.valid_from) + timedelta(days=1)
        nxt = [x for x in rows if x.valid_from == after]
        assert index.price(r.code, after) == (nxt[0].price if nxt else None)
    assert index.price("A000015421", BASE - timedelta(days=1)) is None


def test_parse_real_header_bom_padding_and_open_end() -> None:
    text = _csv(
        [
            _cells("A000015421", "2.05", "1120101", "1121231", "N02BE01"),
            _cells("A000015421", "1.98", " 1130101", "9991231", "N02BE01"),
            _cells("AC43718100", "1.5", "1100701", "", ""),
        ]
    )
    rows = parse_price_list(text)
    assert [(r.code, r.valid_from, r.valid_to, r.price) for r in rows] == [
        ("A000015421", date(2023, 1, 1), date(2023, 12, 31), Decimal("2.05")),
        ("A000015421", date(2024, 1, 1), None, Decimal("1.98")),
        ("AC43718100", date(2021, 7, 1), None, Decimal("1.5")),
    ]
    assert rows[0].atc_code == "N02BE01" and rows[0].name_zh == "普拿疼"
    assert price(rows, "A000015421", date(2023, 12, 31)) == Decimal("2.05")
    assert price(rows, "A000015421", date(2024, 1, 1)) == Decimal("1.98")
    assert price(rows, "A000015421", date(2022, 12, 31)) is None


def test_columns_found_by_name() -> None:
    header = tuple(reversed(HEADER))
    cells = list(reversed(_cells("A000015421", "3", "1120101", "")))
    rows = parse_price_list(_csv([cells], header))
    assert rows[0].price == Decimal(3) and rows[0].valid_from == date(2023, 1, 1)


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        (_cells("A000015421", "2", "11201", "x"), "有效迄日"),
        (_cells("A000015421", "2", "", ""), "有效起日"),
        (_cells("A000015421", "abc", "1120101", ""), "支付價"),
        (_cells("A000015421", "-1", "1120101", ""), "支付價"),
        (_cells("A000015421", "2", "1120101", "1110101"), "有效迄日"),
        (_cells("", "2", "1120101", ""), "藥品代號"),
    ],
)
def test_bad_rows_name_the_field(cells: list[str], field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        parse_price_list(_csv([cells]))
    assert err.value.params["field"] == field


def test_missing_column_is_named() -> None:
    with pytest.raises(ValidationFailed) as err:
        parse_price_list(_csv([], tuple(h for h in HEADER if h != "支付價")))
    assert err.value.params["field"] == "支付價"


@given(st.text(max_size=300))
def test_fuzz_parser_only_validation_errors(text: str) -> None:
    with contextlib.suppress(ValidationFailed):
        parse_price_list(_csv([]) + text)
