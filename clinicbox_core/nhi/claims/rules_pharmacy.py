"""Cross-field rules of the 藥局 file (交付機構 spec 1040409; pages in each rule's source).

Per case: 醫令序 p10 and p9 (p.11-12), d31/d32/d33/d38 subtotals and d37 (p.8-9, 註18),
d18 = d31+d32+d33+d38 and d16 = d18 − d17 (p.5), d6 ≤ d23, d4 vs t5 (p.8), refill fields for
案件分類 2 (d22, d35, d36 p.9; d43 from the 2nd dispensing; d7 IC02-IC04, p.4), 903 → d44
(p.10), copay d15/d17/d19 by copay.py (I20/I21/I22, p.4-5). Per file: d2, 總表 t7-t12 (p.1-2),
d23 within t3 (warning).
"""

from __future__ import annotations

from clinicbox_core.nhi.claims.findings import Finding, make
from clinicbox_core.nhi.claims.formats import PHARMACY, pharmacy_group
from clinicbox_core.nhi.claims.rules_common import (
    case_label,
    check_copay_fields,
    check_orders,
    check_serials,
    check_supplement_reason,
    check_totals,
    expected_copay,
    zh_of,
)
from clinicbox_core.nhi.claims.rules_field import parse_birth, parse_date, to_decimal, to_int
from clinicbox_core.nhi.claims.totals import pharmacy_order_points
from clinicbox_core.nhi.claims.xml_parser import RawCase, RawFile
from clinicbox_core.nhi.copay import InstitutionLevel, VisitKind

__all__ = ["check_pharmacy"]

_SUBTOTALS = (("3", "d31"), ("2", "d32"), ("1", "d33"), ("9", "d38"))
_DRUG_COPAY_FREE_ORIGIN = frozenset({"11", "12", "13", "14", "15", "16", "19", "C1"})  # I22


def _points(order: dict[str, str]) -> int | None:
    total, price = to_decimal(order.get("p7")), to_decimal(order.get("p8"))
    if total is None or price is None:
        return None
    return pharmacy_order_points(
        order.get("p1", ""), order.get("p2", ""), total, price, order.get("p6")
    )


