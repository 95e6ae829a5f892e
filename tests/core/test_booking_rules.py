"""Properties of the pure booking rules (clinicbox_core.booking)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicbox_core.booking import (
    MASK,
    estimated_time,
    mask_name,
    no_show_blocked,
    parse_clock,
    reminder_due_at,
    session_window,
)

TAIPEI = ZoneInfo("Asia/Taipei")
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


@given(st.text(CJK, min_size=3, max_size=8))
def test_masked_name_keeps_only_the_first_and_last_character(name: str) -> None:
    masked = mask_name(name)
    assert len(masked) == len(name)
    assert masked[0] == name[0] and masked[-1] == name[-1]
    assert set(masked[1:-1]) == {MASK}


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("王大明", "王○明"),
        ("林美", "林○"),
        ("歐陽娜娜", "歐○○娜"),
        ("Mary Lin", "M○○ L○○"),
        ("", ""),
    ],
)
def test_mask_examples(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@given(st.text(min_size=2, max_size=20))
def test_a_masked_name_never_shows_the_whole_name(name: str) -> None:
    if len(name.strip()) >= 2:
        assert mask_name(name) != name.strip()


@given(st.integers(1, 300), st.integers(1, 60))
def test_estimated_time_grows_by_the_pace(number: int, pace: int) -> None:
    start = datetime(2026, 12, 3, 8, 30, tzinfo=TAIPEI)
    t = estimated_time(start, pace, number)
    assert t - start == timedelta(minutes=pace * (number - 1))
    assert estimated_time(start, pace, number + 1) - t == timedelta(minutes=pace)


def test_estimated_time_rejects_nonsense() -> None:
    start = datetime(2026, 12, 3, 8, 30, tzinfo=TAIPEI)
    with pytest.raises(ValueError):
        estimated_time(start, 5, 0)
    with pytest.raises(ValueError):
        estimated_time(start, 0, 1)


@given(st.from_regex(r"\A([01][0-9]|2[0-3]):[0-5][0-9]\Z"))
def test_clock_round_trips(text: str) -> None:
    assert parse_clock(text).strftime("%H:%M") == text


@given(st.text(max_size=8))
def test_clock_parser_accepts_only_hh_mm(text: str) -> None:
    try:
        parsed = parse_clock(text)
    except ValueError:
        return
    assert parsed.strftime("%H:%M") == text


def test_session_window_is_in_the_clinic_zone_and_ordered() -> None:
    start, end = session_window(date(2026, 12, 3), "18:30", "21:00", TAIPEI)
    assert start.astimezone(UTC).hour == 10 and end - start == timedelta(hours=2, minutes=30)
    with pytest.raises(ValueError):
        session_window(date(2026, 12, 3), "21:00", "18:30", TAIPEI)


@given(st.integers(0, 72), st.integers(-200, 200))
def test_reminder_is_never_before_the_booking(hours: int, booked_offset_h: int) -> None:
    expected = datetime(2026, 12, 10, 9, 0, tzinfo=TAIPEI)
    booked = expected - timedelta(hours=booked_offset_h)
    due = reminder_due_at(expected, hours, booked)
    assert due >= booked
    assert due >= expected - timedelta(hours=hours)
    assert due in (booked, expected - timedelta(hours=hours))


@given(st.lists(st.integers(0, 200), max_size=10), st.integers(1, 5), st.integers(1, 120))
def test_no_show_block_counts_only_the_window(offsets: list[int], limit: int, days: int) -> None:
    today = date(2026, 12, 3)
    seen = [today - timedelta(days=o) for o in offsets]
    in_window = sum(1 for o in offsets if o <= days)
    assert no_show_blocked(seen, today, limit=limit, days=days) == (in_window >= limit)
