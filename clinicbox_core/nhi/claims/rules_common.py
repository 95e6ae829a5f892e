"""Cross-field rules both formats share: 醫令序, order points, subtotals, single fee code, sums,
流水編號 per 案件分類, the 總表段 against the cases, and the copay rule (via copay.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.claims.fields import specs_of
from clinicbox_core.nhi.claims.findings import Finding, make
from clinicbox_core.nhi.claims.formats import ClaimsFormat
from clinicbox_core.nhi.claims.rules_field import to_int
from clinicbox_core.nhi.claims.totals import group_totals
from clinicbox_core.nhi.claims.xml_parser import RawCase
from clinicbox_core.nhi.copay import (
    COPAY_RULES,
    CopayInput,
    InstitutionLevel,
    VisitKind,
    compute_copay,
)
from clinicbox_core.nhi.effective import in_force
from clinicbox_core.nhi.errors import NoRuleInForce

__all__ = [
    "ExpectedCopay",
    "case_label",
    "check_orders",
    "check_serials",
    "check_totals",
    "expected_copay",
    "zh_of",
]


def case_label(fields: dict[str, str]) -> str:
    """``09-0012``: 案件分類 and 流水編號, how a clinic names a case."""
    return f"{fields.get('d1', '??')}-{fields.get('d2', '?').zfill(4)}"


def zh_of(fmt: ClaimsFormat, model: type, field_id: str) -> str:
    for f in specs_of(model):
        if f.id == field_id:
            return f.zh
    return field_id


def check_orders(
    fmt: ClaimsFormat,
    case: RawCase,
    label: str,
    points_of: Callable[[dict[str, str]], int | None],
    out: list[Finding],
) -> tuple[dict[str, int], dict[str, list[str]]]:
    """醫令序 1..n and each order's points; returns Σ points and the codes per 醫令類別."""
    sums: dict[str, int] = {}
    codes: dict[str, list[str]] = {}
    for n, order in enumerate(case.orders, start=1):
        seq = order.get(fmt.order_seq)
        where = seq or f"#{n}"
        if seq is not None and to_int(seq) != n:
            out.append(
                make(
                    "X-ORDER-SEQ",
                    case=label,
                    case_index=case.index,
                    order=where,
                    field=fmt.order_seq,
                    value=seq,
                    n=n,
                )
            )
        points = to_int(order.get(fmt.order_points))
        expected = points_of(order)
        if expected is not None and points is not None and points != expected:
            out.append(
                make(
                    "X-ORDER-POINTS",
                    case=label,
                    case_index=case.index,
                    order=where,
                    field=fmt.order_points,
                    value=str(points),
                    expected=expected,
                )
            )
        category = order.get(fmt.order_category, "")
        sums[category] = sums.get(category, 0) + (points or 0)
        codes.setdefault(category, []).append(order.get(fmt.order_code, ""))
    return sums, codes


def check_serials(fmt: ClaimsFormat, cases: Sequence[RawCase], out: list[Finding]) -> None:
    """d2 流水編號: per 案件分類 the numbers 1..n, each once (p.5)."""
    by_type: dict[str, list[RawCase]] = {}
    for case in cases:
        by_type.setdefault(case.fields.get(fmt.case_type, ""), []).append(case)
    for members in by_type.values():
        n = len(members)
        seen: set[int] = set()
        for case in members:
            serial = to_int(case.fields.get(fmt.serial))
            if serial is None:
                continue  # a field rule reports it
            if not 1 <= serial <= n or serial in seen:
                out.append(
                    make(
                        "X-SERIAL",
                        case=case_label(case.fields),
                        case_index=case.index,
                        field=fmt.serial,
                        value=str(serial),
                        expected=f"1..{n}",
                    )
                )
            seen.add(serial)


