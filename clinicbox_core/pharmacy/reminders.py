"""Which 慢箋 refills need a reminder today (pure; the scheduler job feeds it rows).

A reminder goes out ``lead_days`` before the refill window opens (and on any later day of the
window when it could not be sent earlier, e.g. the scheduler was down), once per fill. Fills
whose window has closed, or that were already dispensed or reminded, are not reminded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from clinicbox_core.pharmacy.refill import refill_window

__all__ = ["RefillDue", "due_reminders"]


@dataclass(frozen=True, slots=True)
class RefillDue:
    """One pending refill: the prescription, the fill that is next, the previous fill."""

    rx_id: int
    fill_no: int
    previous_fill_on: date
    previous_days: int
    reminded: bool = False


def due_reminders(
    pending: Iterable[RefillDue], today: date, *, lead_days: int = 3
) -> list[RefillDue]:
    """The pending refills to remind about on ``today``, in window order."""
    if lead_days < 0:
        raise ValueError("lead_days must not be negative")
    due: list[tuple[date, RefillDue]] = []
    for item in pending:
        if item.reminded:
            continue
        window = refill_window(item.previous_fill_on, item.previous_days, item.fill_no)
        if window.opens - timedelta(days=lead_days) <= today <= window.closes:
            due.append((window.opens, item))
    return [item for _, item in sorted(due, key=lambda pair: (pair[0], pair[1].rx_id))]
