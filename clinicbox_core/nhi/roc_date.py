"""ROC (民國) calendar dates as NHI writes them: ``YYYMMDD`` (year = Gregorian − 1911)."""

from __future__ import annotations

from datetime import date, datetime

__all__ = [
    "ROC_OFFSET",
    "format_roc_date",
    "format_roc_datetime",
    "format_roc_display",
    "parse_roc_date",
]

ROC_OFFSET = 1911


def parse_roc_date(text: str) -> date:
    """``'0790215'`` → 1990-02-15. Accepts 6 or 7 digits, surrounding spaces ignored."""
    digits = text.strip()
    if not digits.isdigit() or len(digits) not in (6, 7):
        raise ValueError(f"ROC date must be 6-7 digits, got {text!r}")
    year, month, day = int(digits[:-4]), int(digits[-4:-2]), int(digits[-2:])
    return date(year + ROC_OFFSET, month, day)


def format_roc_date(value: date) -> str:
    """1990-02-15 → ``'0790215'`` (always 7 digits)."""
    roc_year = value.year - ROC_OFFSET
    if not 1 <= roc_year <= 999:
        raise ValueError(f"{value} is outside the ROC calendar range")
    return f"{roc_year:03d}{value.month:02d}{value.day:02d}"


def format_roc_datetime(value: datetime) -> str:
    """``YYYMMDDHHMMSS`` as used by 就診日期時間."""
    return format_roc_date(value.date()) + value.strftime("%H%M%S")


def format_roc_display(value: date) -> str:
    """1990-02-15 → ``'079/02/15'``: the ``○○○/○○/○○`` form printed on NHI receipts and bags."""
    roc = format_roc_date(value)
    return f"{roc[:3]}/{roc[3:5]}/{roc[5:]}"
