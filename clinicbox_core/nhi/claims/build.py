"""Build a claims file from the cases the cloud produces from visits; every derived field computed.

門診 (spec 1040409): p13 醫令序 1..n and p12 per order; d32/d33/d34/d36/d38 = Σ p12 by p3
(1, 2, 3, 0, 9; p.11-12), d35/d37 = the code when there is exactly one such order (註24);
d39 = d32+d33+d34+d36+d38 (p.12); d40/d15/d43 from :func:`clinicbox_core.nhi.copay.compute_copay`
when a :class:`~clinicbox_core.nhi.copay.CopayInput` is given (its drug points replaced by d32),
else as supplied; d41 = d39 − d40 (p.13); d2 流水編號 1..n within each 案件分類 (p.5), cases
ordered by 案件分類 then as given; 總表 from :func:`~clinicbox_core.nhi.claims.totals.group_totals`.
A △ count/points pair is written only when it counts a case; t37/t38 always; t39/t40 when a copay
was charged.

藥局 (交付機構 1040409): p10 and p9 per order; d31/d32/d33/d38 = Σ p9 by p1 (3, 2, 1, 9);
d37 when one p1=9 order (註18); d18 = d31+d32+d33+d38; d17 (and d15, d19) from the copay rule
with drug points = d33; d16 = d18 − d17.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.claims.formats import (
    OUTPATIENT,
    PHARMACY,
    outpatient_group,
    pharmacy_group,
)
from clinicbox_core.nhi.claims.model import Case, ClaimsFile, OrderLine, Totals
from clinicbox_core.nhi.claims.model_pharmacy import (
    PharmacyCase,
    PharmacyClaimsFile,
    PharmacyOrderLine,
    PharmacyTotals,
)
from clinicbox_core.nhi.claims.totals import (
    VIRTUAL_ORDER_CODES,
    group_totals,
    outpatient_order_points,
    pharmacy_order_points,
)
from clinicbox_core.nhi.copay import COPAY_RULES, CopayInput, compute_copay
from clinicbox_core.nhi.effective import in_force
from clinicbox_core.nhi.roc_date import format_roc_date

__all__ = [
    "BuildCase",
    "BuildPharmacyCase",
    "ClaimsHeader",
    "build_claims",
    "build_pharmacy_claims",
    "fee_month_text",
]


class ClaimsHeader(BaseModel):
    """總表段 facts that are not sums: t2-t6 and the 連線申報 period (t41/t42; 藥局 t13/t14)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    institution: str  # t2 醫事機構代號
    fee_month: date  # t3: any day of the 費用年月
    report_date: date  # t6 申報日期
    method: Literal["1", "2", "3"] = "3"  # t4: 1 書面 2 媒體 3 連線
    kind: Literal["1", "2"] = "1"  # t5: 1 送核 2 補報
    period_from: date | None = None
    period_to: date | None = None


class BuildCase(BaseModel):
    """A 門診 case made from a visit, plus the copay facts when d15/d40 are to be computed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case: Case
    copay: CopayInput | None = None


class BuildPharmacyCase(BaseModel):
    """A 藥局 case, with the copay facts when d15/d17/d19 are to be computed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case: PharmacyCase
    copay: CopayInput | None = None


def fee_month_text(on: date) -> str:
    """費用年月 ``YYYMM``."""
    return format_roc_date(on)[:5]


def _roc(on: date | None) -> str | None:
    return format_roc_date(on) if on is not None else None


def _orders(orders: Sequence[OrderLine]) -> tuple[OrderLine, ...]:
    out: list[OrderLine] = []
    for seq, order in enumerate(orders, start=1):
        if order.p4 in VIRTUAL_ORDER_CODES:
            out.append(order.model_copy(update={"p13": seq, "p12": 0}))
            continue
        points = outpatient_order_points(order.p10 or 0, order.p11 or 0, order.p8)  # type: ignore[arg-type]
        out.append(order.model_copy(update={"p13": seq, "p12": points}))
    return tuple(out)


def _derive_case(item: Case | BuildCase) -> Case:
    case, copay = (item.case, item.copay) if isinstance(item, BuildCase) else (item, None)
    orders = _orders(case.orders)
    sums: dict[str, int] = {}
    codes: dict[str, list[str]] = {}
    for order in orders:
        category = order.p3 or ""
        sums[category] = sums.get(category, 0) + (order.p12 or 0)
        codes.setdefault(category, []).append(order.p4 or "")
    upd: dict[str, object] = {"orders": orders}
    for category, points_field in (("1", "d32"), ("2", "d33"), ("3", "d34")):
        upd[points_field] = sums.get(category)
    for category, code_field, points_field in (("0", "d35", "d36"), ("9", "d37", "d38")):
        found = codes.get(category, [])
        upd[code_field] = found[0] if len(found) == 1 else None
        upd[points_field] = sums.get(category)
    total = sum(sums.get(c, 0) for c in ("1", "2", "3", "0", "9"))
    upd["d39"] = total
    copay_amount = case.d40 or 0
    if copay is not None:
        result = compute_copay(copay.model_copy(update={"drug_points": sums.get("1", 0)}))
        copay_amount = result.total
        upd["d15"] = result.code_d15
        upd["d43"] = result.admin_assist_d43 if result.code_d15 in _admin_codes(copay) else None
    upd["d40"] = copay_amount
    upd["d41"] = total - copay_amount
    return case.model_copy(update=upd)


