"""Cross-field rules of the 門診 file (spec 1040409; page and 註 in each rule's source).

Per case: 醫令序 and p12 (p.18), d32-d38 subtotals and d35/d37 (p.11-12, 註24), d39 (p.12),
d41 (p.13), d10 (p.6-7, 註7), d11 (p.7), d12 vs t5 (p.7), d17 vs d16 (p.8), 903 newborn fields
(p.13-14), copay d15/d40/d43 by copay.py (註10, d43 p.13), no 診察費 for A3/05/08/28 (p.12,
註9(2)), 診察費 code vs d28 and vs the doctor's daily band (支付標準 via consult_fee.py).
Per file: d2 (p.5), the 總表段 (pp.1-3, 註3), d9 within t3 (warning).
論病例計酬 (C1) cases sum 醫令類別 4 by code length and claim a fixed amount (d32 四, d41 三):
their subtotal and d41 checks are skipped.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from clinicbox_core.nhi.claims.findings import Finding, make
from clinicbox_core.nhi.claims.formats import OUTPATIENT, outpatient_group
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
from clinicbox_core.nhi.claims.totals import VIRTUAL_ORDER_CODES, outpatient_order_points
from clinicbox_core.nhi.claims.xml_parser import RawCase, RawFile
from clinicbox_core.nhi.consult_fee import CONSULTATION_RULES, FEE_CODE_KINDS, FeeKind
from clinicbox_core.nhi.copay import InstitutionLevel, VisitKind
from clinicbox_core.nhi.effective import in_force
from clinicbox_core.nhi.errors import NoRuleInForce

__all__ = ["check_outpatient", "consult_band", "dispensing_of"]

_NO_CONSULT = frozenset({"A3", "05", "08", "28"})
_DELEGATED_D28 = frozenset({"1", "C", "D"})  # 藥品交付調劑 (d28 p.10)
_SUBTOTALS = (("1", "d32"), ("2", "d33"), ("3", "d34"), ("0", "d36"), ("9", "d38"))


def _points(order: dict[str, str]) -> int | None:
    if order.get("p4") in VIRTUAL_ORDER_CODES:
        return 0
    total, price = to_decimal(order.get("p10")), to_decimal(order.get("p11"))
    if total is None or price is None:
        return None
    return outpatient_order_points(total, price, to_decimal(order.get("p8")))


def _level(case_type: str) -> InstitutionLevel:
    if case_type[:1] == "1" and case_type.isdigit():
        return InstitutionLevel.DENTAL_PRIMARY
    if case_type.isdigit() and 21 <= int(case_type) <= 30:
        return InstitutionLevel.TCM_PRIMARY
    return InstitutionLevel.WESTERN_PRIMARY


def _kind(case_type: str) -> VisitKind:
    if case_type in {"08", "28"}:
        return VisitKind.CHRONIC_REFILL
    return VisitKind.EMERGENCY if case_type in {"02", "12"} else VisitKind.GENERAL


def dispensing_of(d28: str | None) -> str:
    """``'delegated'`` (藥品交付調劑) or ``'self'`` (自行調劑 / 未開處方) from d28."""
    return "delegated" if d28 in _DELEGATED_D28 else "self"


def consult_band(code: str, on: date) -> tuple[frozenset[int], bool] | None:
    """(band indexes, is the 交付 code) of a 基層 consultation code under the rule in force.

    A 慢箋 code can cover several bands (00139C: 1-30 and 31-40), hence a set.
    """
    try:
        params = in_force(CONSULTATION_RULES, on, rule="consultation_fee").params
    except NoRuleInForce:
        return None
    bands: set[int] = set()
    delegated_code = False
    for index, (_upper, codes) in enumerate(params.bands):
        for delegated, other in codes.values():
            if code in (delegated, other):
                bands.add(index)
                delegated_code = code == delegated
    return (frozenset(bands), delegated_code) if bands else None


def _band_of_ordinal(ordinal: int, on: date) -> int:
    params = in_force(CONSULTATION_RULES, on, rule="consultation_fee").params
    for index, (upper, _codes) in enumerate(params.bands):
        if upper is None or ordinal <= upper:
            return index
    return len(params.bands) - 1


def _check_case(case: RawCase, t5: str | None, out: list[Finding]) -> None:
    v = case.fields
    label, idx = case_label(v), case.index
    d1 = v.get("d1", "")
    sums, codes = check_orders(OUTPATIENT, case, label, _points, out)
    if d1 != "C1":
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
                        zh=zh_of(OUTPATIENT, OUTPATIENT.case, fid),
                        expected=expected,
                    )
                )
    for category, fid in (("0", "d35"), ("9", "d37")):
        found = codes.get(category, [])
        expected_code = found[0] if len(found) == 1 else None
        if v.get(fid) != expected_code:
            out.append(
                make(
                    "X-FEE-CODE",
                    case=label,
                    case_index=idx,
                    field=fid,
                    value=v.get(fid),
                    zh=zh_of(OUTPATIENT, OUTPATIENT.case, fid),
                    expected=expected_code or "空白",
                )
            )
    parts = [to_int(v.get(f)) or 0 for f in ("d32", "d33", "d34", "d36", "d38")]
    d39, d40, d41 = to_int(v.get("d39")), to_int(v.get("d40")), to_int(v.get("d41"))
    if d39 is not None and d39 != sum(parts):
        out.append(
            make(
                "X-SUM",
                case=label,
                case_index=idx,
                field="d39",
                value=v.get("d39"),
                expected=sum(parts),
            )
        )
    if d1 != "C1" and None not in (d39, d40, d41) and d41 != (d39 or 0) - (d40 or 0):
        out.append(
            make(
                "X-NET",
                case=label,
                case_index=idx,
                field="d41",
                value=v.get("d41"),
                expected=(d39 or 0) - (d40 or 0),
            )
        )
    d9 = parse_date(v.get("d9", ""))
    d10 = parse_date(v.get("d10", "")) if "d10" in v else None
    birth = parse_birth(v.get("d11", ""))
    if d9 and birth and (birth > d9 or (d9.year - birth.year) >= 150):
        out.append(make("X-BIRTH", case=label, case_index=idx, field="d11", value=v.get("d11")))
    if d1 in {"08", "28"} and "d10" not in v:
        out.append(
            make(
                "X-END-DATE",
                case=label,
                case_index=idx,
                field="d10",
                detail="慢性病連續處方調劑必填 / required for refills",
            )
        )
    if d9 and d10 and d10 < d9:
        out.append(
            make(
                "X-END-DATE",
                case=label,
                case_index=idx,
                field="d10",
                value=v.get("d10"),
                detail="早於就醫日期 / before the visit date",
            )
        )
    check_supplement_reason(t5, v, "d12", label=label, idx=idx, out=out)
    if "d16" in v and v.get("d17") in (None, "N"):
        out.append(
            make(
                "X-REFERRAL",
                case=label,
                case_index=idx,
                field="d17",
                value=v.get("d17"),
                detail="d16 有註記時必填 / required with d16",
            )
        )
    _check_d28(case, label, out)
    _check_newborn(v, label, idx, d9, out)
    _check_copay(v, label, idx, d9, sums.get("1", 0), out)
    if d1 in _NO_CONSULT and ("d35" in v or "d36" in v or "0" in codes):
        out.append(make("X-NO-CONSULT", case=label, case_index=idx, field="d35", value=d1))


def _check_d28(case: RawCase, label: str, out: list[Finding]) -> None:
    """註11: no drug order → 2 (未開處方); a drug order → not 2; a 交付 drug line → 1."""
    d28 = case.fields.get("d28")
    if d28 is None:
        return
    drugs = [o for o in case.orders if o.get("p3") in {"1", "4"} and len(o.get("p4", "")) == 10]
    delegated = any(o.get("p2") == "1" for o in drugs)
    if not drugs and d28 in {"0", "1", "6"}:
        detail = "無藥品醫令應填 2 / no drug orders: 2"
    elif drugs and d28 == "2":
        detail = "有藥品醫令不得填 2 / drug orders present: not 2"
    elif delegated and d28 in {"0", "6"}:
        detail = "有交付調劑藥品應填 1 / delegated drug lines: 1"
    else:
        return
    out.append(
        make("X-D28", case=label, case_index=case.index, field="d28", value=d28, detail=detail)
    )


def _check_newborn(
    v: dict[str, str], label: str, idx: int, d9: date | None, out: list[Finding]
) -> None:
    born = parse_date(v.get("d45", "")) if "d45" in v else None
    if v.get("d15") == "903" and "d45" not in v:
        out.append(
            make(
                "X-NEWBORN",
                case=label,
                case_index=idx,
                field="d45",
                detail="903 須填新生兒出生日期 / 903 needs d45",
            )
        )
    if born and d9 and not 0 <= (d9 - born).days <= 60:
        out.append(
            make(
                "X-NEWBORN",
                case=label,
                case_index=idx,
                field="d45",
                value=v["d45"],
                detail="就醫日期−出生日期須≤60日 / visit − birth must be ≤ 60 days",
            )
        )
    if "d45" in v and "d51" not in v:
        out.append(
            make(
                "X-NEWBORN",
                case=label,
                case_index=idx,
                field="d51",
                detail="須填胞胎註記 / d51 required with d45",
            )
        )


def _check_copay(
    v: dict[str, str], label: str, idx: int, d9: date | None, drugs: int, out: list[Finding]
) -> None:
    d1, d15 = v.get("d1", ""), v.get("d15")
    if d1 == "A3":  # d15 二: 預防保健 → 009
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
    exp = expected_copay(d9, d15, _level(d1), _kind(d1), drugs)
    if exp is None:
        return
    check_copay_fields(exp, v, amount_field="d40", admin_field="d43", label=label, idx=idx, out=out)


def _check_consultations(raw: RawFile, out: list[Finding]) -> None:
    days: dict[tuple[str, str], list[tuple[RawCase, str, frozenset[int], date]]] = {}
    for case in raw.cases:
        v = case.fields
        on = parse_date(v.get("d9", ""))
        if on is None:
            continue
        for order in case.orders:
            code = order.get("p4", "")
            if order.get("p3") != "0" or FEE_CODE_KINDS.get(code) is not FeeKind.CONSULTATION:
                continue
            band = consult_band(code, on)
            if band is None:
                continue
            bands, delegated_code = band
            wanted = dispensing_of(v.get("d28")) == "delegated"
            if delegated_code != wanted:
                pair = _pair(code, on)
                expected = pair[0] if wanted else pair[1]
                reason = "處方交付特約藥局調劑" if wanted else "未開處方或本院所自行調劑"
                out.append(
                    make(
                        "X-CONSULT-DISPENSING",
                        case=case_label(v),
                        case_index=case.index,
                        field="d35",
                        value=code,
                        expected=expected,
                        reason=reason,
                        reason_en="per d28 " + v.get("d28", ""),
                    )
                )
            days.setdefault((v.get("d30", ""), v["d9"]), []).append((case, code, bands, on))
    for (doctor, day), visits in days.items():
        allowed = Counter(_band_of_ordinal(n, visits[0][3]) for n in range(1, len(visits) + 1))
        used: Counter[int] = Counter()
        for case, code, covered, _on in sorted(visits, key=lambda v: len(v[2])):
            index = next((b for b in sorted(covered) if used[b] < allowed[b]), min(covered))
            used[index] += 1
            if used[index] > allowed[index]:
                out.append(
                    make(
                        "X-CONSULT-BAND",
                        case=case_label(case.fields),
                        case_index=case.index,
                        field="d35",
                        value=code,
                        doctor=doctor,
                        day=day,
                        n=len(visits),
                        code=code,
                        band=index + 1,
                    )
                )


def _pair(code: str, on: date) -> tuple[str, str]:
    params = in_force(CONSULTATION_RULES, on, rule="consultation_fee").params
    for _upper, codes in params.bands:
        for pair in codes.values():
            if code in pair:
                return pair
    return code, code


def check_outpatient(raw: RawFile, out: list[Finding]) -> None:
    """Append every cross-field finding of a 門診 file."""
    t = raw.tdata
    month = t.get("t3")
    items: list[tuple[str | None, int]] = []
    copays: list[int] = []
    for case in raw.cases:
        _check_case(case, t.get("t5"), out)
        v = case.fields
        d1 = v.get("d1", "")
        group = outpatient_group(d1, v.get("d8"))
        if group is None and d1 in OUTPATIENT.codes["d1"]:
            out.append(
                make("X-GROUP", case=case_label(v), case_index=case.index, field="d1", value=d1)
            )
        items.append((group, to_int(v.get("d41")) or 0))
        if (to_int(v.get("d40")) or 0) > 0:
            copays.append(to_int(v.get("d40")) or 0)
        when = v.get("d10") or v.get("d9")
        if month and when and len(when) == 7 and when[:5] != month:
            out.append(
                make(
                    "X-MONTH",
                    case=case_label(v),
                    case_index=case.index,
                    field="d10" if "d10" in v else "d9",
                    value=when,
                    zh="就醫日期",
                    month=month,
                )
            )
    check_serials(OUTPATIENT, raw.cases, out)
    extra = {"t39": len(copays), "t40": sum(copays)}
    check_totals(OUTPATIENT, t, items, extra, out)
    _check_consultations(raw, out)
