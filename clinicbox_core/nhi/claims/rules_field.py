"""Field rules: presence (＊), width, character set, number/decimal format, ROC dates and
date-times, code lists, ID check digit, 就醫序號 shape — driven by the spec rows in fields.py.

Each rule looks at one value only; rules across fields are in rules_outpatient.py and
rules_pharmacy.py. The checks per field are compiled once per format (``_compiled``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
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

_ASCII_PRINTABLE = re.compile(r"^[\x20-\x7e]*$")
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


Check = Callable[[str], tuple[str, dict[str, object]] | None]


def _checks(fmt: ClaimsFormat, f: FieldSpec) -> list[Check]:
    checks: list[Check] = []
    is_name = f.id == fmt.name_field

    def width(v: str) -> tuple[str, dict[str, object]] | None:
        n = len(v) if v.isascii() else len(v.encode(BIG5, errors="replace"))
        return ("F-WIDTH", {"length": n, "width": f.width}) if n > f.width else None

    checks.append(width)
    if f.kind == "9":
        checks.append(lambda v: None if v.isdigit() else ("F-NUMBER", {}))
    elif f.kind == "dec":
        pattern = re.compile(rf"^[0-9]+(\.[0-9]{{1,{f.decimals}}})?$")
        checks.append(
            lambda v: None if pattern.match(v) else ("F-DECIMAL", {"decimals": f.decimals})
        )
    elif not is_name:
        checks.append(lambda v: None if _ASCII_PRINTABLE.match(v) else ("F-CHARS", {}))
        if f.id not in fmt.lower_case_ok:
            checks.append(lambda v: ("F-UPPER", {}) if v != v.upper() else None)
    if f.fmt == "date":
        checks.append(lambda v: None if parse_date(v) else ("F-DATE", {}))
    elif f.fmt == "birth":
        checks.append(lambda v: None if parse_birth(v) else ("F-DATE", {}))
    elif f.fmt == "datetime":
        checks.append(lambda v: None if _datetime_ok(v) else ("F-DATETIME", {}))
    elif f.fmt == "month":
        checks.append(lambda v: None if _month_ok(v) else ("F-MONTH", {}))
    elif f.fmt == "id":
        checks.append(_check_id)
    if f.fmt == "code" and f.id in fmt.codes:
        allowed = fmt.codes[f.id]
        checks.append(lambda v: None if v in allowed else ("F-CODE", {}))
    if f.id in SEQNO_FIELDS[fmt.name]:
        checks.append(_check_seqno)
    return checks


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


@cache
def _compiled(fmt: ClaimsFormat, model: type) -> tuple[tuple[FieldSpec, tuple[Check, ...]], ...]:
    return tuple((f, tuple(_checks(fmt, f))) for f in specs_of(model))


def check_values(
    fmt: ClaimsFormat,
    model: type,
    values: dict[str, str],
    out: list[Finding],
    *,
    case: str | None = None,
    case_index: int | None = None,
    order: str | None = None,
) -> None:
    """Append a finding for every field rule ``values`` breaks (section of ``model``)."""
    for f, checks in _compiled(fmt, model):
        v = values.get(f.id)
        if v is None:
            if f.required:
                out.append(
                    make(
                        "F-REQUIRED",
                        case=case,
                        case_index=case_index,
                        order=order,
                        field=f.id,
                        zh=f.zh,
                    )
                )
            continue
        for check in checks:
            bad = check(v)
            if bad is not None:
                rule, params = bad
                out.append(
                    make(
                        rule,
                        case=case,
                        case_index=case_index,
                        order=order,
                        field=f.id,
                        value=v,
                        zh=f.zh,
                        **params,
                    )
                )
                break  # one finding per value: the first rule it breaks
