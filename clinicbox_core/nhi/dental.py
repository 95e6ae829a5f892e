"""牙醫 (dental) outpatient rules: 診察費 code, 案件分類, and tooth positions (牙位) for the
claims p6 field.

Sources: 支付標準 第三部 牙醫 (specs/nhi-fee-schedule-part3-dental-1050501.txt) 牙科門診診察費
00121C–00124C (≤ 20 / > 20 visits per doctor per day; odd = 處方交付特約藥局調劑, even = 未開
處方或自行調劑); claims spec p6 診療之部位 ("牙科為必要欄位 … 每次醫令最多填三個編碼", FDI and
註26 region codes), d1 案件分類 and 註12 (牙醫一般案件: 每人次總醫療費用在三百元以下).

Not handled (stated so nobody assumes it): 山地離島 00125C/00126C, 身心障礙 00128C/00301C–00303C,
加強感染管制 00129C, 牙醫門診手術 (13) and the programme case types 14–16.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.consult_fee import Dispensing, FeeCode
from clinicbox_core.nhi.effective import Effective, check_no_overlap, in_force

__all__ = [
    "DENTAL_CONSULT_RULES",
    "DENTAL_GENERAL_MAX_POINTS",
    "MAX_TOOTH_CODES",
    "PERMANENT_TEETH",
    "PRIMARY_TEETH",
    "REGION_CODES",
    "DentalConsultParams",
    "claim_position",
    "dental_case_type",
    "dental_consultation_fee_code",
    "parse_tooth_positions",
]

MAX_TOOTH_CODES = 3
DENTAL_GENERAL_MAX_POINTS = 300
PERMANENT_TEETH = tuple(f"{q}{t}" for q in (1, 2, 3, 4) for t in range(1, 9))
PRIMARY_TEETH = tuple(f"{q}{t}" for q in (5, 6, 7, 8) for t in range(1, 6))
#: 註26: 全口, 上/下半口, 四個象限, 上/下顎前齒, 無法表示.
REGION_CODES = {
    "FM": "全口", "UB": "上半口", "LB": "下半口", "UR": "上半右口", "UL": "上半左口",
    "UA": "上顎前齒", "LR": "下半右口", "LL": "下半左口", "LA": "下顎前齒", "99": "無法表示",
}  # fmt: skip
_VALID = frozenset(PERMANENT_TEETH) | frozenset(PRIMARY_TEETH) | frozenset(REGION_CODES)


@dataclass(frozen=True, slots=True)
class DentalConsultParams:
    low_max: int  # 每位醫師每日門診量 ≤ this: the first pair
    low: tuple[str, str]  # (交付, 自行/未開)
    high: tuple[str, str]


DENTAL_CONSULT_RULES: tuple[Effective[DentalConsultParams], ...] = (
    Effective(
        rule_id="dental-consult-1050501",
        valid_from=date(2016, 5, 1),
        valid_to=None,
        source="支付標準 第三部 牙醫 牙科門診診察費 00121C–00124C",
        params=DentalConsultParams(low_max=20, low=("00121C", "00122C"), high=("00123C", "00124C")),
    ),
)
check_no_overlap(DENTAL_CONSULT_RULES)


def dental_consultation_fee_code(on: date, ordinal: int, dispensing: Dispensing) -> FeeCode:
    """The 牙科門診診察費 code for the doctor's ``ordinal``-th visit of the day."""
    if ordinal < 1:
        raise ValidationFailed(field="ordinal", reason="not_positive")
    p = in_force(DENTAL_CONSULT_RULES, on, rule="dental_consultation_fee").params
    pair = p.low if ordinal <= p.low_max else p.high
    return FeeCode(code=pair[0] if dispensing == "delegated" else pair[1], ratio_p8=Decimal(100))


def dental_case_type(*, emergency: bool = False, total_points: int) -> str:
    """案件分類: 12 牙醫急診, 11 牙醫一般 (總醫療費用 ≤ 300, 註12), else 19 牙醫其他專案."""
    if emergency:
        return "12"
    return "11" if total_points <= DENTAL_GENERAL_MAX_POINTS else "19"


def parse_tooth_positions(text: str) -> tuple[str, ...]:
    """Tooth positions typed as ``11 12``, ``11,12`` or ``FM``: 1–3 FDI teeth (11–48
    permanent, 51–85 primary) or 註26 region codes, no repeats; :class:`ValidationFailed`
    (field ``tooth``) naming the bad code otherwise."""
    codes = tuple(c for c in re.split(r"[\s,、;/]+", text.strip().upper()) if c)
    if not codes:
        raise ValidationFailed("error.tooth.required", field="tooth")
    if len(codes) > MAX_TOOTH_CODES:
        raise ValidationFailed("error.tooth.too_many", field="tooth", max=MAX_TOOTH_CODES)
    for code in codes:
        if code not in _VALID:
            raise ValidationFailed("error.tooth.unknown", field="tooth", code=code[:8])
    if len(set(codes)) != len(codes):
        raise ValidationFailed("error.tooth.repeated", field="tooth")
    return codes


def claim_position(codes: tuple[str, ...]) -> str:
    """The p6 value: the codes side by side, left-aligned (6 characters at most)."""
    return "".join(codes)
