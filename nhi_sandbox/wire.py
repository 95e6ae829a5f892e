"""Reading request fields: every field is checked for type and shape before a rule sees it.

Handlers never index the JSON body directly; they go through these helpers, which raise 6018
(參數錯誤, HTTP 400) naming the field. That is what keeps random input from turning into a 500.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from clinicbox_core.nhi.id_number import is_valid_national_id
from clinicbox_core.nhi.roc_date import parse_roc_date
from nhi_sandbox.errors import bad_param

__all__ = [
    "HOSPITAL_ID",
    "opt_str",
    "req_id_no",
    "req_int",
    "req_list",
    "req_roc_datetime",
    "req_str",
]

HOSPITAL_ID = re.compile(r"^[0-9A-Z]{10}$")
_ROC_DT = re.compile(r"^[0-9]{13}$")


def req_str(
    body: dict[str, Any], name: str, pattern: re.Pattern[str] | str, *, max_len: int = 200
) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise bad_param(name, "必填文字")
    if len(value) > max_len:
        raise bad_param(name, "過長")
    rx = re.compile(pattern) if isinstance(pattern, str) else pattern
    if not rx.fullmatch(value):
        raise bad_param(name, "格式不符")
    return value


def opt_str(
    body: dict[str, Any], name: str, pattern: re.Pattern[str] | str, *, max_len: int = 200
) -> str | None:
    if body.get(name) is None:
        return None
    return req_str(body, name, pattern, max_len=max_len)


def req_int(body: dict[str, Any], name: str, low: int, high: int) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_param(name, "必填整數")
    if not low <= value <= high:
        raise bad_param(name, f"需介於 {low} 與 {high}")
    return value


def req_list(body: dict[str, Any], name: str, low: int, high: int) -> list[dict[str, Any]]:
    value = body.get(name)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise bad_param(name, "必填物件陣列")
    if not low <= len(value) <= high:
        raise bad_param(name, f"筆數需介於 {low} 與 {high}")
    return value


def req_id_no(body: dict[str, Any], name: str) -> str:
    value = req_str(body, name, r"[A-Z][0-9A-Z][0-9]{8}")
    if not is_valid_national_id(value):
        raise bad_param(name, "身分證號檢查碼錯誤")
    return value


def parse_roc_datetime(text: str) -> datetime:
    """``YYYMMDDHHMMSS`` → datetime; ``ValueError`` when it is not a real moment."""
    if not _ROC_DT.fullmatch(text):
        raise ValueError(text)
    day: date = parse_roc_date(text[:7])
    return datetime(day.year, day.month, day.day, int(text[7:9]), int(text[9:11]), int(text[11:]))


def req_roc_datetime(body: dict[str, Any], name: str) -> datetime:
    text = req_str(body, name, _ROC_DT)
    try:
        return parse_roc_datetime(text)
    except ValueError as exc:
        raise bad_param(name, "日期時間不存在") from exc
