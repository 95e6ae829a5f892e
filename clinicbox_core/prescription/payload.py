"""What a prescription slip (處方箋) carries in its QR code: :class:`RxPayload`.

Why here: the clinic that prints the slip and the pharmacy that scans it must agree on one
model, so it lives in the pure shared library. Everything is codes and numbers, never names:
the pharmacy looks names up in its own drug master, and a keyboard-wedge scanner (which types
what it reads) can only be trusted with ASCII. Every field is restricted to the QR
*alphanumeric* character set (``0-9 A-Z space $ % * + - . / :``) so the code stays small and
scans from a thermal print; :mod:`.qr_codec` turns the model into text and back.

Field sources (reference/nhi.md and specs/):

* 醫事機構代碼 (10), 醫師身分證號 (d30), 就醫日期 (ROC), 就醫序號 or 異常就醫代碼 (d29, 4
  characters), 案件分類 (d1), patient 身分證號 (d3) and 出生日期 (d11);
* 處方箋種類 (TW EMPD MedicationRequest category): ``A`` 一般, ``C`` 慢性病連續處方箋;
  可調劑次數 (``numberOfRepeatsAllowed`` + 1, at most 3: 醫療辦法第24條) and this print's
  調劑序 (``fill_no``, 1 for the slip as issued), 每次給藥日份 (慢箋: 28–30 days per fill is
  the rule the prescribing service checks, see clinicbox_core.nhi.chronic);
* diagnoses (ICD-10-CM, with the dot, at most 5 as on the IC card);
* items (醫令): 醫令類別 (p3, ``1`` drug), code (p4), dose (p5) per use or, for TCM, grams per
  day (``per = D``), frequency (p7), route (p9), days (p1), total (p10).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "ALPHANUMERIC",
    "MAX_DIAGNOSES",
    "MAX_FILLS",
    "MAX_ITEMS",
    "DosePer",
    "RxItem",
    "RxKind",
    "RxPayload",
]

#: The QR alphanumeric mode's characters; every payload field stays inside this set.
ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
MAX_ITEMS = 30
MAX_DIAGNOSES = 5
MAX_FILLS = 3  # 慢性病連續處方箋: at most three fills (醫療辦法第24條)

_Code = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z][0-9A-Z.]{0,11}$")]
_Token = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{1,8}$")]


class RxKind(StrEnum):
    """處方箋種類 (TW EMPD category): only the two a primary-care clinic issues."""

    GENERAL = "A"  # 一般處方箋
    CHRONIC = "C"  # 慢性病連續處方箋


class DosePer(StrEnum):
    """What ``dose`` counts: per use (西藥 p5) or per day (中藥 grams per day)."""

    USE = "U"
    DAY = "D"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RxItem(_Frozen):
    """One prescribed drug line."""

    category: Annotated[str, StringConstraints(pattern=r"^[1-4]$")] = "1"  # p3 醫令類別
    code: _Code
    dose: Decimal = Field(gt=0, le=Decimal("9999.99"), decimal_places=2)
    per: DosePer = DosePer.USE
    frequency: _Token
    route: _Token
    days: int = Field(ge=1, le=90)
    total: Decimal = Field(gt=0, le=Decimal("99999.9"), decimal_places=2)


class RxPayload(_Frozen):
    """A prescription slip's machine-readable content (format version 1)."""

    institution_code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{10}$")]
    slip_no: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z-]{1,20}$")]
    doctor_id: Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9A-Z]{9}$")]
    visit_date: date
    nhi_seq: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{4}$")]  # 就醫序號 / 異常代碼
    case_type: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{2}$")]
    patient_id: Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9A-Z]{9}$")]
    patient_birth: date
    kind: RxKind
    fills_total: int = Field(ge=1, le=MAX_FILLS)
    fill_no: int = Field(ge=1, le=MAX_FILLS)
    days_per_fill: int = Field(ge=1, le=90)
    diagnoses: tuple[_Code, ...] = Field(min_length=1, max_length=MAX_DIAGNOSES)
    items: tuple[RxItem, ...] = Field(min_length=1, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _consistent(self) -> RxPayload:
        if self.fill_no > self.fills_total:
            raise ValueError("fill_no is after the last fill")
        if self.kind is RxKind.GENERAL and self.fills_total != 1:
            raise ValueError("a general prescription has one fill")
        if self.kind is RxKind.CHRONIC and self.fills_total < 2:
            raise ValueError("a chronic refill slip has two or three fills")
        if self.patient_birth > self.visit_date:
            raise ValueError("born after the visit")
        return self
