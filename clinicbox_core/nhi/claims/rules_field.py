"""Field rules: presence (＊), width, character set, number/decimal format, ROC dates and
date-times, code lists, ID check digit, 就醫序號 shape — driven by the spec rows in fields.py.

Each rule looks at one value only; rules across fields are in rules_outpatient.py and
rules_pharmacy.py. The checks per field are compiled once per format (``_compiled``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache

from clinicbox_core.nhi.claims.fields import FieldSpec, specs_of
from clinicbox_core.nhi.claims.findings import Finding, make
from clinicbox_core.nhi.claims.formats import ClaimsFormat
from clinicbox_core.nhi.claims.xml_writer import BIG5
from clinicbox_core.nhi.id_number import SEX_CHARS, is_valid_national_id
from clinicbox_core.nhi.visit_codes import ABNORMAL_CODES

__all__ = ["check_values", "parse_birth", "parse_date", "to_decimal", "to_int"]

_ID_SHAPE = re.compile(r"^[A-Z][0-9A-Z][0-9]{8}$")
_ABNORMAL = frozenset(
    code for row in ABNORMAL_CODES.values() for code in (row.before_seq, row.after_seq) if code
)
_SEQNO = re.compile(r"^([0-9]{4}|IC[0-9A-Z]{2})$")  # 註9 (IC + 時程代碼), d29 一
SEQNO_FIELDS = {"outpatient": frozenset({"d29"}), "pharmacy": frozenset({"d7", "d43"})}


def parse_date(text: str) -> date | None:
    """``YYYMMDD`` → date, ``None`` when it is not a valid 7-digit ROC date."""
    if len(text) != 7 or not text.isdigit():
        return None
    try:
        return date(int(text[:3]) + 1911, int(text[3:5]), int(text[5:]))
    except ValueError:
        return None


def parse_birth(text: str) -> date | None:
    """d11: like :func:`parse_date`, and ``-YYMMDD`` = 民國前 YY 年 (民國前1年 = 1911)."""
    if text.startswith("-") and len(text) == 7 and text[1:].isdigit():
        try:
            return date(1912 - int(text[1:3]), int(text[3:5]), int(text[5:]))
        except ValueError:
            return None
    return parse_date(text)


def _datetime_ok(text: str) -> bool:
    return (
        len(text) == 11
        and text.isdigit()
        and parse_date(text[:7]) is not None
        and int(text[7:9]) < 24
        and int(text[9:]) < 60
    )


def _month_ok(text: str) -> bool:
    return len(text) == 5 and text.isdigit() and 1 <= int(text[3:]) <= 12


def to_int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def to_decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


@dataclass(frozen=True, slots=True)
class _Plan:
    """What to check on one field, precomputed once per format (the hot loop stays flat)."""

    spec: FieldSpec
    is_name: bool
    upper: bool
    codes: frozenset[str] | None
    seqno: bool
    decimal: re.Pattern[str] | None


@cache
def _plans(fmt: ClaimsFormat, model: type) -> tuple[dict[str, _Plan], tuple[FieldSpec, ...]]:
    plans: dict[str, _Plan] = {}
    for f in specs_of(model):
        plans[f.id] = _Plan(
            spec=f,
            is_name=f.id == fmt.name_field,
            upper=f.kind == "X" and f.id not in fmt.lower_case_ok and f.id != fmt.name_field,
            codes=fmt.codes.get(f.id) if f.fmt == "code" else None,
            seqno=f.id in SEQNO_FIELDS[fmt.name],
            decimal=re.compile(rf"^[0-9]+(\.[0-9]{{1,{f.decimals}}})?$")
            if f.kind == "dec"
            else None,
        )
    required = tuple(f for f in specs_of(model) if f.required)
    return plans, required


def _rule_for(plan: _Plan, v: str) -> tuple[str, dict[str, object]] | None:
    """The first field rule ``v`` breaks (``None``: it passes), in a fixed order."""
    f = plan.spec
    if v.isascii():
        n = len(v)
        if not v.isprintable():
            return "F-CHARS", {}
    elif plan.is_name:
        n = len(v.encode(BIG5, errors="replace"))
    else:
        return "F-CHARS", {}
    if n > f.width:
        return "F-WIDTH", {"length": n, "width": f.width}
    if f.kind == "9":
        return None if v.isdigit() else ("F-NUMBER", {})
    if plan.decimal is not None:
        return None if plan.decimal.match(v) else ("F-DECIMAL", {"decimals": f.decimals})
    if plan.upper and v != v.upper():
        return "F-UPPER", {}
    fmt = f.fmt
    if fmt == "date" and parse_date(v) is None:
        return "F-DATE", {}
    if fmt == "birth" and parse_birth(v) is None:
        return "F-DATE", {}
    if fmt == "datetime" and not _datetime_ok(v):
        return "F-DATETIME", {}
    if fmt == "month" and not _month_ok(v):
        return "F-MONTH", {}
    if fmt == "id":
        return _check_id(v)
    if plan.codes is not None and v not in plan.codes:
        return "F-CODE", {}
    if plan.seqno:
        return _check_seqno(v)
    return None


def _check_id(v: str) -> tuple[str, dict[str, object]] | None:
    if v == "N":  # d30 三: D1 refill cases
        return None
    if _ID_SHAPE.match(v) and v[1] in SEX_CHARS:
        return None if is_valid_national_id(v) else ("F-ID", {})
    return ("F-ID-SHAPE", {})


def _check_seqno(v: str) -> tuple[str, dict[str, object]] | None:
    if v == "N" or _SEQNO.match(v) or v in _ABNORMAL:
        return None
    return ("F-SEQNO", {})


def check_values(
    fmt: ClaimsFormat,
    model: type,
    values: dict[str, str],
    out: list[Finding],
    *,
    case: str | None = None,
    case_index: int | None = None,
    order: str | None = None,
    memo: dict[tuple[str, str], tuple[str, dict[str, object]] | None] | None = None,
) -> None:
    """Append a finding for every field rule ``values`` breaks (one section of ``model``).

    One finding per value: the first rule it breaks, in the order of :func:`_rule_for`.
    ``memo`` (one per file and format) remembers the verdict per (field, value): a month repeats
    the same codes, dates and IDs thousands of times.
    """
    memo = {} if memo is None else memo
    plans, required = _plans(fmt, model)
    for f in required:
        if f.id not in values:
            out.append(
                make(
                    "F-REQUIRED", case=case, case_index=case_index, order=order, field=f.id, zh=f.zh
                )
            )
    for fid, v in values.items():
        plan = plans.get(fid)
        if plan is None:
            continue  # unknown elements are reported by the parser
        key = (fid, v)
        if key in memo:
            bad = memo[key]
        else:
            bad = memo[key] = _rule_for(plan, v)
        if bad is not None:
            rule, params = bad
            out.append(
                make(
                    rule,
                    case=case,
                    case_index=case_index,
                    order=order,
                    field=fid,
                    value=v,
                    zh=plan.spec.zh,
                    **params,
                )
            )
