"""慢箋 pick-up slots: opening hours cut into slots, the bookable days (refill window ∩ horizon),
slot limits; worked examples and properties (hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicbox_core.errors import Conflict, ValidationFailed
from clinicbox_core.pharmacy.pickup import OpeningPeriod, bookable_days, check_slot, slot_starts
from clinicbox_core.pharmacy.refill import refill_window

MONDAY = date(2026, 3, 2)


def test_hours_cut_into_whole_slots() -> None:
    p = OpeningPeriod(0, time(9), time(10, 40), 30, 4)
    assert slot_starts(p) == [time(9), time(9, 30), time(10)]


def test_days_are_the_window_from_today() -> None:
    w = refill_window(date(2026, 3, 1), 28, 2)  # 19–28 March
    assert bookable_days(w, date(2026, 3, 25), 14) == [date(2026, 3, d) for d in range(25, 29)]
    assert bookable_days(w, date(2026, 3, 1), 14) == []  # window beyond the horizon
    assert bookable_days(w, date(2026, 3, 1), 30) == [date(2026, 3, d) for d in range(19, 29)]
    assert bookable_days(w, date(2026, 3, 29), 14) == []


def test_slot_closed_or_full_is_refused() -> None:
    periods = [OpeningPeriod(0, time(9), time(12), 30, 2)]
    assert check_slot(periods, MONDAY, time(9, 30), 1) is periods[0]
    with pytest.raises(Conflict) as full:
        check_slot(periods, MONDAY, time(9, 30), 2)
    assert full.value.params["field"] == "at"
    with pytest.raises(ValidationFailed):
        check_slot(periods, MONDAY, time(9, 15), 0)  # not a slot start
    with pytest.raises(ValidationFailed):
        check_slot(periods, MONDAY + timedelta(days=1), time(9, 30), 0)  # closed on Tuesday


times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@given(opens=times, length=st.integers(0, 900), minutes=st.integers(1, 240))
def test_slots_lie_inside_the_hours(opens: time, length: int, minutes: int) -> None:
    start = datetime.combine(MONDAY, opens)
    closes = min(start + timedelta(minutes=length), datetime.combine(MONDAY, time(23, 59)))
    period = OpeningPeriod(0, opens, closes.time(), minutes, 1)
    starts = slot_starts(period)
    assert len(starts) == max(0, (closes - start) // timedelta(minutes=minutes))
    for s in starts:
        end = datetime.combine(MONDAY, s) + timedelta(minutes=minutes)
        assert opens <= s and end <= closes


@given(
    filled=st.dates(date(2025, 1, 1), date(2027, 1, 1)),
    days=st.integers(2, 90),
    today_offset=st.integers(-10, 100),
    horizon=st.integers(1, 30),
)
def test_bookable_days_are_inside_window_and_horizon(
    filled: date, days: int, today_offset: int, horizon: int
) -> None:
    w = refill_window(filled, days, 2)
    today = filled + timedelta(days=today_offset)
    got = bookable_days(w, today, horizon)
    expected = [
        today + timedelta(days=i) for i in range(horizon) if w.contains(today + timedelta(days=i))
    ]
    assert got == expected


@given(booked=st.integers(0, 20), limit=st.integers(1, 20))
def test_limit_is_exact(booked: int, limit: int) -> None:
    periods = [OpeningPeriod(0, time(9), time(10), 30, limit)]
    if booked < limit:
        assert check_slot(periods, MONDAY, time(9), booked) is periods[0]
    else:
        with pytest.raises(Conflict):
            check_slot(periods, MONDAY, time(9), booked)