def _check_case(case: RawCase, t5: str | None, out: list[Finding]) -> None:
    v = case.fields
    label, idx = case_label(v), case.index
    sums, codes = check_orders(PHARMACY, case, label, _points, out)
    for category, fid in _SUBTOTALS:
        actual, expected = to_int(v.get(fid)) or 0, sums.get(category, 0)
        if actual != expected and (v.get(fid) is None or v[fid].isdigit()):
            out.append(
                make(
                    "X-SUBTOTAL",
                    case=label,
                    case_index=idx,
                    field=fid,
                    value=v.get(fid),
                    zh=zh_of(PHARMACY, PHARMACY.case, fid),
                    expected=expected,
                )
            )
    found = codes.get("9", [])
    expected_code = found[0] if len(found) == 1 else None
    if v.get("d37") != expected_code:
        out.append(
            make(
                "X-FEE-CODE",
                case=label,
                case_index=idx,
                field="d37",
                value=v.get("d37"),
                zh=zh_of(PHARMACY, PHARMACY.case, "d37"),
                expected=expected_code or "空白",
            )
        )
    total = sum(to_int(v.get(f)) or 0 for f in ("d31", "d32", "d33", "d38"))
    d16, d17, d18 = to_int(v.get("d16")), to_int(v.get("d17")), to_int(v.get("d18"))
    if d18 is not None and d18 != total:
        out.append(
            make(
                "X-SUM", case=label, case_index=idx, field="d18", value=v.get("d18"), expected=total
            )
        )
    if None not in (d16, d17, d18) and d16 != (d18 or 0) - (d17 or 0):
        out.append(
            make(
                "X-NET",
                case=label,
                case_index=idx,
                field="d16",
                value=v.get("d16"),
                expected=(d18 or 0) - (d17 or 0),
            )
        )
    on = parse_date(v.get("d23", ""))
    birth = parse_birth(v.get("d6", ""))
    if on and birth and (birth > on or on.year - birth.year >= 150):
        out.append(make("X-BIRTH", case=label, case_index=idx, field="d6", value=v.get("d6")))
    check_supplement_reason(t5, v, "d4", label=label, idx=idx, out=out)
    d1 = v.get("d1", "")
    if d1 == "2":
        for fid in ("d22", "d35", "d36"):
            if fid not in v:
                out.append(
                    make(
                        "X-REFILL",
                        case=label,
                        case_index=idx,
                        field=fid,
                        detail=f"{fid} 必填 / required",
                    )
                )
        nth = to_int(v.get("d35"))
        if nth is not None and nth >= 2:
            if "d43" not in v:
                out.append(
                    make(
                        "X-REFILL",
                        case=label,
                        case_index=idx,
                        field="d43",
                        detail="第二次以後調劑須填原處方就醫序號 / d43 required",
                    )
                )
            if v.get("d7") != f"IC0{nth}":
                out.append(
                    make(
                        "X-REFILL",
                        case=label,
                        case_index=idx,
                        field="d7",
                        value=v.get("d7"),
                        detail=f"就醫序號應為 IC0{nth} / d7 should be IC0{nth}",
                    )
                )
        slips = to_int(v.get("d36"))
        if nth is not None and slips is not None and nth > slips:
            out.append(
                make(
                    "X-REFILL",
                    case=label,
                    case_index=idx,
                    field="d35",
                    value=v.get("d35"),
                    detail="調劑序號大於可調劑次數 / d35 > d36",
                )
            )
    if v.get("d15") == "903" and "d44" not in v:
        out.append(
            make(
                "X-NEWBORN",
                case=label,
                case_index=idx,
                field="d44",
                detail="903 須填新生兒出生日期 / 903 needs d44",
            )
        )
    _check_copay(v, label, idx, on, sums.get("1", 0), out)


def _check_copay(
    v: dict[str, str], label: str, idx: int, on: object, drugs: int, out: list[Finding]
) -> None:
    d1, d15 = v.get("d1", ""), v.get("d15")
    if d1 == "D":  # 藥事居家照護 → 009 (p.5)
        if d15 != "009":
            out.append(
                make(
                    "X-COPAY-CODE",
                    case=label,
                    case_index=idx,
                    field="d15",
                    value=d15,
                    expected="009",
                    basis="d15 二",
                )
            )
        return
    refill = d1 == "2" or v.get("d22") in _DRUG_COPAY_FREE_ORIGIN
    kind = VisitKind.CHRONIC_REFILL if refill else VisitKind.GENERAL
    exp = expected_copay(
        on if isinstance(on, type(parse_date("1130101"))) else None,
        d15,
        InstitutionLevel.PHARMACY,
        kind,
        drugs,
    )
    if exp is None:
        return
    check_copay_fields(exp, v, amount_field="d17", admin_field="d19", label=label, idx=idx, out=out)


def check_pharmacy(raw: RawFile, out: list[Finding]) -> None:
    """Append every cross-field finding of a 藥局 file."""
    t = raw.tdata
    month = t.get("t3")
    items: list[tuple[str | None, int]] = []
    for case in raw.cases:
        _check_case(case, t.get("t5"), out)
        v = case.fields
        d1 = v.get("d1", "")
        group = pharmacy_group(d1)
        if group is None and d1 in PHARMACY.codes["d1"]:
            out.append(
                make("X-GROUP", case=case_label(v), case_index=case.index, field="d1", value=d1)
            )
        items.append((group, to_int(v.get("d16")) or 0))
        when = v.get("d23")
        if month and when and len(when) == 7 and when[:5] != month:
            out.append(
                make(
                    "X-MONTH",
                    case=case_label(v),
                    case_index=case.index,
                    field="d23",
                    value=when,
                    zh="調劑日期",
                    month=month,
                )
            )
    check_serials(PHARMACY, raw.cases, out)
    check_totals(PHARMACY, t, items, {}, out)
