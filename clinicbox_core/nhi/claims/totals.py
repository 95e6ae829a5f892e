"""Point arithmetic shared by the builder and the validator (one implementation of each rule).

* :func:`round_half_up`: 四捨五入 to an integer (門診 p12 p.18; 藥局 p9 p.11), never banker's.
* :func:`outpatient_order_points`: p12 = p10 × p11 × p8/100 (p8 absent = 100.00).
* :func:`pharmacy_order_points`: p9 = p8 × p7, times p6/100 for 醫令類別 2, 3, 9 and for 4 with a
  code that is not 10 characters (交付機構 p.11-12).
* :func:`group_totals`: the 總表段 count/points pairs of a format from each case's group and
  申請點數, subtotals included.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from clinicbox_core.nhi.claims.formats import ClaimsFormat

__all__ = [
    "VIRTUAL_ORDER_CODES",
    "group_totals",
    "outpatient_order_points",
    "pharmacy_order_points",
    "round_half_up",
]

_HUNDRED = Decimal(100)
VIRTUAL_ORDER_CODES = frozenset({"R001", "R002", "R003"})  # p4 註 三: p10 = p12 = 0


def round_half_up(value: Decimal) -> int:
    """``2.5`` → 3, ``-2.5`` → -3: 四捨五入 away from zero at .5."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def outpatient_order_points(total: Decimal, unit_price: Decimal, ratio: Decimal | None) -> int:
    """門診 p12 from p10 總量, p11 單價 and p8 支付成數 (percent; ``None`` = 100)."""
    return round_half_up(total * unit_price * (ratio if ratio is not None else _HUNDRED) / _HUNDRED)


def pharmacy_order_points(
    category: str, code: str, total: Decimal, unit_price: Decimal, ratio_text: str | None
) -> int:
    """藥局 p9 from p1 醫令類別, p2 代號, p7 總量, p8 單價, p6 支付成數 (text: ``'120'``)."""
    amount = total * unit_price
    if category in {"2", "3", "9"} or (category == "4" and len(code) != 10):
        try:
            ratio = Decimal(ratio_text) if ratio_text else _HUNDRED
        except InvalidOperation:
            ratio = _HUNDRED
        amount = amount * ratio / _HUNDRED
    return round_half_up(amount)


def group_totals(fmt: ClaimsFormat, cases: Iterable[tuple[str | None, int]]) -> dict[str, int]:
    """Every t count/points value from ``(group count field, 申請點數)`` per case.

    A case whose group is ``None`` is counted nowhere (the validator reports it).
    """
    values: dict[str, int] = {}
    points_of = {g.count: g.points for g in fmt.groups}
    for group, points in cases:
        if group is None:
            continue
        values[group] = values.get(group, 0) + 1
        values[points_of[group]] = values.get(points_of[group], 0) + points
    for g in fmt.groups:  # declared after their parts
        if g.parts:
            values[g.count] = sum(values.get(part, 0) for part in g.parts)
            values[g.points] = sum(values.get(points_of[part], 0) for part in g.parts)
    return values
