"""慢箋 refill windows, reminders and FEFO allocation: worked examples from the rule's text and
properties (hypothesis) of the allocation and of a lot ledger built on it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinicbox_core.pharmacy import (
    REFILL_RULE,
    InsufficientStock,
    LotBalance,
    RefillDue,
    RefillWindowError,
    allocate_fefo,
    check_refill_date,
    due_reminders,
    refill_window,
)

MARCH_1 = date(2026, 3, 1)


def test_28_day_fill_opens_the_last_ten_days() -> None:
    w = refill_window(MARCH_1, 28, 2)
    assert (w.opens, w.closes) == (date(2026, 3, 19), date(2026, 3, 28))


@pytest.mark.parametrize(
    ("day", "reason"), [(date(2026, 3, 18), "too_early"), (date(2026, 3, 29), "too_late")]
)
def test_outside_the_window_names_the_field_and_the_rule(day: date, reason: str) -> None:
    with pytest.raises(RefillWindowError) as err:
        check_refill_date(MARCH_1, 28, 2, day)
    assert err.value.params["reason"] == reason
    assert err.value.params["field"] == "fill_on"
    assert err.value.params["rule"] == REFILL_RULE == "全民健康保險醫療辦法第24條"
    assert err.value.params["opens"] == "2026-03-19"


def test_both_window_edges_are_inside() -> None:
    for day in (date(2026, 3, 19), date(2026, 3, 28)):
        assert check_refill_date(MARCH_1, 28, 3, day).fill_no == 3


def test_short_supply_never_opens_on_the_fill_day() -> None:
    w = refill_window(MARCH_1, 7, 2)
    assert w.opens == MARCH_1 + timedelta(days=1)
    assert w.closes == date(2026, 3, 7)


@pytest.mark.parametrize("fill_no", [1, 4])
def test_only_fills_two_and_three_have_windows(fill_no: int) -> None:
    with pytest.raises(Exception) as err:
        refill_window(MARCH_1, 28, fill_no)
    assert err.value.params["field"] == "fill_no"  # type: ignore[attr-defined]


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    days=st.integers(2, 90),
)
def test_window_is_at_most_ten_days_and_ends_with_the_supply(start: date, days: int) -> None:
    w = refill_window(start, days, 2)
    assert w.closes == start + timedelta(days=days - 1)
    assert 1 <= (w.closes - w.opens).days + 1 <= 10
    assert w.opens > start


def test_reminders_from_lead_days_before_until_the_window_closes() -> None:
    item = RefillDue(rx_id=1, fill_no=2, previous_fill_on=MARCH_1, previous_days=28)
    assert due_reminders([item], date(2026, 3, 15)) == []
    assert due_reminders([item], date(2026, 3, 16)) == [item]  # 3 days before 19 March
    assert due_reminders([item], date(2026, 3, 28)) == [item]
    assert due_reminders([item], date(2026, 3, 29)) == []
    done = RefillDue(1, 2, MARCH_1, 28, reminded=True)
    assert due_reminders([done], date(2026, 3, 20)) == []


def _lot(i: int, expiry: date, qty: int) -> LotBalance:
    return LotBalance(i, f"L{i}", expiry, Decimal(qty))


def test_first_expiry_first_out_skips_expired_lots() -> None:
    lots = [_lot(1, date(2026, 9, 1), 100), _lot(2, date(2026, 4, 1), 30), _lot(3, MARCH_1, 99)]
    takes = allocate_fefo("A1", lots, Decimal(50), on=date(2026, 3, 2))
    assert [(t.lot_id, int(t.quantity)) for t in takes] == [(2, 30), (1, 20)]


def test_short_stock_is_refused_unless_overridden() -> None:
    lots = [_lot(1, date(2026, 9, 1), 10), _lot(2, date(2027, 1, 1), 5)]
    with pytest.raises(InsufficientStock) as err:
        allocate_fefo("A1", lots, Decimal(20), on=MARCH_1, field="item1_code")
    assert err.value.params == {
        "field": "item1_code", "code": "A1", "wanted": "20", "available": "15"
    }  # fmt: skip
    takes = allocate_fefo("A1", lots, Decimal(20), on=MARCH_1, override=True)
    assert [(t.lot_id, int(t.quantity)) for t in takes] == [(1, 10), (2, 10)]  # lot 2 → −5
    with pytest.raises(InsufficientStock):  # no usable lot at all: nothing to go negative on
        allocate_fefo("A1", [_lot(1, date(2025, 1, 1), 99)], Decimal(1), on=MARCH_1, override=True)


ops = st.lists(
    st.one_of(
        st.tuples(st.just("receipt"), st.integers(0, 3), st.integers(1, 50)),
        st.tuples(st.just("dispense"), st.integers(1, 80), st.booleans()),
        st.tuples(st.just("adjust"), st.integers(0, 3), st.integers(0, 60)),
    ),
    max_size=40,
)


@settings(max_examples=300)
@given(ops=ops)
def test_ledger_quantities_equal_receipts_minus_dispensed_plus_adjustments(
    ops: list[tuple[str, int, int | bool]],
) -> None:
    """A lot ledger driven only through allocate_fefo: every lot's quantity equals its receipts
    minus what was dispensed from it plus its adjustments, and no lot goes below zero except by
    an override."""
    on = MARCH_1
    expiries = [date(2026, 4, 1), date(2026, 6, 1), date(2026, 2, 1), date(2027, 1, 1)]
    on_hand = dict.fromkeys(range(4), Decimal(0))
    receipts = dict.fromkeys(range(4), Decimal(0))
    dispensed = dict.fromkeys(range(4), Decimal(0))
    adjusted = dict.fromkeys(range(4), Decimal(0))
    for kind, a, b in ops:
        if kind == "receipt":
            on_hand[a] += Decimal(b)
            receipts[a] += Decimal(b)
        elif kind == "adjust":
            delta = Decimal(b) - on_hand[a]
            on_hand[a] += delta
            adjusted[a] += delta
        else:
            lots = [LotBalance(i, f"L{i}", expiries[i], on_hand[i]) for i in range(4)]
            try:
                takes = allocate_fefo("A1", lots, Decimal(a), on=on, override=bool(b))
            except InsufficientStock:
                usable = sum(max(q, Decimal(0)) for i, q in on_hand.items() if expiries[i] >= on)
                assert usable < a
                continue
            assert sum(t.quantity for t in takes) == a
            for t in takes:
                assert expiries[t.lot_id] >= on, "an expired lot was dispensed"
                on_hand[t.lot_id] -= t.quantity
                dispensed[t.lot_id] += t.quantity
                if on_hand[t.lot_id] < 0:
                    assert b, "stock went negative without an override"
    for i in range(4):
        assert on_hand[i] == receipts[i] - dispensed[i] + adjusted[i]
