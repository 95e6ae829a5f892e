"""Issuing a 慢性病連續處方箋 (chronic-disease continuous prescription): how many fills, how
many days each, and which 診察費 column it selects.

Sources:

* 可調劑次數: two or three fills (全民健康保險醫療辦法第24條; the pharmacy side's refill window is
  :mod:`clinicbox_core.pharmacy.refill`). A "slip" for one fill is an ordinary prescription.
* 每次給藥日份: at most 30 days a fill, so at most 90 days on one slip (same article). The
  支付標準 (第二部第一章 第一節, 105.05.01) pays the higher 診察費 (00158C–00167C, TCM A11–A20)
  only for a slip of 連續二次以上調劑，而且每次給藥二十八天以上; the clinic chooses days per
  fill within 28–30 by default (``min_days_per_fill``), as the NHI expects for 慢箋 of stable
  patients; a shorter fill is refused with the field named, so nobody claims the wrong column.
* The claim: 案件分類 04 (西醫慢性病) / 24 (中醫慢性病) for the visit that issues it (註19-3),
  d44 = days per fill × fills (慢性病連續處方箋有效期間總處方日份), p17 = 1 on its drug lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.consult_fee import RefillSlip
from clinicbox_core.nhi.effective import Effective, check_no_overlap, in_force

__all__ = [
    "CHRONIC_SLIP_RULES",
    "ChronicSlip",
    "ChronicSlipParams",
    "check_chronic_slip",
]


@dataclass(frozen=True, slots=True)
class ChronicSlipParams:
    min_fills: int
    max_fills: int
    min_days_per_fill: int
    max_days_per_fill: int
    fee_28_days: int  # each fill at least this many days → the ≥28-day 診察費 column


CHRONIC_SLIP_RULES: tuple[Effective[ChronicSlipParams], ...] = (
    Effective(
        rule_id="chronic-slip-1050501",
        valid_from=date(2016, 5, 1),
        valid_to=None,
        source="全民健康保險醫療辦法第24條; 支付標準 第二部第一章第一節 (105.05.01)",
        params=ChronicSlipParams(
            min_fills=2, max_fills=3, min_days_per_fill=28, max_days_per_fill=30, fee_28_days=28
        ),
    ),
)
check_no_overlap(CHRONIC_SLIP_RULES)


@dataclass(frozen=True, slots=True)
class ChronicSlip:
    """A checked slip: fills, days per fill, total days (d44) and the 診察費 column."""

    fills: int
    days_per_fill: int
    total_days: int
    refill_slip: RefillSlip


def check_chronic_slip(on: date, fills: int, days_per_fill: int) -> ChronicSlip:
    """Check a slip issued on ``on``; :class:`ValidationFailed` naming ``fills`` or
    ``days_per_fill`` (with ``minimum``/``maximum``) when outside the rule."""
    p = in_force(CHRONIC_SLIP_RULES, on, rule="chronic_slip").params
    if not p.min_fills <= fills <= p.max_fills:
        raise ValidationFailed(
            "error.chronic.fills", field="fills", minimum=p.min_fills, maximum=p.max_fills
        )
    if not p.min_days_per_fill <= days_per_fill <= p.max_days_per_fill:
        raise ValidationFailed(
            "error.chronic.days_per_fill",
            field="days_per_fill",
            minimum=p.min_days_per_fill,
            maximum=p.max_days_per_fill,
        )
    column = RefillSlip.SLIP_28 if days_per_fill >= p.fee_28_days else RefillSlip.SLIP
    return ChronicSlip(fills, days_per_fill, fills * days_per_fill, column)
