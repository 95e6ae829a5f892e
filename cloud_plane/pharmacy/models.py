"""Inputs and views of the pharmacy services (pydantic in, frozen dataclasses out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from clinicbox_core.pharmacy.refill import RefillWindow, refill_window

RxSource = Literal["qr", "card", "typed"]


class RxItemInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    dose: Decimal | None = None
    frequency: str | None = None
    route: str | None = None
    days: int = Field(ge=1, le=90)
    total_quantity: Decimal = Field(gt=0)


class RxInput(BaseModel):
    """A prescription slip as the pharmacist receives it (from its QR code or typed in)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    national_id: str
    name: str
    birth_date: date
    sex: Literal["M", "F"]
    origin_nhi_code: str  # 原處方服務機構代號
    origin_case_type: str = "09"  # 原處方案件分類
    origin_seq: str | None = None  # 原處方就醫序號
    department: str | None = None
    prescribed_on: date
    doctor_id_no: str | None = None
    diagnoses: tuple[str, ...] = ()
    chronic: bool = False
    fills_allowed: int = Field(default=1, ge=1, le=3)
    items: tuple[RxItemInput, ...]


@dataclass(frozen=True, slots=True)
class RxItem:
    ordinal: int
    code: str
    name: str
    dose: Decimal | None
    frequency: str | None
    route: str | None
    days: int
    total_quantity: Decimal


@dataclass(frozen=True, slots=True)
class Fill:
    fill_no: int
    visit_id: int
    dispensed_on: date
    copay: int
    fee_code: str | None


@dataclass(frozen=True, slots=True)
class Rx:
    id: int
    patient_id: int
    patient_name: str
    national_id: str | None
    birth_date: date
    source: str
    origin_nhi_code: str
    origin_case_type: str
    origin_seq: str | None
    department: str | None
    prescribed_on: date
    doctor_id_no: str | None
    diagnoses: tuple[str, ...]
    chronic: bool
    fills_allowed: int
    days: int
    created_at: datetime
    items: tuple[RxItem, ...]
    fills: tuple[Fill, ...]

    @property
    def next_fill_no(self) -> int | None:
        n = len(self.fills) + 1
        return n if n <= self.fills_allowed else None


def next_window(rx: Rx) -> RefillWindow | None:
    """The refill window of the slip's next fill (None for the first fill or when used up)."""
    n = rx.next_fill_no
    if n is None or n < 2 or not rx.fills or rx.days < 2:
        return None
    return refill_window(rx.fills[-1].dispensed_on, rx.days, n)


@dataclass(frozen=True, slots=True)
class Lot:
    id: int
    code: str
    name: str
    lot_no: str
    expiry: date
    on_hand: Decimal
    unit_cost: Decimal


@dataclass(frozen=True, slots=True)
class StockLine:
    """A drug's usable stock against its reorder level (the low-stock list)."""

    code: str
    name: str
    on_hand: Decimal
    reorder_level: Decimal
    lots: int
