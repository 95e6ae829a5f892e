"""Validator rules on targeted corruptions of a valid demo month (copay, fee code, ID, XML)."""

from __future__ import annotations

from clinicbox_core.nhi.claims.build import build_claims
from clinicbox_core.nhi.claims.demo import demo_clinic_month
from clinicbox_core.nhi.claims.model import Case, ClaimsFile
from clinicbox_core.nhi.claims.validate import validate
from clinicbox_core.nhi.claims.xml_writer import to_xml


def _month() -> ClaimsFile:
    return build_claims(*demo_clinic_month(30, seed=3))


def _with(model: ClaimsFile, index: int, **update: object) -> bytes:
    cases = list(model.cases)
    cases[index] = cases[index].model_copy(update=update)
    return to_xml(model.model_copy(update={"cases": tuple(cases)}))


def _rules(data: bytes) -> set[tuple[str, str | None]]:
    return {(f.rule, f.field) for f in validate(data) if f.severity == "error"}


def _first(model: ClaimsFile, pred: object) -> tuple[int, Case]:
    return next((i, c) for i, c in enumerate(model.cases) if pred(c))  # type: ignore[operator]


def test_copay_code_and_amount_follow_the_rule_in_force() -> None:
    m = _month()
    i, c = _first(m, lambda c: c.d15 == "D10")
    found = validate(_with(m, i, d15="D20"))
    code = [f for f in found if f.rule == "X-COPAY-CODE"]
    assert [(f.field, f.value, f.case) for f in code] == [("d15", "D20", f"{c.d1}-{c.d2:04d}")]
    assert "D10" in code[0].zh and "copay-primary-1120701" in code[0].en
    assert ("X-COPAY", "d40") in _rules(_with(m, i, d40=60, d41=(c.d39 or 0) - 60))


def test_consultation_code_must_match_dispensing() -> None:
    m = _month()
    i, c = _first(m, lambda c: c.d35 == "00110C")
    orders = tuple(o.model_copy(update={"p4": "00109C"}) if o.p3 == "0" else o for o in c.orders)
    found = [
        f
        for f in validate(_with(m, i, d35="00109C", orders=orders))
        if f.rule == "X-CONSULT-DISPENSING"
    ]
    assert len(found) == 1 and "00110C" in found[0].zh and "自行調劑" in found[0].zh


def test_id_check_digit_and_not_xml() -> None:
    m = _month()
    assert ("F-ID", "d3") in _rules(_with(m, 0, d3="A123456788"))
    assert [f.rule for f in validate(b"not xml")] == ["S-XML"]
    broken = to_xml(m).replace(b"<d8>01</d8>", b"<d8>01</d8><d99>x</d99>", 1)
    assert "S-UNKNOWN" in {f.rule for f in validate(broken)}


def test_totals_mismatch_is_reported_on_the_summary() -> None:
    m = _month()
    data = to_xml(
        m.model_copy(update={"tdata": m.tdata.model_copy(update={"t37": (m.tdata.t37 or 0) + 1})})
    )
    found = [f for f in validate(data) if f.rule == "X-TOTALS"]
    assert [(f.field, f.case) for f in found] == [("t37", None)]
