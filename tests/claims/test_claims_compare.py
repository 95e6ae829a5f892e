"""compare(): a legacy file with planted differences gives exactly those differences."""

from __future__ import annotations

import json

from claims_samples import HEADER

from clinicbox_core.nhi.claims.build import build_claims
from clinicbox_core.nhi.claims.compare import compare
from clinicbox_core.nhi.claims.demo import demo_clinic_month
from clinicbox_core.nhi.claims.model import ClaimsFile
from clinicbox_core.nhi.claims.xml_writer import to_xml


def _ours() -> ClaimsFile:
    return build_claims(*demo_clinic_month(40, seed=11))


def test_identical_files_have_no_differences() -> None:
    data = to_xml(_ours())
    report = compare(data, data)
    assert report.summary == () and report.cases == ()
    assert "無差異" in report.to_text()


def test_planted_differences_are_exactly_reported() -> None:
    ours = _ours()
    cases = list(ours.cases)
    # 1. legacy claimed 00109C (交付) where ours, dispensing in-house, claims 00110C
    i = next(k for k, c in enumerate(cases) if c.d35 == "00110C")
    target = cases[i]
    orders = tuple(
        o.model_copy(update={"p4": "00109C"}) if o.p3 == "0" else o for o in target.orders
    )
    legacy_cases = list(cases)
    legacy_cases[i] = target.model_copy(update={"d35": "00109C", "orders": orders})
    # 2. legacy has an extra drug line on another case (more points)
    j = next(k for k, c in enumerate(cases) if k != i and c.d1 == "09" and c.d32)
    extra = cases[j].orders[-1].model_copy(update={"p4": "AC99999100"})
    legacy_cases[j] = cases[j].model_copy(
        update={"orders": (*cases[j].orders, extra), "d39": (cases[j].d39 or 0) + 7}
    )
    # 3. legacy claimed a case ours does not have; 4. ours has one legacy missed
    dropped = legacy_cases.pop(0)
    only_legacy = dropped.model_copy(update={"d3": "B123456780", "d2": 99})
    legacy_cases.append(only_legacy)
    legacy = ours.model_copy(
        update={
            "cases": tuple(legacy_cases),
            "tdata": ours.tdata.model_copy(update={"t38": (ours.tdata.t38 or 0) + 5}),
        }
    )

    report = compare(to_xml(legacy), to_xml(ours))

    assert [(d.field, d.legacy, d.ours) for d in report.summary] == [
        ("t38", str((ours.tdata.t38 or 0) + 5), str(ours.tdata.t38))
    ]
    kinds = sorted((c.kind, c.patient_id) for c in report.cases)
    assert kinds == sorted([
        ("changed", target.d3 or ""), ("changed", cases[j].d3 or ""),
        ("only_legacy", "B123456780"), ("only_ours", dropped.d3 or ""),
    ])  # fmt: skip
    consult = next(c for c in report.cases if c.patient_id == target.d3)
    assert [(f.field, f.legacy, f.ours) for f in consult.fields] == [("d35", "00109C", "00110C")]
    assert [(o.kind, o.code) for o in consult.orders] == [("changed", "00110C")]
    assert "本院所為自行調劑" in consult.fields[0].explanation
    assert "診察費代號 00109C → 00110C" in consult.orders[0].explanation
    drug = next(c for c in report.cases if c.patient_id == cases[j].d3)
    assert [(f.field, f.legacy, f.ours) for f in drug.fields] == [
        ("d39", str((cases[j].d39 or 0) + 7), str(cases[j].d39))
    ]
    assert [(o.kind, o.code) for o in drug.orders] == [("only_legacy", "AC99999100")]
    text = report.to_text()
    assert f"案件 {consult.ours_label}" in text and "原系統有申報、本系統未申報" in text
    assert json.loads(report.to_json())["summary"][0]["field"] == "t38"


def test_case_type_change_is_one_change_not_a_removal() -> None:
    ours = _ours()
    first = ours.cases[-1]
    legacy = ours.model_copy(
        update={"cases": (*ours.cases[:-1], first.model_copy(update={"d1": "01"}))}
    )
    report = compare(to_xml(legacy), to_xml(ours))
    assert [(c.kind, [f.field for f in c.fields]) for c in report.cases] == [("changed", ["d1"])]
    assert "西醫一般案件" in report.cases[0].fields[0].explanation
    assert HEADER.institution  # samples module shared with the other tests
