"""Pure rules of the front-desk queue and online booking, shared by the cloud and the box.

Everything takes its clock as an argument:

* :func:`estimated_time`: when number ``n`` of a session is likely seen (start + (n-1) x pace).
* :func:`mask_name`: the waiting-room display and the public queue show ``王○明``, never a name.
* :func:`session_window`: a session's start and end as aware datetimes on a clinic day.
* :func:`reminder_due_at`: when a booking's reminder is due (``hours_before`` its estimated time,
  but never before the booking was made).
* :func:`no_show_blocked`: online booking is refused after ``limit`` no-shows within ``days``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

__all__ = [
    "MASK",
    "estimated_time",
    "mask_name",
    "no_show_blocked",
    "parse_clock",
    "reminder_due_at",
    "session_window",
]

MASK = "○"
_CLOCK = re.compile(r"\A([01][0-9]|2[0-3]):([0-5][0-9])\Z")


def parse_clock(text: str) -> time:
    """``HH:MM`` (24 h) → ``time``; anything else is ``ValueError``."""
    m = _CLOCK.match(text)
    if not m:
        raise ValueError(f"not a HH:MM clock time: {text!r}")
    return time(int(m.group(1)), int(m.group(2)))


def session_window(
    day: date, starts_at: str, ends_at: str, tz: tzinfo
) -> tuple[datetime, datetime]:
    """The aware start and end of a session on ``day`` (end before start is ``ValueError``)."""
    start = datetime.combine(day, parse_clock(starts_at), tz)
    end = datetime.combine(day, parse_clock(ends_at), tz)
    if end <= start:
        raise ValueError(f"session ends ({ends_at}) before it starts ({starts_at})")
    return start, end


def estimated_time(start: datetime, minutes_per_patient: int, number: int) -> datetime:
    """When number ``number`` (1-based) is expected to be called."""
    if number < 1:
        raise ValueError("numbers start at 1")
    if minutes_per_patient < 1:
        raise ValueError("minutes_per_patient must be at least 1")
    return start + timedelta(minutes=minutes_per_patient * (number - 1))


def mask_name(name: str) -> str:
    """Hide a name for public screens: keep the first character (and the last, for names of
    three or more characters); everything else becomes ``○``. Latin names keep initials only."""
    name = name.strip()
    if not name:
        return ""
    if name.isascii():
        parts = name.split()
        return " ".join(p[0] + MASK * 2 for p in parts if p)
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + MASK
    return name[0] + MASK * (len(name) - 2) + name[-1]


def reminder_due_at(expected: datetime, hours_before: int, booked_at: datetime) -> datetime:
    """When to send the reminder of a booking expected at ``expected``."""
    return max(expected - timedelta(hours=hours_before), booked_at)


def no_show_blocked(no_show_days: list[date], today: date, *, limit: int, days: int) -> bool:
    """Whether a patient with no-shows on ``no_show_days`` may not book online today."""
    since = today - timedelta(days=days)
    return sum(1 for d in no_show_days if since <= d <= today) >= limit
