"""Rules of the doctor's screen: 慢箋 issuing, 中醫 and 牙醫 fee codes, case types, tooth
positions."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.chronic_slip import check_chronic_slip
from clinicbox_core.nhi.consult_fee import RefillSlip, consultation_fee_code
from clinicbox_core.nhi.dental import (
    PERMANENT_TEETH,
    PRIMARY_TEETH,
    claim_position,
    dental_case_type,
    dental_consultation_fee_code,
    parse_tooth_positions,
)
from clinicbox_core.nhi.tcm import (
    TCM_TREATMENT_PAIRS,
    is_tcm_treatment,
    tcm_case_type,
    tcm_consultation_fee_code,
    tcm_treatment_code,
)
from clinicbox_core.nhi.visit_codes import lookup_case_type, western_case_type

ON = date(2026, 12, 3)


def test_chronic_slip_bounds_and_fee_column() -> None:
    slip = check_chronic_slip(ON, 3, 28)
    assert (slip.total_days, slip.refill_slip) == (84, RefillSlip.SLIP_28)
    assert consultation_fee_code(ON, 1, "delegated", 50, refill_slip=slip.refill_slip).code == (
        "00158C"
    )
    for fills, days, field in ((1, 28, "fills"), (4, 28, "fills"), (3, 27, "days_per_fill"),
                               (2, 31, "days_per_fill")):  # fmt: skip
        with pytest.raises(ValidationFailed) as err:
            check_chronic_slip(ON, fills, days)
        assert err.value.params["field"] == field
    assert western_case_type(issues_refill_slip=True) == "04"


@given(st.integers(2, 3), st.integers(28, 30))
def test_every_valid_slip_is_the_28_day_column(fills: int, days: int) -> None:
    slip = check_chronic_slip(ON, fills, days)
    assert slip.total_days == fills * days <= 90
    assert slip.refill_slip is RefillSlip.SLIP_28


def test_tcm_consultation_bands() -> None:
    assert tcm_consultation_fee_code(ON, 1, 40, nurse_present=True).code == "A01"
    assert tcm_consultation_fee_code(ON, 30, 40, nurse_present=False).code == "A02"
    assert tcm_consultation_fee_code(ON, 31, 40, nurse_present=True).code == "A03"
    assert tcm_consultation_fee_code(
        ON, 5, 40, nurse_present=True, issues_refill_slip=True
    ).code == ("A11")
    assert tcm_consultation_fee_code(ON, 100, 40, nurse_present=False).code == "A07"
    assert tcm_consultation_fee_code(ON, 151, 40, nurse_present=False).code == "A08"
    assert str(tcm_consultation_fee_code(ON, 1, 3, nurse_present=True).ratio_p8) == "120.00"
    assert str(tcm_consultation_fee_code(ON, 1, 4, nurse_present=True).ratio_p8) == "100.00"


def test_tcm_treatment_codes_follow_the_herbs() -> None:
    for with_herbs, without in TCM_TREATMENT_PAIRS:
        assert tcm_treatment_code(without, with_herbs=True) == with_herbs
        assert tcm_treatment_code(with_herbs, with_herbs=False) == without
        assert is_tcm_treatment(with_herbs) and is_tcm_treatment(without)
    assert tcm_treatment_code("B57", with_herbs=False) == "B57"
    assert not is_tcm_treatment("A21")


def test_tcm_case_types() -> None:
    assert tcm_case_type(treatment=True, herb_days=14) == "29"
    assert tcm_case_type(issues_refill_slip=True, herb_days=28) == "24"
    assert tcm_case_type(herb_days=7) == "21"
    assert tcm_case_type(herb_days=8) == "22"
    assert tcm_case_type(refill_dispensing=True) == "28"
    for code in ("21", "22", "24", "28", "29", "11", "12", "19"):
        assert lookup_case_type(code)


def test_dental_fee_and_case_type() -> None:
    assert dental_consultation_fee_code(ON, 20, "none").code == "00122C"
    assert dental_consultation_fee_code(ON, 21, "self").code == "00124C"
    assert dental_consultation_fee_code(ON, 1, "delegated").code == "00121C"
    assert dental_case_type(total_points=300) == "11"
    assert dental_case_type(total_points=301) == "19"
    assert dental_case_type(emergency=True, total_points=50) == "12"


def test_tooth_positions() -> None:
    assert parse_tooth_positions(" 36, 37 ") == ("36", "37")
    assert parse_tooth_positions("fm") == ("FM",)
    assert claim_position(("36", "37", "38")) == "363738"
    for text, key in (("", "required"), ("19", "unknown"), ("11 12 13 14", "too_many"),
                      ("11 11", "repeated"), ("56", "unknown")):  # fmt: skip
        with pytest.raises(ValidationFailed) as err:
            parse_tooth_positions(text)
        assert err.value.message_key == f"error.tooth.{key}"
        assert err.value.params["field"] == "tooth"


@given(st.lists(st.sampled_from(PERMANENT_TEETH + PRIMARY_TEETH), min_size=1, max_size=3,
                unique=True), st.sampled_from([" ", ",", "、"]))  # fmt: skip
def test_tooth_positions_round_trip(teeth: list[str], sep: str) -> None:
    codes = parse_tooth_positions(sep.join(teeth))
    assert codes == tuple(teeth)
    assert len(claim_position(codes)) == 2 * len(teeth) <= 6
