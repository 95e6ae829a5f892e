"""診察費 and 藥事服務費 code selection (支付標準 105.05.01)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.consult_fee import (
    FEE_CODE_KINDS,
    FeeKind,
    RefillSlip,
    consultation_fee_code,
    fee_kind,
    order_category,
    pharmacy_service_fee_code,
)
from clinicbox_core.nhi.errors import NoRuleInForce, UnknownCode

ON = date(2025, 3, 3)

BANDS = [
    (1, "00109C", "00110C"), (30, "00109C", "00110C"), (31, "00223C", "00224C"),
    (40, "00223C", "00224C"), (41, "00111C", "00112C"), (60, "00111C", "00112C"),
    (61, "00113C", "00114C"), (80, "00113C", "00114C"), (81, "00115C", "00116C"),
    (150, "00115C", "00116C"), (151, "00117C", "00118C"), (999, "00117C", "00118C"),
]  # fmt: skip


@pytest.mark.parametrize(("ordinal", "delegated", "other"), BANDS)
def test_bands(ordinal: int, delegated: str, other: str) -> None:
    assert consultation_fee_code(ON, ordinal, "delegated", 30).code == delegated
    assert consultation_fee_code(ON, ordinal, "self", 30).code == other
    assert consultation_fee_code(ON, ordinal, "none", 30).code == other


@pytest.mark.parametrize(
    ("age", "ratio"),
    [(0, "120.00"), (2, "120.00"), (3, "100.00"), (40, "100.00"), (74, "100.00"),
     (75, "107.50"), (99, "107.50")],
)  # fmt: skip
def test_age_ratio_p8(age: int, ratio: str) -> None:
    assert consultation_fee_code(ON, 5, "delegated", age).ratio_p8 == Decimal(ratio)


@pytest.mark.parametrize(
    ("ordinal", "slip", "dispensing", "code"),
    [
        (10, RefillSlip.SLIP, "delegated", "00139C"),
        (35, RefillSlip.SLIP, "self", "00140C"),
        (45, RefillSlip.SLIP_28, "delegated", "00160C"),
        (200, RefillSlip.SLIP_28, "self", "00167C"),
    ],
)
def test_refill_slip_codes(ordinal: int, slip: RefillSlip, dispensing: str, code: str) -> None:
    fee = consultation_fee_code(ON, ordinal, dispensing, 50, refill_slip=slip)  # type: ignore[arg-type]
    assert fee.code == code


def test_refill_slip_needs_a_prescription() -> None:
    with pytest.raises(ValidationFailed):
        consultation_fee_code(ON, 1, "none", 50, refill_slip=RefillSlip.SLIP)


@pytest.mark.parametrize(("ordinal", "age"), [(0, 30), (-3, 30), (1, -1)])
def test_bad_inputs(ordinal: int, age: int) -> None:
    with pytest.raises(ValidationFailed):
        consultation_fee_code(ON, ordinal, "self", age)


def test_unknown_dispensing() -> None:
    with pytest.raises(UnknownCode):
        consultation_fee_code(ON, 1, "pharmacy", 30)  # type: ignore[arg-type]


def test_before_the_edition() -> None:
    with pytest.raises(NoRuleInForce):
        consultation_fee_code(date(2016, 4, 30), 1, "self", 30)


@given(st.integers(1, 500), st.integers(0, 120))
def test_delegated_codes_are_odd_numbered_and_others_even(ordinal: int, age: int) -> None:
    odd = consultation_fee_code(ON, ordinal, "delegated", age).code
    even = consultation_fee_code(ON, ordinal, "self", age).code
    assert int(odd[:5]) % 2 == 1 and int(even[:5]) % 2 == 0
    assert int(even[:5]) == int(odd[:5]) + 1
    assert fee_kind(odd) is FeeKind.CONSULTATION and order_category(even) == "0"


@pytest.mark.parametrize(
    ("setting", "kind", "days", "ordinal", "code"),
    [
        ("clinic_pharmacist", "general", 3, 1, "05203C"),
        ("clinic_pharmacist", "chronic", 13, 80, "05224C"),
        ("clinic_pharmacist", "chronic", 14, 5, "05207C"),
        ("clinic_pharmacist", "chronic", 28, 5, "05211C"),
        ("clinic_pharmacist", "general", 7, 81, "05234D"),
        ("clinic_pharmacist", "general", 7, 100, "05234D"),
        ("clinic_pharmacist", "general", 7, 101, None),
        ("pharmacy", "general", 7, 1, "05202B"),
        ("pharmacy", "chronic", 10, 1, "05223B"),
        ("pharmacy", "chronic", 20, 1, "05206B"),
        ("pharmacy", "chronic", 30, 1, "05210B"),
        ("clinic_physician", "general", 3, 1, "05204D"),
        ("clinic_physician", "chronic", 28, 50, "05212D"),
        ("clinic_physician", "general", 3, 51, None),
    ],
)
def test_pharmacy_service_fee(
    setting: str, kind: str, days: int, ordinal: int, code: str | None
) -> None:
    assert pharmacy_service_fee_code(ON, setting, kind, days, ordinal) == code  # type: ignore[arg-type]


def test_remote_area_caps() -> None:
    assert (
        pharmacy_service_fee_code(ON, "pharmacy", "general", 3, 100, remote_area=True) == "05202B"
    )
    assert (
        pharmacy_service_fee_code(ON, "pharmacy", "general", 3, 120, remote_area=True) == "05234D"
    )
    assert pharmacy_service_fee_code(ON, "pharmacy", "general", 3, 121, remote_area=True) is None


def test_general_prescription_is_at_most_7_days() -> None:
    with pytest.raises(ValidationFailed):
        pharmacy_service_fee_code(ON, "pharmacy", "general", 8, 1)


def test_fee_code_registry() -> None:
    assert fee_kind("05203C") is FeeKind.PHARMACY_SERVICE and order_category("05234D") == "9"
    assert fee_kind("00223C") is FeeKind.CONSULTATION
    assert {"00109C", "00118C", "05202B", "05212D"} <= set(FEE_CODE_KINDS)
    with pytest.raises(UnknownCode):
        fee_kind("01015C")
