"""用藥頻率 / 給藥途徑 tables and the total-quantity rule."""

from __future__ import annotations

import csv
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.errors import UnknownCode
from clinicbox_core.nhi.frequency import (
    FREQUENCIES,
    FrequencyKind,
    frequency_text,
    lookup_frequency,
    route_text,
    total_quantity,
    usage_text,
)

D = Decimal
FREQ_CSV = Path("/work/shared/data/nhi-code-tables/freq.csv")


@pytest.mark.parametrize(
    ("code", "zh"),
    [
        ("QD", "每日一次"),
        ("BID", "每日二次"),
        ("TID", "每日三次"),
        ("QID", "每日四次"),
        ("HS", "每日一次睡前使用"),
        ("QOD", "每二天一次"),
        ("BIW", "每週使用二次"),
        ("TIW", "每週使用三次"),
        ("QW", "每週使用一次"),
        ("PRN", "需要時使用"),
        ("STAT", "立刻使用"),
        ("QDHS", "每日一次睡前使用"),
        ("TID&HS", "每日三次及睡前一次"),
        ("Q4H", "每四小時使用一次"),
        ("Q6H", "每六小時使用一次"),
        ("Q8H", "每八小時使用一次"),
        ("Q12H", "每十二小時使用一次"),
        ("Q3D", "每三天使用一次"),
        ("Q2W", "每二週使用一次"),
        ("Q6HPRN", "需要時每六小時使用一次"),
        ("tidpc", "每日三次飯後使用"),
    ],
)
def test_frequency_text(code: str, zh: str) -> None:
    assert frequency_text(code) == zh


@pytest.mark.parametrize(
    ("code", "per_day"),
    [("TID", Fraction(3)), ("Q8H", Fraction(3)), ("Q5H", Fraction(24, 5)), ("BIW", Fraction(2, 7)),
     ("QOD", Fraction(1, 2)), ("Q3D", Fraction(1, 3)), ("QM", Fraction(1, 30)),
     ("BID&HS", Fraction(3))],
)  # fmt: skip
def test_doses_per_day_are_exact(code: str, per_day: Fraction) -> None:
    assert lookup_frequency(code).per_day == per_day


@pytest.mark.parametrize(
    ("code", "zh"), [("PO", "口服"), ("EXT", "外用"), ("OU", "每眼"), ("SL", "舌下")]
)
def test_route_text(code: str, zh: str) -> None:
    assert route_text(code) == zh


def test_usage_text_for_the_drug_bag() -> None:
    assert usage_text("TIDPC", "PO") == "口服 每日三次飯後使用"


@pytest.mark.parametrize("code", ["XYZ", "Q0H", "QDPRNX", "Q3DPRN", ""])
def test_unknown_frequency(code: str) -> None:
    with pytest.raises(UnknownCode) as info:
        lookup_frequency(code)
    assert info.value.params["field"] == "frequency"


def test_unknown_route() -> None:
    with pytest.raises(UnknownCode):
        route_text("MOUTH")


@pytest.mark.parametrize(
    ("dose", "freq", "days", "unit", "expected"),
    [
        (D(1), "TID", 7, D(1), D(21)),
        (D(2), "BID", 3, D(1), D(12)),
        (D("0.5"), "QD", 3, D(1), D(2)),  # 1.5 tablets → 2 whole tablets
        (D("0.5"), "QD", 3, D("0.5"), D("1.5")),  # scored halves allowed
        (D(1), "QOD", 7, D(1), D(4)),  # days 1, 3, 5, 7
        (D(1), "QW", 28, D(1), D(4)),
        (D(1), "QW", 10, D(1), D(2)),  # a started week counts
        (D(1), "BIW", 14, D(1), D(4)),
        (D("2.5"), "Q8H", 3, D("0.1"), D("22.5")),  # syrup in mL
        (D(1), "Q6H", 2, D(1), D(8)),
        (D(2), "STAT", 5, D(1), D(2)),  # one dose whatever the days
    ],
)
def test_total_quantity_table(
    dose: Decimal, freq: str, days: int, unit: Decimal, expected: Decimal
) -> None:
    assert total_quantity(dose, freq, days, dispensing_unit=unit) == expected


