"""``validate(data) -> list[Finding]``: every problem of a claims file, ours or a legacy HIS's.

Order of work: bytes → raw texts (xml_parser.parse_raw; a file that is not XML at all gives one
``S-XML`` finding), structural problems, field rules on every value (rules_field), then the
format's cross-field rules (rules_outpatient / rules_pharmacy). Findings come in file order:
structure and 總表段 first, then per case.
"""

from __future__ import annotations

from clinicbox_core.nhi.claims.findings import Finding, make
from clinicbox_core.nhi.claims.formats import OUTPATIENT
from clinicbox_core.nhi.claims.rules_common import case_label
from clinicbox_core.nhi.claims.rules_field import check_values
from clinicbox_core.nhi.claims.rules_outpatient import check_outpatient
from clinicbox_core.nhi.claims.rules_pharmacy import check_pharmacy
from clinicbox_core.nhi.claims.xml_parser import ClaimsParseError, parse_raw

__all__ = ["errors_only", "validate"]


def validate(data: bytes) -> list[Finding]:
    """All findings for the claims file ``data`` (empty list: the file passes every rule)."""
    try:
        raw = parse_raw(data)
    except ClaimsParseError as exc:
        return [make("S-XML", detail=f"{exc.params.get('reason')}: {exc.params.get('detail')}")]
    fmt = raw.fmt
    out: list[Finding] = [make(rule, detail=detail) for rule, detail in raw.problems]
    memo: dict[tuple[str, str], tuple[str, dict[str, object]] | None] = {}
    check_values(fmt, fmt.totals, raw.tdata, out, memo=memo)
    for case in raw.cases:
        label = case_label(case.fields)
        out.extend(
            make(rule, case=label, case_index=case.index, detail=d) for rule, d in case.problems
        )
        check_values(fmt, fmt.case, case.fields, out, case=label, case_index=case.index, memo=memo)
        for n, order in enumerate(case.orders, start=1):
            where = order.get(fmt.order_seq) or f"#{n}"
            check_values(
                fmt,
                fmt.order,
                order,
                out,
                case=label,
                case_index=case.index,
                order=where,
                memo=memo,
            )
    if fmt is OUTPATIENT:
        check_outpatient(raw, out)
    else:
        check_pharmacy(raw, out)
    return out


def errors_only(findings: list[Finding]) -> list[Finding]:
    """The findings of severity ``error``."""
    return [f for f in findings if f.severity == "error"]
