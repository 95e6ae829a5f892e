"""The 24-hour rule: a visit's IC data must reach NHI within 24 hours of the visit.

Source: 全民健康保險醫療辦法 as presented in NHI's slides "醫事機構實施健保IC卡登錄及上傳作業"
(nhi.md §3, [S10]). The clock starts at 就診日期時間 (A17 / M11, the time written on the card) and
the deadline is that instant + 24 h; an upload at exactly the deadline is on time. Taiwan time is
UTC+8 all year (no daylight saving since 1979), so a fixed offset is exact for every visit we handle
and needs no tz database. Naive datetimes are taken as Taiwan local time.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

__all__ = ["TAIPEI", "UPLOAD_WINDOW", "deadline", "on_time", "overdue", "to_taipei"]

TAIPEI = timezone(timedelta(hours=8), "Asia/Taipei")
UPLOAD_WINDOW = timedelta(hours=24)


def to_taipei(value: datetime) -> datetime:
    """``value`` as an aware Taiwan time (naive input is taken to be Taiwan local already)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=TAIPEI)
    return value.astimezone(TAIPEI)


def deadline(visit_time: datetime) -> datetime:
    """The last instant the record may reach NHI (aware, Taiwan time)."""
    return to_taipei(visit_time) + UPLOAD_WINDOW


def on_time(visit_time: datetime, uploaded_at: datetime) -> bool:
    """Whether an upload at ``uploaded_at`` meets the 24-hour rule."""
    return to_taipei(uploaded_at) <= deadline(visit_time)


def overdue(visit_time: datetime, now: datetime, uploaded_at: datetime | None = None) -> bool:
    """Past the deadline: not uploaded by ``now``, or uploaded after the deadline."""
    if uploaded_at is not None:
        return not on_time(visit_time, uploaded_at)
    return to_taipei(now) > deadline(visit_time)
