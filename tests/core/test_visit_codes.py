"""就醫類別, 異常就醫代碼 (註9-1), 就醫科別 (註13), 案件分類 (註19)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from clinicbox_core.nhi.errors import UnknownCode
from clinicbox_core.nhi.visit_codes import (
    ABNORMAL_CODES,
    DEPARTMENTS,
    AbnormalCause,
    abnormal_code,
    lookup_abnormal,
    lookup_case_type,
    lookup_department,
    lookup_visit_type,
    western_case_type,
)

DATA = Path("/work/shared/data/nhi-code-tables")

# 註9-1 異常代碼對照表: (cause, 尚未取得就醫序號, 已取得就醫序號)
PAIRS = [
    (AbnormalCause.READER_DEVICE, "A000", "A001"),
    (AbnormalCause.READER, "A010", "A011"),
    (AbnormalCause.NETWORK, "A020", "A021"),
    (AbnormalCause.SAM, "A030", "A031"),
    (AbnormalCause.CARD, "B000", "B001"),
    (AbnormalCause.HIS_DOWN, "D000", "D001"),
    (AbnormalCause.CLINIC_COMPUTER, "D010", "D011"),
    (AbnormalCause.OTHER, "Z000", "Z001"),
]
SINGLES = [
    (AbnormalCause.POWER, "C000"), (AbnormalCause.EXCEPTION_VISIT, "C001"),
    (AbnormalCause.MINOR, "C002"), (AbnormalCause.PREGNANT, "C003"),
    (AbnormalCause.NHI_SYSTEM_DOWN, "E000"), (AbnormalCause.CONTROL_LIST, "E001"),
    (AbnormalCause.REMOTE, "F000"), (AbnormalCause.NEW_CONTRACT, "G000"),
    (AbnormalCause.ELDERLY_DOCTOR, "H000"),
]  # fmt: skip


@pytest.mark.parametrize(("cause", "before", "after"), PAIRS)
def test_pairs(cause: AbnormalCause, before: str, after: str) -> None:
    assert abnormal_code(cause, seq_obtained=False) == before
    assert abnormal_code(cause.value, seq_obtained=True) == after
    assert lookup_abnormal(before) == (ABNORMAL_CODES[cause], False)
    assert lookup_abnormal(after) == (ABNORMAL_CODES[cause], True)


@pytest.mark.parametrize(("cause", "code"), SINGLES)
def test_single_codes(cause: AbnormalCause, code: str) -> None:
    assert abnormal_code(cause, seq_obtained=False) == code
    assert abnormal_code(cause, seq_obtained=True) == code


def test_table_is_complete_and_every_row_explained() -> None:
    assert set(ABNORMAL_CODES) == {c for c, *_ in PAIRS} | {c for c, _ in SINGLES}
    assert all(row.zh and row.when for row in ABNORMAL_CODES.values())


def test_unknown_cause_and_code() -> None:
    with pytest.raises(UnknownCode):
        abnormal_code("flood", seq_obtained=False)
    with pytest.raises(UnknownCode):
        lookup_abnormal("A002")


@pytest.mark.skipif(not DATA.exists(), reason="shared reference data not present")
def test_abnormal_codes_match_the_code_table() -> None:
    with (DATA / "anormaly.csv").open(encoding="utf-8") as fh:
        csv_codes = {row["code"] for row in csv.DictReader(fh)} - {"IC89", "IC98", "IC09"}
    ours = {row.before_seq for row in ABNORMAL_CODES.values()}
    assert ours == csv_codes


@pytest.mark.skipif(not DATA.exists(), reason="shared reference data not present")
def test_departments_match_the_code_table() -> None:
    with (DATA / "dept.csv").open(encoding="utf-8") as fh:
        rows = {row["code"]: row["name"] for row in csv.DictReader(fh)}
    assert set(rows) == set(DEPARTMENTS)
    for code, name in rows.items():
        assert name.startswith(DEPARTMENTS[code].zh), code  # CSV adds "（96.07 新增）" notes


def test_lookups() -> None:
    assert lookup_visit_type("01").zh == "西醫門診"
    assert lookup_visit_type("af").zh == "藥局調劑"
    assert lookup_department("01").zh == "家醫科"
    assert lookup_case_type("09").zh == "西醫其他專案"
    assert "日劑藥費" in lookup_case_type("01").zh
    for lookup in (lookup_visit_type, lookup_department, lookup_case_type):
        with pytest.raises(UnknownCode):
            lookup("ZZ")


@pytest.mark.parametrize(
    ("kw", "case"),
    [
        ({}, "09"),  # ordinary visit, itemised drugs (註19-4)
        ({"daily_drug_fee": True}, "01"),  # 日劑藥費 (註19-1)
        ({"chronic_only": True}, "04"),  # 公告慢性病 (註19-2)
        ({"issues_refill_slip": True}, "04"),  # 開慢箋 (註19-3)
        ({"chronic_only": True, "daily_drug_fee": True}, "04"),  # chronic may not be 01
        ({"refill_dispensing": True}, "08"),
        ({"emergency": True}, "02"),
    ],
)
def test_western_case_type(kw: dict[str, bool], case: str) -> None:
    assert western_case_type(**kw) == case
