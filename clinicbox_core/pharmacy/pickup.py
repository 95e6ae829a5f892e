"""Pick-up slots for a 慢箋 refill: the pharmacy's opening hours cut into slots, each with a
limit, and only on days inside the refill window (pure; the booking service feeds it rows).

The window itself is :func:`clinicbox_core.pharmacy.refill.check_refill_date` (the pick-up day
is the day the next fill is dispensed, so it must lie in D+N−10 … D+N−1). This module adds what
a booking needs on top: the slot starts of one opening period, the days a patient may choose
(the window intersected with today … today + horizon − 1), and whether a slot has room.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from clinicbox_core.errors import Conflict, ValidationFailed
from clinicbox_core.pharmacy.refill import RefillWindow

__all__ = ["OpeningPeriod", "bookable_days", "check_slot", "slot_starts"]


@dataclass(frozen=True, slots=True)
class OpeningPeriod:
    """One opening period of a weekday: ``opens`` … ``closes`` cut into ``slot_minutes``."""

    weekday: int  # 0 = Monday
    opens: time
    closes: time
    slot_minutes: int
    slot_limit: int  # pick-ups accepted per slot


def slot_starts(period: OpeningPeriod) -> list[time]:
    """Start times of the whole slots that fit in the period (a partial last slot is dropped)."""
    if period.slot_minutes <= 0:
        raise ValueError("slot_minutes must be positive")
    day = date(2000, 1, 3)  # any day: only the clock matters
    at, end = datetime.combine(day, period.opens), datetime.combine(day, period.closes)
    step = timedelta(minutes=period.slot_minutes)
    starts: list[time] = []
    while at + step <= end:
        starts.append(at.time())
        at += step
    return starts


def bookable_days(window: RefillWindow, today: date, horizon_days: int) -> list[date]:
    """The window's days from ``today`` on, at most ``horizon_days`` ahead (today included)."""
    first = max(window.opens, today)
    last = min(window.closes, today + timedelta(days=horizon_days - 1))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def check_slot(periods: list[OpeningPeriod], day: date, at: time, booked: int) -> OpeningPeriod:
    """The period holding slot ``at`` on ``day``; refused when closed then or the slot is full."""
    for period in periods:
        if period.weekday == day.weekday() and at in slot_starts(period):
            if booked >= period.slot_limit:
                raise Conflict("error.pickup.slot_full", field="at", limit=period.slot_limit)
            return period
    raise ValidationFailed("error.pickup.closed", field="at", day=day.isoformat(), at=f"{at:%H:%M}")
