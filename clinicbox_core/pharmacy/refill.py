"""When the 2nd and 3rd fill of a 慢性病連續處方箋 may be dispensed.

全民健康保險醫療辦法 第24條: a refill of a chronic-disease continuous prescription is dispensed
within the last 10 days of the previous fill's supply ("於上次給藥期間屆滿前十日內"). With the
previous fill on day D for N days, the supply covers D … D+N−1, so the window is
D+N−10 … D+N−1 (a 28-day fill on 1 March: 19–28 March). Before that is too early; after it the
supply has run out and the slip cannot be refilled (a new prescription is needed). A supply
shorter than 10 days opens the window on the day after D (never on D itself); a 1-day supply
has no window and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from clinicbox_core.errors import ValidationFailed

__all__ = ["REFILL_RULE", "RefillWindow", "RefillWindowError", "check_refill_date", "refill_window"]

#: Cited in every message about the window.
REFILL_RULE: Final = "全民健康保險醫療辦法第24條"
WINDOW_DAYS: Final = 10
MAX_FILLS: Final = 3  # 慢性病連續處方箋: 最多三次


class RefillWindowError(ValidationFailed):
    """``params``: ``field``, ``reason`` (too_early | too_late; the message key is
    ``error.refill.<reason>``), ``fill_no``, ``opens`` and ``closes`` (ISO dates), ``rule``."""

    default_key = "error.refill.too_early"


@dataclass(frozen=True, slots=True)
class RefillWindow:
    fill_no: int  # the fill this window is for (2 or 3)
    opens: date
    closes: date

    def contains(self, day: date) -> bool:
        return self.opens <= day <= self.closes


def refill_window(previous_fill_on: date, previous_days: int, fill_no: int) -> RefillWindow:
    """The window of fill ``fill_no`` after a fill on ``previous_fill_on`` for ``previous_days``."""
    if previous_days < 2:  # a 1-day supply leaves no day for a refill window
        raise ValidationFailed(field="days", reason="too_short_for_refill")
    if not 2 <= fill_no <= MAX_FILLS:
        raise ValidationFailed(field="fill_no", reason="out_of_range")
    closes = previous_fill_on + timedelta(days=previous_days - 1)
    opens = max(closes - timedelta(days=WINDOW_DAYS - 1), previous_fill_on + timedelta(days=1))
    return RefillWindow(fill_no=fill_no, opens=opens, closes=closes)


def check_refill_date(
    previous_fill_on: date, previous_days: int, fill_no: int, on: date, *, field: str = "fill_on"
) -> RefillWindow:
    """The window, or :class:`RefillWindowError` naming ``field`` when ``on`` is outside it."""
    window = refill_window(previous_fill_on, previous_days, fill_no)
    if on < window.opens or on > window.closes:
        reason = "too_early" if on < window.opens else "too_late"
        raise RefillWindowError(
            f"error.refill.{reason}",
            field=field,
            reason=reason,
            fill_no=fill_no,
            opens=window.opens.isoformat(),
            closes=window.closes.isoformat(),
            rule=REFILL_RULE,
        )
    return window