def _admin_codes(copay: CopayInput) -> frozenset[str]:
    """Exemption codes that report the would-be copay (d43 門診 p.13, d19 藥局 p.5)."""
    return in_force(COPAY_RULES, copay.on, rule="copay").params.admin_assist_codes


_C = TypeVar("_C", Case, PharmacyCase)


def _numbered(cases: list[_C]) -> list[_C]:
    ordered = sorted(cases, key=lambda c: c.d1 or "")  # stable: keeps the given order per type
    counters: dict[str, int] = {}
    out: list[_C] = []
    for case in ordered:
        n = counters[case.d1 or ""] = counters.get(case.d1 or "", 0) + 1
        out.append(case.model_copy(update={"d2": n}))
    return out


def _present(values: dict[str, int], fields: Sequence[tuple[str, str, bool]]) -> dict[str, int]:
    """Keep a △ pair only when it counts a case; required pairs always (0 when empty)."""
    kept: dict[str, int] = {}
    for count, points, required in fields:
        if required or values.get(count, 0) > 0:
            kept[count] = values.get(count, 0)
            kept[points] = values.get(points, 0)
    return kept


def build_claims(header: ClaimsHeader, cases: Sequence[Case | BuildCase]) -> ClaimsFile:
    """The 門診 claims file (t1=10) for ``cases``; see the module docstring for each field."""
    built = _numbered([_derive_case(item) for item in cases])
    values = group_totals(
        OUTPATIENT, ((outpatient_group(c.d1 or "", c.d8), c.d41 or 0) for c in built)
    )
    sums = _present(values, [(g.count, g.points, g.required) for g in OUTPATIENT.groups])
    copay_cases = [c.d40 for c in built if (c.d40 or 0) > 0]
    if copay_cases:
        sums["t39"] = len(copay_cases)
        sums["t40"] = sum(x or 0 for x in copay_cases)
    tdata = Totals(
        t1=OUTPATIENT.t1,
        t2=header.institution,
        t3=fee_month_text(header.fee_month),
        t4=header.method,
        t5=header.kind,
        t6=format_roc_date(header.report_date),
        t41=_roc(header.period_from),
        t42=_roc(header.period_to),
        **sums,
    )
    return ClaimsFile(tdata=tdata, cases=tuple(built))


def _pharmacy_orders(orders: Sequence[PharmacyOrderLine]) -> tuple[PharmacyOrderLine, ...]:
    out: list[PharmacyOrderLine] = []
    for seq, o in enumerate(orders, start=1):
        points = pharmacy_order_points(o.p1 or "", o.p2 or "", o.p7 or 0, o.p8 or 0, o.p6)  # type: ignore[arg-type]
        out.append(o.model_copy(update={"p10": seq, "p9": points}))
    return tuple(out)


def _derive_pharmacy(item: PharmacyCase | BuildPharmacyCase) -> PharmacyCase:
    case, copay = (item.case, item.copay) if isinstance(item, BuildPharmacyCase) else (item, None)
    orders = _pharmacy_orders(case.orders)
    sums: dict[str, int] = {}
    codes9: list[str] = []
    for o in orders:
        sums[o.p1 or ""] = sums.get(o.p1 or "", 0) + (o.p9 or 0)
        if o.p1 == "9":
            codes9.append(o.p2 or "")
    upd: dict[str, object] = {
        "orders": orders,
        "d31": sums.get("3"),
        "d32": sums.get("2"),
        "d33": sums.get("1"),
        "d38": sums.get("9"),
        "d37": codes9[0] if len(codes9) == 1 else None,
    }
    total = sum(sums.get(c, 0) for c in ("3", "2", "1", "9"))
    copay_amount = case.d17 or 0
    if copay is not None:
        result = compute_copay(copay.model_copy(update={"drug_points": sums.get("1", 0)}))
        copay_amount = result.total
        upd["d15"] = result.code_d15
        upd["d19"] = result.admin_assist_d43 if result.code_d15 in _admin_codes(copay) else None
    upd.update({"d18": total, "d17": copay_amount, "d16": total - copay_amount})
    return case.model_copy(update=upd)


def build_pharmacy_claims(
    header: ClaimsHeader, cases: Sequence[PharmacyCase | BuildPharmacyCase]
) -> PharmacyClaimsFile:
    """The 藥局 claims file (t1=30) for ``cases``."""
    if header.method == "1":  # 交付機構 t4 has no 書面 (p.1)
        raise ValidationFailed(field="method", reason="not_for_pharmacy")
    built = _numbered([_derive_pharmacy(item) for item in cases])
    values = group_totals(PHARMACY, ((pharmacy_group(c.d1 or ""), c.d16 or 0) for c in built))
    sums = _present(values, [(g.count, g.points, g.required) for g in PHARMACY.groups])
    tdata = PharmacyTotals(
        t1=PHARMACY.t1,
        t2=header.institution,
        t3=fee_month_text(header.fee_month),
        t4=header.method,
        t5=header.kind,
        t6=format_roc_date(header.report_date),
        t13=_roc(header.period_from),
        t14=_roc(header.period_to),
        **sums,
    )
    return PharmacyClaimsFile(tdata=tdata, cases=tuple(built))
