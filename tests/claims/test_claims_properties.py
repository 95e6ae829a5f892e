"""Property tests: every generated file passes our validator and round-trips through the parser."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from clinicbox_core.nhi.claims.build import build_claims, build_pharmacy_claims
from clinicbox_core.nhi.claims.demo import demo_clinic_month, demo_pharmacy_month
from clinicbox_core.nhi.claims.model import Case, OrderLine
from clinicbox_core.nhi.claims.validate import validate
from clinicbox_core.nhi.claims.xml_parser import parse_claims
from clinicbox_core.nhi.claims.xml_writer import to_xml

MONTHS = st.sampled_from([date(2016, 5, 1), date(2023, 6, 1), date(2023, 7, 1), date(2024, 2, 1)])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 120), seed=st.integers(0, 10**6), month=MONTHS, indent=st.booleans())
def test_generated_clinic_months_validate_and_round_trip(
    n: int, seed: int, month: date, indent: bool
) -> None:
    model = build_claims(*demo_clinic_month(n, seed=seed, month=month))
    data = to_xml(model, indent=indent)
    assert [f for f in validate(data) if f.severity == "error"] == []
    assert parse_claims(data) == model


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 80), seed=st.integers(0, 10**6), month=MONTHS)
def test_generated_pharmacy_months_validate_and_round_trip(n: int, seed: int, month: date) -> None:
    model = build_pharmacy_claims(*demo_pharmacy_month(n, seed=seed, month=month))
    data = to_xml(model)
    assert [f for f in validate(data) if f.severity == "error"] == []
    assert parse_claims(data) == model


_AMOUNT = st.decimals(min_value=0, max_value=9999, places=1, allow_nan=False, allow_infinity=False)
_PRICE = st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False, allow_infinity=False)
_RATIO = st.sampled_from(
    [Decimal("100.00"), Decimal("120.00"), Decimal("107.50"), Decimal("80.00")]
)


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(
        st.tuples(st.sampled_from("0239"), _AMOUNT, _PRICE, _RATIO), min_size=1, max_size=8
    ),
    name=st.text(alphabet="王陳林張李黃吳劉&<>abc", min_size=1, max_size=10),
)
def test_any_order_arithmetic_round_trips_and_validates(
    lines: list[tuple[str, Decimal, Decimal, Decimal]], name: str
) -> None:
    orders = tuple(
        OrderLine(p3=cat, p4=f"4800{i}C", p8=ratio, p10=total, p11=price)
        for i, (cat, total, price, ratio) in enumerate(lines)
    )
    case = Case(
        d1="09", d8="01", d9="0981005", d11="0790215", d3="A123456789", d15="D10", d17="N", d18="N",
        d28="2", d29="0001", d30="A123456789", d40=0, d49=name[:10], orders=orders,
    )  # fmt: skip
    from claims_samples import HEADER

    model = build_claims(HEADER, [case])
    data = to_xml(model)
    assert parse_claims(data) == model
    errors = [
        f
        for f in validate(data)
        if f.severity == "error" and f.rule not in {"F-WIDTH", "X-CONSULT-BAND"}
    ]
    assert errors == []
