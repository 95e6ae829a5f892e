"""中醫 (TCM) outpatient rules: 診察費 code, 每日藥費 and 調劑費 codes, the 針灸/傷科 code that
depends on whether herbs were prescribed, and the TCM 案件分類.

Sources: 支付標準 第四部 中醫 (specs/nhi-fee-schedule-part4-tcm-1050501.txt) 第一章 門診診察費
(不符(一)項之中醫醫療院所: a clinic, not an accredited hospital), 第二章 藥費 (A21 每日藥費), 第三章
調劑費 (A31 藥師, A32 中醫師親自調劑), 第四章 針灸/傷科 (B41–B94: each treatment has an
"另開內服藥" and a "未開內服藥" code); 案件分類 from the claims spec d1 and 註12 (一般案件: 給藥
七日以下且未申報檢驗費用).

Our readings, stated so they can be checked:

* The 診察費 band is set by the doctor's **monthly** average visits per clinic day; at the desk
  only the day is known, so the visit's ordinal in the doctor's day picks the band (the same
  "依序" allocation the monthly claim applies); the monthly re-banding is the claims run's job.
* 三歲(含)以下 here includes age 3 (the TCM text says 含), +20 % through p8 = 120.00.
* 針灸 and 傷科 visits are 案件分類 29 even with herbs; a visit issuing a 慢箋 is 24.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.consult_fee import FeeCode
from clinicbox_core.nhi.effective import Effective, check_no_overlap, in_force

__all__ = [
    "TCM_CONSULT_RULES",
    "TCM_DAILY_DRUG_FEE",
    "TCM_TREATMENT_PAIRS",
    "TcmConsultParams",
    "is_tcm_treatment",
    "tcm_case_type",
    "tcm_consultation_fee_code",
    "tcm_dispensing_fee_code",
    "tcm_treatment_code",
]

#: 每日藥費: claimed as days × this code; the herbs themselves go on p3 = 4 lines at 0 points.
TCM_DAILY_DRUG_FEE = "A21"


@dataclass(frozen=True, slots=True)
class TcmConsultParams:
    # (highest ordinal or None, {(nurse_present, refill_slip): code})
    bands: tuple[tuple[int | None, dict[tuple[bool, bool], str]], ...]
    child_max_age: int
    child_ratio: Decimal


def _band(
    upper: int | None, nurse: str, nurse_slip: str, alone: str, alone_slip: str
) -> tuple[int | None, dict[tuple[bool, bool], str]]:
    return upper, {(True, False): nurse, (True, True): nurse_slip, (False, False): alone,
                   (False, True): alone_slip}  # fmt: skip


TCM_CONSULT_RULES: tuple[Effective[TcmConsultParams], ...] = (
    Effective(
        rule_id="tcm-consult-1050501",
        valid_from=date(2016, 5, 1),
        valid_to=None,
        source="支付標準 第四部 中醫 第一章 一般門診診察費 (二) 不符(一)項之中醫醫療院所",
        params=TcmConsultParams(
            bands=(
                _band(30, "A01", "A11", "A02", "A12"),
                _band(50, "A03", "A13", "A04", "A14"),
                _band(70, "A05", "A15", "A06", "A16"),
                _band(150, "A07", "A17", "A07", "A17"),
                _band(None, "A08", "A18", "A08", "A18"),
            ),
            child_max_age=3,
            child_ratio=Decimal("120.00"),
        ),
    ),
)
check_no_overlap(TCM_CONSULT_RULES)


def tcm_consultation_fee_code(
    on: date,
    ordinal: int,
    patient_age_years: int,
    *,
    nurse_present: bool,
    issues_refill_slip: bool = False,
) -> FeeCode:
    """The 中醫 一般門診診察費 code for the doctor's ``ordinal``-th visit of the day."""
    if ordinal < 1:
        raise ValidationFailed(field="ordinal", reason="not_positive")
    if patient_age_years < 0:
        raise ValidationFailed(field="patient_age_years", reason="negative")
    p = in_force(TCM_CONSULT_RULES, on, rule="tcm_consultation_fee").params
    code = next(c for upper, c in p.bands if upper is None or ordinal <= upper)[
        (nurse_present, issues_refill_slip)
    ]
    ratio = p.child_ratio if patient_age_years <= p.child_max_age else Decimal("100.00")
    return FeeCode(code=code, ratio_p8=ratio)


def tcm_dispensing_fee_code(by_pharmacist: bool) -> str:
    """藥品調劑費: A31 藥師 (修習中藥課程) or A32 中醫師親自調劑."""
    return "A31" if by_pharmacist else "A32"


#: (另開內服藥, 未開內服藥) code pairs of 第四章 針灸、傷科及脫臼整復.
TCM_TREATMENT_PAIRS: tuple[tuple[str, str], ...] = (
    ("B41", "B42"),  # 針灸
    ("B43", "B44"),  # 電針
    ("B45", "B46"),  # 複雜性針灸
    ("B53", "B54"),  # 傷科 (含推拿)
    ("B55", "B56"),  # 複雜性傷科
    ("B62", "B63"),  # 脫臼整復 複診
    ("B80", "B81"),  # 針灸合併傷科
    ("B82", "B83"),
    ("B85", "B86"),
    ("B87", "B88"),
    ("B90", "B91"),
    ("B92", "B93"),
)
_SINGLE = frozenset({"B57", "B61", "B84", "B89", "B94"})
_PAIR_OF = {code: pair for pair in TCM_TREATMENT_PAIRS for code in pair}


def is_tcm_treatment(code: str) -> bool:
    """Whether ``code`` is a 針灸/傷科/脫臼整復 treatment (案件分類 29)."""
    return code in _PAIR_OF or code in _SINGLE


def tcm_treatment_code(code: str, *, with_herbs: bool) -> str:
    """The code of treatment ``code`` for a visit with or without 內服藥 (B41 ↔ B42, …);
    codes without a pair are returned as they are."""
    pair = _PAIR_OF.get(code)
    if pair is None:
        return code
    return pair[0] if with_herbs else pair[1]


def tcm_case_type(
    *,
    refill_dispensing: bool = False,
    treatment: bool = False,
    issues_refill_slip: bool = False,
    chronic_only: bool = False,
    herb_days: int = 0,
    lab: bool = False,
) -> str:
    """案件分類 of a 中醫 visit: 28 慢箋調劑, 29 針灸/傷科, 24 慢性病, 21 一般 (藥 ≤ 7 日 and no
    檢驗, 註12), else 22 中醫其他專案."""
    if refill_dispensing:
        return "28"
    if treatment:
        return "29"
    if issues_refill_slip or chronic_only:
        return "24"
    if herb_days <= 7 and not lab:
        return "21"
    return "22"
