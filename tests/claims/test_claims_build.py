"""Builder arithmetic and golden files (spec examples), Big5 round trip."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from claims_samples import HEADER, outpatient_example, pharmacy_example

from clinicbox_core.nhi.claims.build import ClaimsHeader, build_claims
from clinicbox_core.nhi.claims.formats import outpatient_group
from clinicbox_core.nhi.claims.model import Case, OrderLine
from clinicbox_core.nhi.claims.totals import outpatient_order_points, round_half_up
from clinicbox_core.nhi.claims.validate import validate
from clinicbox_core.nhi.claims.xml_parser import parse_claims
from clinicbox_core.nhi.claims.xml_writer import to_xml

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(
    ("name", "build"),
    [("outpatient-1040409.xml", outpatient_example), ("pharmacy-1040409.xml", pharmacy_example)],
)
def test_golden_bytes_and_round_trip(name: str, build: object) -> None:
    model = build()  # type: ignore[operator]
    data = to_xml(model, indent=True)
    assert data == (GOLDEN / name).read_bytes()
    assert parse_claims(data) == model
    assert parse_claims(to_xml(model)) == model
    assert [f for f in validate(data) if f.severity == "error"] == []


def test_outpatient_example_derived_fields() -> None:
    f = outpatient_example()
    course, refill = (c for c in f.cases if c.d1 == "09"), (c for c in f.cases if c.d1 == "08")
    c, r = next(course), next(refill)
    assert (c.d33, c.d36, c.d35, c.d39, c.d41) == (315, 352, "00110C", 667, 617)
    assert [o.p13 for o in c.orders] == [1, 2, 3, 4]
    assert (r.d32, r.d37, r.d38, r.d39, r.d41) == (70, "05211C", 45, 115, 115)
    # 08 goes to t33/t34 (outside the 西醫小計) and into the total; points are d41
    t = f.tdata
    assert (t.t9, t.t10, t.t17, t.t18, t.t33, t.t34, t.t37, t.t38) == (
        1,
        617,
        1,
        617,
        1,
        115,
        2,
        732,
    )
    assert (t.t39, t.t40, t.t7) == (1, 50, None)
    assert "王小明".encode("cp950") in to_xml(f)


def test_p12_rounds_half_up_not_to_even() -> None:
    assert round_half_up(Decimal("2.5")) == 3
    assert outpatient_order_points(Decimal("1"), Decimal("352"), Decimal("120.00")) == 422  # 422.4
    assert outpatient_order_points(Decimal("3"), Decimal("0.5"), None) == 2  # 1.5 → 2


def test_serials_run_per_case_type_in_given_order() -> None:
    def case(d1: str, pid: str) -> Case:
        return Case(
            d1=d1,
            d8="01",
            d9="1130305",
            d11="0790215",
            d3=pid,
            d15="009",
            d17="N",
            d18="N",
            d29="0001",
            d30="A123456789",
        )

    f = build_claims(HEADER, [case("09", "A1"), case("04", "A2"), case("09", "A3")])
    assert [(c.d1, c.d2, c.d3) for c in f.cases] == [
        ("04", 1, "A2"),
        ("09", 1, "A1"),
        ("09", 2, "A3"),
    ]


def test_single_and_multiple_fee_orders() -> None:
    orders = (OrderLine(p3="0", p4="00109C", p10=Decimal(1), p11=Decimal(352)),) * 2
    c = Case(d1="09", d8="01", d9="1130305", d11="0790215", d3="A123456789", orders=orders)
    built = build_claims(HEADER, [c]).cases[0]
    assert (built.d35, built.d36) == (None, 704)  # 註24(2): several → code blank, points summed


def test_b7_goes_to_dental_projects_only_from_a_dental_department() -> None:
    assert outpatient_group("B7", "40") == "t21"
    assert outpatient_group("B7", "01") == "t9"
    assert outpatient_group("08", "01") == "t33"
    assert outpatient_group("01", "01") == "t7"
    assert outpatient_group("ZZ", "01") is None


def test_pharmacy_example_points() -> None:
    p = pharmacy_example()
    case = p.cases[0]
    assert (case.d33, case.d38, case.d37, case.d18, case.d16) == (70, 69, "05210B", 139, 139)
    assert (p.tdata.t9, p.tdata.t10, p.tdata.t7, p.tdata.t11, p.tdata.t12) == (1, 139, 0, 1, 139)


def test_pharmacy_refuses_paper_method() -> None:
    from clinicbox_core.errors import ValidationFailed
    from clinicbox_core.nhi.claims.build import build_pharmacy_claims

    with pytest.raises(ValidationFailed):
        build_pharmacy_claims(ClaimsHeader(**{**HEADER.model_dump(), "method": "1"}), [])
