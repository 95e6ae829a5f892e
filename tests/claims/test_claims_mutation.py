"""Mutation tests: every single-field corruption of a valid file is caught by the validator.

Three corruptions per field of the sample files (each field as written in the first case /
order that has it): a value with a character the field may not hold, a value one longer than
the field's width, and — for required fields — deletion; all must be caught. A fourth, a
*plausible* in-format change (number + 1, date + 1 day, another valid code or ID), is caught
for every field except those in ``UNCHECKABLE``, each with the reason no rule can see it.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from claims_samples import outpatient_example, pharmacy_example

from clinicbox_core.nhi.claims.build import build_claims, build_pharmacy_claims
from clinicbox_core.nhi.claims.demo import demo_clinic_month, demo_pharmacy_month
from clinicbox_core.nhi.claims.fields import FieldSpec, specs_of
from clinicbox_core.nhi.claims.formats import OUTPATIENT, PHARMACY, ClaimsFormat
from clinicbox_core.nhi.claims.model import ClaimsFile
from clinicbox_core.nhi.claims.model_pharmacy import PharmacyClaimsFile
from clinicbox_core.nhi.claims.rules_field import parse_date
from clinicbox_core.nhi.claims.validate import validate
from clinicbox_core.nhi.claims.xml_writer import to_xml
from clinicbox_core.nhi.id_number import check_digit
from clinicbox_core.nhi.roc_date import format_roc_date

# Fields whose plausible change no rule can detect, and why (docs/nhi-claims.md lists them too).
UNCHECKABLE: dict[str, dict[str, str]] = {
    "outpatient": {
        "t2": "any 10-character 醫事機構代號 is plausible; the file cannot know the clinic",
        "t6": "申報日期: any valid date",
        "t41": "連線申報起日: any valid date", "t42": "連線申報迄日: any valid date",
        "d3": "another valid ID is another patient; only compare() sees it",
        "d8": "another 就醫科別 is equally valid",
        "d9": "a day earlier/later in the month changes no derived field",
        "d10": "same for the end date (still ≥ d9, in the month)",
        "d11": "another birth date (age band unchanged)",
        "d17": "a referring institution code is free text (N or a code)",
        "d19": "another ICD-10-CM code (no diagnosis ↔ order rule in the spec)",
        "d27": "給藥日份 is not derivable from p1 in the spec (註18 rules by drug form)",
        "d29": "another 4-digit 就醫序號",
        "d30": "another doctor's valid ID", "d31": "another pharmacist's valid ID",
        "d49": "姓名: free text",
        "p1": "order 給藥日份: free", "p5": "劑量: free", "p7": "頻率: free text code",
        "p9": "途徑: free text code", "p14": "執行時間", "p15": "執行時間", "p16": "執行人員 ID",
        "p17": "註記 1/2/3: which one is not derivable",
        "p2": "another 調劑方式 code on a line",
        "p4": "another drug code (no price table inside the file)",
        "t4": "申報方式 1/2/3: the file cannot tell how it was sent",
        "d15": "another exemption code (001 vs 009 on a refill: 註10 填寫原則 lets either apply)",
        "d16": "another 轉診/處方調劑 註記",
        "d18": "是否轉出 Y/N",
        "d44": "慢箋總處方日份 (not derivable from the visit's own orders)",
    },
    "pharmacy": {
        "t2": "機構代號", "t6": "申報日期", "t13": "起日", "t14": "迄日",
        "t4": "申報方式 2/3", "p2": "another drug code (no price table inside the file)",
        "d15": "another exemption code instead of I22",
        "d3": "another patient", "d5": "給付類別 of the original prescription",
        "d6": "birth date", "d8": "ICD", "d13": "科別",
        "d14": "原處方就醫日期", "d20": "姓名", "d21": "原處方機構", "d22": "原處方案件分類",
        "d23": "another dispensing day in the month", "d24": "醫師代號 (ID or 機構代號)",
        "d25": "another pharmacist", "d30": "給藥日份", "d36": "可調劑次數 (≥ d35 kept)",
        "d43": "原處方就醫序號",
        "p3": "劑量", "p4": "頻率", "p5": "途徑", "p11": "給藥日份",
    },
}  # fmt: skip


def _samples(fmt: ClaimsFormat) -> list[ClaimsFile | PharmacyClaimsFile]:
    if fmt is OUTPATIENT:
        return [outpatient_example(), build_claims(*demo_clinic_month(60, seed=5))]
    return [pharmacy_example(), build_pharmacy_claims(*demo_pharmacy_month(40, seed=5))]


def _locations(fmt: ClaimsFormat) -> list[tuple[str, str, int, int | None]]:
    """(field, section, case index, order index) for the first occurrence of every field."""
    found: dict[str, tuple[str, str, int, int | None]] = {}
    for s, model in enumerate(_samples(fmt)):
        for f in specs_of(fmt.totals):
            if getattr(model.tdata, f.id) is not None:
                found.setdefault(f.id, (f.id, f"t{s}", 0, None))
        for ci, case in enumerate(model.cases):
            for f in specs_of(fmt.case):
                if getattr(case, f.id) is not None:
                    found.setdefault(f.id, (f.id, f"c{s}", ci, None))
            for oi, order in enumerate(case.orders):  # type: ignore[attr-defined]
                for f in specs_of(fmt.order):
                    if getattr(order, f.id) is not None:
                        found.setdefault(f.id, (f.id, f"o{s}", ci, oi))
    return sorted(found.values())


def _mutated(fmt: ClaimsFormat, loc: tuple[str, str, int, int | None], new: Any) -> bytes:
    fid, section, ci, oi = loc
    model = _samples(fmt)[int(section[1:])]
    if section[0] == "t":
        return to_xml(model.model_copy(update={"tdata": model.tdata.model_copy(update={fid: new})}))
    cases = list(model.cases)
    case = cases[ci]
    if oi is None:
        cases[ci] = case.model_copy(update={fid: new})
    else:
        orders = list(case.orders)  # type: ignore[attr-defined]
        orders[oi] = orders[oi].model_copy(update={fid: new})
        cases[ci] = case.model_copy(update={"orders": tuple(orders)})
    return to_xml(model.model_copy(update={"cases": tuple(cases)}))


def _value(fmt: ClaimsFormat, loc: tuple[str, str, int, int | None]) -> Any:
    fid, section, ci, oi = loc
    model = _samples(fmt)[int(section[1:])]
    if section[0] == "t":
        return getattr(model.tdata, fid)
    case = model.cases[ci]
    return getattr(case if oi is None else case.orders[oi], fid)


def _spec(fmt: ClaimsFormat, fid: str) -> FieldSpec:
    models = (fmt.totals, fmt.case, fmt.order)
    return next(f for m in models for f in specs_of(m) if f.id == fid)


def _plausible(fmt: ClaimsFormat, f: FieldSpec, value: Any) -> Any:
    if isinstance(value, int | Decimal):
        return value + 1
    text = str(value)
    parsed = parse_date(text) if f.fmt in {"date", "birth"} else None
    if parsed is not None:
        return format_roc_date(parsed + timedelta(days=1))
    if f.fmt == "datetime":
        return text[:7] + ("10" if text[7:9] != "10" else "11") + text[9:]
    if f.fmt == "month":
        return text[:3] + ("02" if text[3:] != "02" else "03")
    if f.fmt == "id" and len(text) == 10:
        head = text[0] + text[1] + ("1234567" if text[2:9] != "1234567" else "7654321")
        return head + check_digit(head)
    others = sorted(c for c in fmt.codes.get(f.id, ()) if c != text)
    if others:
        return others[0]
    if text.isdigit():
        return text[:-1] + str((int(text[-1]) + 1) % 10)
    return text[:-1] + ("B" if text[-1] != "B" else "C")


def _caught(data: bytes) -> bool:
    return any(f.severity == "error" for f in validate(data))


@pytest.mark.parametrize("fmt", [OUTPATIENT, PHARMACY], ids=lambda f: f.name)
def test_samples_are_valid(fmt: ClaimsFormat) -> None:
    for model in _samples(fmt):
        assert [f for f in validate(to_xml(model)) if f.severity == "error"] == []


@pytest.mark.parametrize("fmt", [OUTPATIENT, PHARMACY], ids=lambda f: f.name)
def test_format_corruptions_of_every_field_are_caught(fmt: ClaimsFormat) -> None:
    missed = []
    for loc in _locations(fmt):
        f = _spec(fmt, loc[0])
        bad_char = "王" * (f.width // 2 + 1) if f.id == fmt.name_field else "\u00e9"
        too_long = "王" * (f.width // 2 + 1) if f.id == fmt.name_field else "9" * (f.width + 1)
        for new in (bad_char, too_long) + ((None,) if f.required else ()):
            if not _caught(_mutated(fmt, loc, new)):
                missed.append((loc[0], new))
    assert missed == []


@pytest.mark.parametrize("fmt", [OUTPATIENT, PHARMACY], ids=lambda f: f.name)
def test_plausible_changes_are_caught_except_the_documented_ones(fmt: ClaimsFormat) -> None:
    locations = _locations(fmt)
    uncaught = set()
    for loc in locations:
        value = _value(fmt, loc)
        new = _plausible(fmt, _spec(fmt, loc[0]), value)
        assert new != value
        if not _caught(_mutated(fmt, loc, new)):
            uncaught.add(loc[0])
    assert uncaught == set(UNCHECKABLE[fmt.name])
    covered = {loc[0] for loc in locations}
    assert len(covered) >= (45 if fmt is OUTPATIENT else 40)
