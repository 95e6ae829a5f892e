"""The clinic day and session (早/午/晚) in Asia/Taipei, from a UTC instant."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from cloud_plane.services.models import Session

TAIPEI = ZoneInfo("Asia/Taipei")
AFTERNOON_FROM_HOUR = 12  # 午診 from 12:00
EVENING_FROM_HOUR = 18  # 晚診 from 18:00


def utc_now() -> datetime:
    return datetime.now(UTC)


def clinic_day(at: datetime) -> date:
    """The Taipei calendar day of an aware instant."""
    return at.astimezone(TAIPEI).date()


def session_at(at: datetime) -> Session:
    hour = at.astimezone(TAIPEI).hour
    if hour >= EVENING_FROM_HOUR:
        return Session.EVENING
    if hour >= AFTERNOON_FROM_HOUR:
        return Session.AFTERNOON
    return Session.MORNING
