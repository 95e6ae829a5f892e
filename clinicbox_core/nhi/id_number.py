"""Taiwan national ID (國民身分證統一編號) and resident certificate (居留證) number checks.

Source: 特約醫事服務機構住院醫療費用點數申報格式及填表說明 1040409 edition, 註14
(reference/specs/nhi-claims-inpatient-1040409.txt), which the outpatient spec's 註8 refers to:

* 1st character: area letter A–Z, converted to two digits by :data:`LETTER_VALUES`.
* 2nd character (sex): 國民身分證 ``1`` male / ``2`` female; 臺灣地區居留證 ``A``/``B``;
  外僑居留證 ``C``/``D``; 遊民 ``Y`` male / ``X`` female. A letter here counts as the last
  digit of its two-digit value.
* 3rd–9th: serial; 10th: check digit. Digits (area as two digits) are weighted 1987654321,
  each product's units digit summed; check = (10 − sum mod 10) mod 10.

Not in our sources, added from public knowledge and NOT confirmed against an official text: the
"new-style" resident certificate number (新式統一證號, issued from 2021-01-02) uses a digit
``8`` (male) or ``9`` (female) in the 2nd position with the same check digit rule.

The spec's worked example FA12345689 prints a product sum of 41 where its own digits give the
same units digit; only the units digit matters. Pure: no I/O.
"""

from __future__ import annotations

import re
from typing import Literal

from clinicbox_core.nhi.errors import InvalidIdNumber

__all__ = [
    "LETTER_VALUES",
    "SEX_CHARS",
    "check_digit",
    "is_valid_national_id",
    "sex_from_id",
    "validate_national_id",
]

# 註14 二: area letter → two-digit value (note I=34, O=35, W=32, X=30, Y=31, Z=33).
LETTER_VALUES: dict[str, int] = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34,
    "J": 18, "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25,
    "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30, "Y": 31, "Z": 33,
}  # fmt: skip

# 2nd character → sex. "8"/"9" are the unconfirmed 2021 new-style resident numbers (see above).
SEX_CHARS: dict[str, Literal["M", "F"]] = {
    "1": "M", "2": "F",  # 國民身分證
    "A": "M", "B": "F",  # 臺灣地區居留證
    "C": "M", "D": "F",  # 外僑居留證
    "Y": "M", "X": "F",  # 遊民
    "8": "M", "9": "F",  # 新式統一證號 (not confirmed from a stored source)
}  # fmt: skip

_WEIGHTS = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1)
_SHAPE = re.compile(r"^[A-Z][0-9A-Z][0-9]{8}$")


def _second_digit(char: str) -> int:
    return LETTER_VALUES[char] % 10 if char.isalpha() else int(char)


def check_digit(first_nine: str) -> str:
    """The check digit for the first nine characters (area letter, sex character, 7 digits)."""
    text = first_nine.upper()
    if len(text) != 9 or text[0] not in LETTER_VALUES or text[1] not in SEX_CHARS:
        raise InvalidIdNumber(field="id_no", reason="format")
    if not text[2:].isdigit():
        raise InvalidIdNumber(field="id_no", reason="format")
    area = LETTER_VALUES[text[0]]
    digits = [area // 10, area % 10, _second_digit(text[1])] + [int(c) for c in text[2:]]
    total = sum((d * w) % 10 for d, w in zip(digits, _WEIGHTS[:10], strict=True))
    return str((10 - total % 10) % 10)


def validate_national_id(value: str, *, field: str = "id_no") -> None:
    """Raise :class:`InvalidIdNumber` (``params['field']`` = ``field``) unless ``value`` is valid.

    Upper case only: the NHI card and the claims file hold upper case; callers normalise first.
    """
    if not isinstance(value, str) or not _SHAPE.match(value):
        raise InvalidIdNumber(field=field, reason="format")
    if value[1] not in SEX_CHARS:
        raise InvalidIdNumber(field=field, reason="sex_digit")
    if check_digit(value[:9]) != value[9]:
        raise InvalidIdNumber(field=field, reason="check_digit")


def is_valid_national_id(value: str) -> bool:
    """``True`` when :func:`validate_national_id` would accept ``value``."""
    try:
        validate_national_id(value)
    except InvalidIdNumber:
        return False
    return True


def sex_from_id(value: str) -> Literal["M", "F"]:
    """``'M'`` or ``'F'`` from the 2nd character of a valid number (validates first)."""
    validate_national_id(value)
    return SEX_CHARS[value[1]]
