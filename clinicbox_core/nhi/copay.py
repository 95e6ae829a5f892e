"""部分負擔 (patient copayment) for 基層 clinics (西醫 D, 牙醫 H, 中醫 S) and 特約藥局.

Rules are data: :data:`COPAY_RULES` holds one :class:`~clinicbox_core.nhi.effective.Effective`
row per edition; :func:`compute_copay` evaluates the row in force on ``CopayInput.on``.

Sources and what each row rests on:

* ``copay-primary-1040409`` (2015-03-01 … 2023-06-30). Codes and basic amounts: 門診醫療費用點數
  申報格式 1040409 (effective 104.03.01) 註10 (D00 150, D10 50, D20 "一般門診加藥品", H00 150,
  H10 50, S10 50, S20 "藥品或中醫傷科"; exemption codes 001–009, 801, 802, 901–906), d15 rule 二
  (慢性病連續處方調劑 → 009), d43 rule (003, 004, 005, 006, 901, 902, 903, 904, 906 report
  the copay that would have been due). Pharmacy codes I20/I21/I22 and d19: 交付機構 1040409.
  The drug-copay bands are not in these texts; they are taken from the 2023 reform reports
  (below), which say the 基層 bands were left unchanged, so they are assumed for this row too.
  The row may well be older than 2015-03-01; that start is only the earliest date our sources
  attest.
* ``copay-primary-1120701`` (from 2023-07-01): 部分負擔 reform (cna.com.tw 2023-06-16, MOHW
  cp-6646-80321; reference/nhi.md §8 [S26]): 基層 basic 50, ER 150, drug ≤100 元 → 0 then 20 元
  per 100-元 band capped at 200 元, 慢箋 free at 基層 for every refill, disabled 50. Codes also
  from TW EMPD PartCode 0.2.1 (2023-10-30), which adds D13 (基層 一般門診 持殘障手冊) and
  exemption codes 907–915.

Not confirmed from a stored source (choices documented here):

* ER + drugs at 基層: the drug copay is added to the ER 150 and the code stays D00 (no ER
  variant of D20 exists in either code list).
* Disabled (持身心障礙證明) at 西醫基層: D13 (50) when no drug copay is due; with a drug copay
  the code is D20 (neither list has D23 for 基層). Dental/TCM primary have no disabled code;
  their basic amount is 50 either way, so H10/S10 are used.
* 907–915 (代辦 … 補助部分負擔, 行政協助) are treated like 901–906 for d43 in the 2023 row.
* 牙醫 has no drug copay (藥費免部分負擔範圍 includes 牙醫案件, 交付機構 spec I22).

``drug_points`` is the drug fee subject to the drug copay (1 point counted as 1 元): callers
leave out 慢性病連續處方箋 lines, which are exempt. d40 = ``total``; the pharmacy file calls
the admin-assist field d19 — :attr:`Copay.admin_assist_d43` carries it for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.effective import Effective, check_no_overlap, in_force
from clinicbox_core.nhi.errors import UnknownCode

__all__ = [
    "COPAY_RULES",
    "Copay",
    "CopayInput",
    "CopayParams",
    "InstitutionLevel",
    "VisitKind",
    "compute_copay",
    "drug_copay_amount",
]


class InstitutionLevel(StrEnum):
    WESTERN_PRIMARY = "western_primary"  # 西醫基層 (d15 first letter D)
    DENTAL_PRIMARY = "dental_primary"  # 牙醫基層 (H)
    TCM_PRIMARY = "tcm_primary"  # 中醫基層 (S)
    PHARMACY = "pharmacy"  # 特約藥局 (I20/I21/I22)


class VisitKind(StrEnum):
    GENERAL = "general"
    EMERGENCY = "emergency"
    CHRONIC_REFILL = "chronic_refill"  # dispensing a 慢性病連續處方箋 refill


@dataclass(frozen=True, slots=True)
class CopayParams:
    """Parameters of one edition of the 基層 copay rule (see the module docstring)."""

    basic: dict[tuple[InstitutionLevel, VisitKind], tuple[str, int]]  # → (d15 code, 元)
    disabled_code: dict[InstitutionLevel, str]  # western only; others keep their basic code
    disabled_basic: int
    drug_code: dict[InstitutionLevel, str]  # d15 when a drug copay is due (D20, S20, I20)
    drug_free_up_to: int
    drug_band_width: int
    drug_band_amount: int
    drug_cap: int
    drug_copay_levels: frozenset[InstitutionLevel]
    chronic_refill_code: dict[InstitutionLevel, str]
    pharmacy_no_drug_copay_code: str  # I21: 藥費一百元以下
    exemption_codes: dict[str, str]  # code → zh
    admin_assist_codes: frozenset[str]  # exemptions that report the would-be copay (d43/d19)


_W, _D, _T, _P = (
    InstitutionLevel.WESTERN_PRIMARY,
    InstitutionLevel.DENTAL_PRIMARY,
    InstitutionLevel.TCM_PRIMARY,
    InstitutionLevel.PHARMACY,
)
_G, _E = VisitKind.GENERAL, VisitKind.EMERGENCY

_EXEMPT_1040409 = {
    "001": "重大傷病",
    "002": "分娩",
    "003": "低收入戶",
    "004": "榮民、榮民遺眷之家戶代表",
    "005": "結核病患至指定院所就醫",
    "006": "職業傷害或職業病",
    "007": "山地離島地區之就醫",
    "008": "離島轉診至台灣本島",
    "009": "其他免部分負擔（預防保健、慢箋、百歲人瑞等）",
    "801": "HMO巡迴醫療",
    "802": "蘭綠計畫",
    "901": "多氯聯苯中毒之油症患者",
    "902": "三歲以下兒童醫療補助計畫",
    "903": "新生兒依附註記方式就醫",
    "904": "行政協助愛滋病案件",
    "905": "三聚氰胺污染奶製品案",
    "906": "替代役役男",
}
_EXEMPT_2023 = _EXEMPT_1040409 | {
    "907": "原住民於非山地離島地區接受戒菸服務",
    "908": "代辦海洋委員會海巡署補助部分負擔",
    "909": "代辦中央警察大學補助部分負擔",
    "910": "代辦內政部消防署補助部分負擔",
    "911": "代辦內政部空勤總隊補助部分負擔",
    "912": "代辦內政部警政署補助部分負擔",
    "913": "代辦國防部補助部分負擔",
    "914": "行政協助法定傳染病通報隔離案件",
    "915": "代辦內政部移民署補助部分負擔",
}
_ADMIN_1040409 = frozenset({"003", "004", "005", "006", "901", "902", "903", "904", "906"})
_ADMIN_2023 = _ADMIN_1040409 | {"908", "909", "910", "911", "912", "913", "914", "915"}


def _params(exempt: dict[str, str], admin: frozenset[str], *, d13: bool) -> CopayParams:
    return CopayParams(
        basic={
            (_W, _G): ("D10", 50),
            (_W, _E): ("D00", 150),
            (_D, _G): ("H10", 50),
            (_D, _E): ("H00", 150),
            (_T, _G): ("S10", 50),
            (_P, _G): ("I21", 0),
        },
        disabled_code={_W: "D13"} if d13 else {},
        disabled_basic=50,
        drug_code={_W: "D20", _T: "S20", _P: "I20"},
        drug_free_up_to=100,
        drug_band_width=100,
        drug_band_amount=20,
        drug_cap=200,
        drug_copay_levels=frozenset({_W, _T, _P}),
        chronic_refill_code={_W: "009", _D: "009", _T: "009", _P: "I22"},
        pharmacy_no_drug_copay_code="I21",
        exemption_codes=exempt,
        admin_assist_codes=admin,
    )


COPAY_RULES: tuple[Effective[CopayParams], ...] = (
    Effective(
        rule_id="copay-primary-1040409",
        valid_from=date(2015, 3, 1),
        valid_to=date(2023, 6, 30),
        source="門診/交付機構醫療費用點數申報格式 1040409 註10, d15, d43; drug bands per [S26]",
        # D13 for 基層 is only attested by the 2023 EMPD list; not used in this row.
        params=_params(_EXEMPT_1040409, _ADMIN_1040409, d13=False),
    ),
    Effective(
        rule_id="copay-primary-1120701",
        valid_from=date(2023, 7, 1),
        valid_to=None,
        source="部分負擔 reform 112.07.01 [S26]; TW EMPD PartCode 0.2.1 (2023-10-30)",
        params=_params(_EXEMPT_2023, _ADMIN_2023, d13=True),
    ),
)
check_no_overlap(COPAY_RULES)


class CopayInput(BaseModel):
    """What the copay depends on. ``drug_points``: drug fee subject to the drug copay."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    on: date
    institution_level: InstitutionLevel
    visit_kind: VisitKind = VisitKind.GENERAL
    drug_points: int = Field(default=0, ge=0)
    exemption_code: str | None = None
    disabled: bool = False