def check_totals(
    fmt: ClaimsFormat,
    tdata: dict[str, str],
    items: Sequence[tuple[str | None, int]],
    extra: dict[str, int],
    out: list[Finding],
) -> None:
    """Each 總表 count/points value against the sums over the cases (absent = 0)."""
    values = group_totals(fmt, items)
    values.update(extra)
    ids = [x for g in fmt.groups for x in (g.count, g.points)] + list(extra)
    for field_id in ids:
        actual = tdata.get(field_id)
        expected = values.get(field_id, 0)
        if (to_int(actual) or 0) != expected and (actual is None or actual.isdigit()):
            out.append(
                make(
                    "X-TOTALS",
                    field=field_id,
                    value=actual,
                    zh=zh_of(fmt, fmt.totals, field_id),
                    expected=expected,
                )
            )


class ExpectedCopay:
    """What the copay rule in force says for a case: d15 (``None``: no opinion), d40, d43."""

    __slots__ = ("admin", "amount", "code", "rule_id")

    def __init__(self, code: str | None, amount: int, admin: int | None, rule_id: str) -> None:
        self.code, self.amount, self.admin, self.rule_id = code, amount, admin, rule_id


def expected_copay(
    on: date | None,
    code: str | None,
    level: InstitutionLevel,
    kind: VisitKind,
    drug_points: int,
) -> ExpectedCopay | None:
    """The copay expected for a case claimed with d15 ``code``; ``None`` = not checkable."""
    if on is None or code is None:
        return None
    try:
        row = in_force(COPAY_RULES, on, rule="copay")
    except NoRuleInForce:
        return None
    p = row.params
    disabled = len(code) == 3 and code[2] == "3" and code[0] in "DHS"
    try:
        due = compute_copay(
            CopayInput(
                on=on,
                institution_level=level,
                visit_kind=kind,
                drug_points=drug_points,
                disabled=disabled,
            )
        )
    except ValidationFailed:
        return None
    if code in p.exemption_codes:
        admin = due.total if code in p.admin_assist_codes else None
        return ExpectedCopay(None, 0, admin, row.rule_id)
    if level is InstitutionLevel.PHARMACY or code[:1] in {"D", "H", "S"}:
        return ExpectedCopay(due.code_d15, due.total, None, row.rule_id)
    return None  # hospital-level or programme codes (A.., K00, Z00 ...): not modelled


def check_copay_fields(
    exp: ExpectedCopay,
    fields: dict[str, str],
    *,
    amount_field: str,
    admin_field: str,
    label: str,
    idx: int,
    out: list[Finding],
) -> None:
    """Compare a case's copay code (d15), amount and 行政協助 amount with the rule's expectation.

    The fields are named differently in the two formats: 門診 d40 / d43, 藥局 d17 / d19."""
    d15 = fields.get("d15")
    if exp.code is not None and exp.code != d15:
        out.append(
            make(
                "X-COPAY-CODE",
                case=label,
                case_index=idx,
                field="d15",
                value=d15,
                expected=exp.code,
                basis=exp.rule_id,
            )
        )
    amount = to_int(fields.get(amount_field))
    if amount is not None and amount != exp.amount:
        out.append(
            make(
                "X-COPAY",
                case=label,
                case_index=idx,
                field=amount_field,
                value=fields.get(amount_field),
                expected=exp.amount,
                basis=exp.rule_id,
            )
        )
    if to_int(fields.get(admin_field)) != exp.admin and (
        exp.admin is not None or admin_field in fields
    ):
        out.append(
            make(
                "X-ADMIN-COPAY",
                case=label,
                case_index=idx,
                field=admin_field,
                value=fields.get(admin_field),
                expected=exp.admin if exp.admin is not None else "空白",
            )
        )


def check_supplement_reason(
    t5: str | None, fields: dict[str, str], field: str, *, label: str, idx: int, out: list[Finding]
) -> None:
    """補報原因 is required on a 補報 file (t5=2) and absent on a 送核 file (t5=1); the field is
    d12 in 門診 files and d4 in 藥局 files."""
    if t5 == "2" and field not in fields:
        out.append(
            make(
                "X-SUPPLEMENT",
                case=label,
                case_index=idx,
                field=field,
                detail="補報案件必填 / required when t5=2",
            )
        )
    if t5 == "1" and field in fields:
        out.append(
            make(
                "X-SUPPLEMENT",
                case=label,
                case_index=idx,
                field=field,
                value=fields[field],
                detail="送核案件免填 / not for t5=1",
            )
        )
