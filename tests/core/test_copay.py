"""部分負擔 for 基層 clinics and pharmacies: tables from the sources and properties."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.copay import (
    COPAY_RULES,
    Copay,
    CopayInput,
    InstitutionLevel,
    VisitKind,
    compute_copay,
    drug_copay_amount,
)
from clinicbox_core.nhi.errors import NoRuleInForce, UnknownCode

ON = date(2025, 3, 3)
W = InstitutionLevel.WESTERN_PRIMARY


def copay(**kw: object) -> Copay:
    base: dict[str, object] = {"on": ON, "institution_level": W}
    base.update(kw)
    return compute_copay(CopayInput.model_validate(base))


@pytest.mark.parametrize(
    ("points", "drug"),
    [(0, 0), (100, 0), (101, 20), (200, 20), (201, 40), (500, 80), (1000, 180), (1001, 200),
     (1200, 200), (99_999, 200)],
)  # fmt: skip
def test_drug_copay_bands(points: int, drug: int) -> None:
    assert drug_copay_amount(points, on=ON) == drug
    assert drug_copay_amount(points, on=date(2020, 1, 1)) == drug  # unchanged at 基層


@pytest.mark.parametrize(
    ("kw", "basic", "drug", "code"),
    [
        ({}, 50, 0, "D10"),
        ({"drug_points": 100}, 50, 0, "D10"),
        ({"drug_points": 101}, 50, 20, "D20"),
        ({"drug_points": 1200}, 50, 200, "D20"),
        ({"visit_kind": "emergency"}, 150, 0, "D00"),
        ({"visit_kind": "emergency", "drug_points": 350}, 150, 60, "D00"),
        ({"disabled": True}, 50, 0, "D13"),
        ({"disabled": True, "drug_points": 250}, 50, 40, "D20"),
        ({"visit_kind": "chronic_refill", "drug_points": 900}, 0, 0, "009"),
        ({"institution_level": "dental_primary", "drug_points": 900}, 50, 0, "H10"),
        ({"institution_level": "dental_primary", "visit_kind": "emergency"}, 150, 0, "H00"),
        ({"institution_level": "tcm_primary"}, 50, 0, "S10"),
        ({"institution_level": "tcm_primary", "drug_points": 245}, 50, 40, "S20"),
        ({"institution_level": "pharmacy", "drug_points": 80}, 0, 0, "I21"),
        ({"institution_level": "pharmacy", "drug_points": 380}, 0, 60, "I20"),
        ({"institution_level": "pharmacy", "visit_kind": "chronic_refill"}, 0, 0, "I22"),
    ],
)
def test_copay_table(kw: dict[str, object], basic: int, drug: int, code: str) -> None:
    result = copay(**kw)
    assert (result.basic, result.drug, result.code_d15) == (basic, drug, code)
    assert result.total == basic + drug
    assert result.admin_assist_d43 == 0
    assert result.rule_id == "copay-primary-1120701"


def test_disabled_code_before_2023_row_is_plain_d10() -> None:
    result = compute_copay(CopayInput(on=date(2020, 5, 1), institution_level=W, disabled=True))
    assert (result.code_d15, result.total, result.rule_id) == ("D10", 50, "copay-primary-1040409")


@pytest.mark.parametrize(
    ("exempt", "d43"),
    [("001", 0), ("002", 0), ("007", 0), ("009", 0), ("003", 90), ("004", 90), ("006", 90),
     ("902", 90), ("903", 90), ("906", 90), ("913", 90)],
)  # fmt: skip
def test_exemptions_zero_the_copay_and_report_d43(exempt: str, d43: int) -> None:
    result = compute_copay(
        CopayInput(on=ON, institution_level=W, drug_points=300, exemption_code=exempt)
    )
    assert (result.basic, result.drug, result.total) == (0, 0, 0)
    assert result.code_d15 == exempt
    assert result.admin_assist_d43 == d43  # 50 basic + 40 drug that would have been due


def test_codes_907_to_915_are_not_in_the_1040409_row() -> None:
    with pytest.raises(UnknownCode):
        compute_copay(CopayInput(on=date(2020, 1, 1), institution_level=W, exemption_code="913"))


def test_unknown_exemption_code() -> None:
    with pytest.raises(UnknownCode) as info:
        compute_copay(CopayInput(on=ON, institution_level=W, exemption_code="999"))
    assert info.value.params == {"field": "exemption_code", "code": "999"}


@pytest.mark.parametrize("level", ["tcm_primary", "pharmacy"])
def test_no_emergency_copay_for_tcm_or_pharmacy(level: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        compute_copay(
            CopayInput(
                on=ON, institution_level=InstitutionLevel(level), visit_kind=VisitKind.EMERGENCY
            )
        )
    assert info.value.params["field"] == "visit_kind"


def test_no_rule_before_the_first_edition() -> None:
    with pytest.raises(NoRuleInForce) as info:
        compute_copay(CopayInput(on=date(2014, 12, 31), institution_level=W))
    assert info.value.params == {"rule": "copay", "on": "2014-12-31"}


def test_rows_are_contiguous() -> None:
    first, second = COPAY_RULES
    assert first.valid_to is not None and (second.valid_from - first.valid_to).days == 1
    assert compute_copay(CopayInput(on=date(2023, 6, 30), institution_level=W)).rule_id == (
        "copay-primary-1040409"
    )
    assert compute_copay(CopayInput(on=date(2023, 7, 1), institution_level=W)).rule_id == (
        "copay-primary-1120701"
    )


def test_negative_points_refused() -> None:
    with pytest.raises(ValueError):
        CopayInput(on=ON, institution_level=W, drug_points=-1)
    with pytest.raises(ValidationFailed):
        drug_copay_amount(-1, on=ON)


inputs = st.builds(
    CopayInput,
    on=st.dates(min_value=date(2015, 3, 1), max_value=date(2035, 12, 31)),
    institution_level=st.sampled_from(list(InstitutionLevel)),
    visit_kind=st.sampled_from([VisitKind.GENERAL, VisitKind.CHRONIC_REFILL]),
    drug_points=st.integers(0, 100_000),
    exemption_code=st.none() | st.sampled_from(["001", "003", "009", "902"]),
    disabled=st.booleans(),
)


@given(inputs, st.integers(0, 5_000))
def test_monotone_in_drug_points(inp: CopayInput, extra: int) -> None:
    more = inp.model_copy(update={"drug_points": inp.drug_points + extra})
    assert compute_copay(inp).total <= compute_copay(more).total
    assert compute_copay(inp).drug <= compute_copay(more).drug


@given(inputs)
def test_capped_and_consistent(inp: CopayInput) -> None:
    result = compute_copay(inp)
    assert 0 <= result.drug <= 200
    assert result.drug % 20 == 0
    assert result.total == result.basic + result.drug
    assert result.basic <= 150


@given(inputs, st.sampled_from(["001", "002", "003", "004", "005", "006", "007", "008", "009"]))
def test_exempt_means_zero(inp: CopayInput, code: str) -> None:
    result = compute_copay(inp.model_copy(update={"exemption_code": code}))
    assert result.total == 0 and result.basic == 0 and result.drug == 0
    assert result.code_d15 == code
    due = compute_copay(inp.model_copy(update={"exemption_code": None})).total
    assert result.admin_assist_d43 == (due if code in {"003", "004", "005", "006"} else 0)