class Copay(BaseModel):
    """The result: amounts in 元, the d15 code, d43 (d19 for pharmacies), and the rule used."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    basic: int
    drug: int
    total: int
    code_d15: str
    admin_assist_d43: int
    rule_id: str


def _bands(points: int, p: CopayParams) -> int:
    if points <= p.drug_free_up_to:
        return 0
    bands = -(-(points - p.drug_free_up_to) // p.drug_band_width)  # ceiling division
    return min(bands * p.drug_band_amount, p.drug_cap)


def drug_copay_amount(drug_points: int, *, on: date) -> int:
    """The 基層 drug copay for ``drug_points`` under the rule in force ``on`` (101 → 20)."""
    if drug_points < 0:
        raise ValidationFailed(field="drug_points", reason="negative")
    return _bands(drug_points, in_force(COPAY_RULES, on, rule="copay").params)


def _due(inp: CopayInput, p: CopayParams) -> tuple[str, int, int]:
    """(code, basic, drug) that would be charged without an exemption."""
    level, kind = inp.institution_level, inp.visit_kind
    if kind is VisitKind.CHRONIC_REFILL:
        return p.chronic_refill_code[level], 0, 0
    entry = p.basic.get((level, kind))
    if entry is None:
        raise ValidationFailed(field="visit_kind", reason="not_for_level", level=level.value)
    code, basic = entry
    drug = _bands(inp.drug_points, p) if level in p.drug_copay_levels else 0
    if inp.disabled and level is not InstitutionLevel.PHARMACY and kind is VisitKind.GENERAL:
        basic = min(basic, p.disabled_basic)
        code = p.disabled_code.get(level, code)
    if drug > 0 and kind is VisitKind.GENERAL:
        code = p.drug_code[level]
    return code, basic, drug


def compute_copay(inp: CopayInput) -> Copay:
    """部分負擔 of one visit (clinic) or one dispensing (pharmacy); see the module docstring."""
    row = in_force(COPAY_RULES, inp.on, rule="copay")
    p = row.params
    code, basic, drug = _due(inp, p)
    if inp.exemption_code is not None:
        exempt = inp.exemption_code.strip()
        if exempt not in p.exemption_codes:
            raise UnknownCode(field="exemption_code", code=inp.exemption_code)
        assist = basic + drug if exempt in p.admin_assist_codes else 0
        return Copay(
            basic=0, drug=0, total=0, code_d15=exempt, admin_assist_d43=assist, rule_id=row.rule_id
        )
    return Copay(
        basic=basic,
        drug=drug,
        total=basic + drug,
        code_d15=code,
        admin_assist_d43=0,
        rule_id=row.rule_id,
    )