@pytest.mark.parametrize("freq", ["PRN", "Q4H&PRN", "ASORDER", "AC", "Q6HPRN"])
def test_prn_needs_explicit_total(freq: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        total_quantity(D(1), freq, 3)
    assert info.value.params == {"field": "total", "reason": "explicit_total_required"}
    assert total_quantity(D(1), freq, 3, explicit_total=D(6)) == D(6)


def test_explicit_total_may_not_undercut_the_prescription() -> None:
    with pytest.raises(ValidationFailed):
        total_quantity(D(1), "TID", 7, explicit_total=D(20))
    assert total_quantity(D(1), "TID", 7, explicit_total=D(30)) == D(30)


@pytest.mark.parametrize(("dose", "days"), [(D(0), 3), (D(-1), 3), (D(1), 0)])
def test_rejects_non_positive_inputs(dose: Decimal, days: int) -> None:
    with pytest.raises(ValidationFailed):
        total_quantity(dose, "QD", days)


regular_codes = sorted(c for c, f in FREQUENCIES.items() if f.kind is FrequencyKind.REGULAR)
doses = st.decimals(min_value=D("0.1"), max_value=D(20), places=1)
units = st.sampled_from([D(1), D("0.5"), D("0.1")])


@given(doses, st.sampled_from(regular_codes), st.integers(1, 90), units)
def test_never_less_than_prescribed_and_at_most_one_dose_and_unit_more(
    dose: Decimal, code: str, days: int, unit: Decimal
) -> None:
    per_day = lookup_frequency(code).per_day
    assert per_day is not None
    exact = Fraction(dose) * per_day * days
    total = total_quantity(dose, code, days, dispensing_unit=unit)
    assert Fraction(total) >= exact
    assert Fraction(total) < exact + Fraction(dose) + Fraction(unit)
    assert (total / unit) == (total / unit).to_integral_value()


@given(doses, st.sampled_from(regular_codes), st.integers(1, 89))
def test_monotone_in_days(dose: Decimal, code: str, days: int) -> None:
    assert total_quantity(dose, code, days) <= total_quantity(dose, code, days + 1)


# Codes of the 2016 code table we do not take over, and why.
CSV_EXCLUDED = {
    "QD&QN2": "dose inside the code (二粒): the dose belongs in p5",
    "QD2&QN": "dose inside the code",
    "QD2&QN2": "dose inside the code",
    "TID&QN2": "dose inside the code",
    "QIW": "每四週一次 with 0.357/day is self-contradictory",
    "QH": "not in the 96.11.12 grammar (Q1H is)",
}
CSV_DIFFERENT_RATE = {"AC", "PC", "PRN", "ST", "STAT", "EXT", "ASORDER"}  # not a daily rate
# Where the 2016 table's number is wrong and the 96.11.12 grammar decides.
CSV_OVERRULED = {
    "BIW": Fraction(2, 7),  # CSV 0.142857 is once a week; 每週使用二次 is 2/7
    "Q2M": Fraction(1, 60),  # CSV 每月二次; 96.11.12 QxM = once every x months
}


@pytest.mark.skipif(not FREQ_CSV.exists(), reason="shared reference data not present")
def test_every_code_table_entry_is_known_with_the_same_rate() -> None:
    with FREQ_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 60
    for row in rows:
        code = row["code"]
        if code in CSV_EXCLUDED:
            with pytest.raises(UnknownCode):
                lookup_frequency(code)
            continue
        freq = lookup_frequency(code)
        if code in CSV_DIFFERENT_RATE:
            assert freq.kind is not FrequencyKind.REGULAR, code
            continue
        if code in CSV_OVERRULED:
            assert freq.per_day == CSV_OVERRULED[code]
            continue
        assert freq.per_day is not None, code
        assert abs(float(freq.per_day) - float(row["times_per_day"])) < 0.01, code
