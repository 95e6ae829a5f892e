"""Frozen result models the services return (one shape for the web pages and the tests)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Session(StrEnum):
    MORNING = "morning"  # 早診
    AFTERNOON = "afternoon"  # 午診
    EVENING = "evening"  # 晚診


class VisitStatus(StrEnum):
    REGISTERED = "registered"
    IN_CONSULTATION = "in_consultation"
    TO_BILL = "to_bill"
    BILLED = "billed"
    DISPENSED = "dispensed"
    CANCELLED = "cancelled"


class Tenant(_Frozen):
    id: int
    slug: str
    nhi_code: str
    name: str
    clinic_type: str
    address: str
    phone: str
    registration_fee: int
    default_department: str
    dispensing: str


class Staff(_Frozen):
    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    national_id: str | None
    active: bool


class Patient(_Frozen):
    id: int
    chart_no: str
    national_id: str | None
    name: str
    sex: str
    birth_date: date
    phone: str
    address: str
    nhi_card_no: str | None
    allergies: str
    created_at: datetime
    updated_at: datetime


class PatientInput(_Frozen):
    """What a person types to create a patient without a card."""

    name: str = Field(min_length=1, max_length=64)
    sex: str = Field(pattern="^[MF]$")
    birth_date: date
    national_id: str | None = None
    phone: str = Field(default="", max_length=30)
    address: str = Field(default="", max_length=200)
    nhi_card_no: str | None = Field(default=None, min_length=12, max_length=12)
    allergies: str = ""


class Visit(_Frozen):
    id: int
    patient_id: int
    visit_date: date
    session: Session
    department: str
    doctor_id: int
    visit_no: int
    visit_type: str
    nhi_seq: str | None
    abnormal_code: str | None
    case_type: str
    copay_code: str | None
    status: VisitStatus
    chief_complaint: str
    source: str
    box_id: str | None
    registered_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    refill_fills: int | None = None  # 慢箋 可調劑次數
    refill_days: int | None = None  # 慢箋 每次給藥日份


class QueueEntry(_Frozen):
    visit: Visit
    patient_name: str
    chart_no: str
    patient_sex: str
    birth_date: date
    doctor_name: str


class Diagnosis(_Frozen):
    id: int
    ordinal: int
    code: str
    name: str


class Order(_Frozen):
    id: int
    ordinal: int
    kind: str
    code: str
    name: str
    dose: Decimal | None
    frequency: str | None
    route: str | None
    days: int | None
    total_quantity: Decimal
    unit_points: Decimal
    amount_points: int
    self_pay: bool
    position: str | None = None  # p6 牙位
    dose_per: str | None = None  # "D": dose is per day (中藥 g/日)


class VisitDetail(_Frozen):
    visit: Visit
    patient: Patient
    doctor: Staff
    diagnoses: tuple[Diagnosis, ...]
    orders: tuple[Order, ...]


class Bill(_Frozen):
    visit_id: int
    registration_fee: int
    copay: int
    copay_basic: int
    copay_drug: int
    copay_code: str
    nhi_points: int
    self_pay_total: int
    amount_due: int
    paid: int | None
    change: int | None
    computed_at: datetime
    settled_at: datetime | None


class PrintJobRow(_Frozen):
    id: int
    visit_id: int
    kind: str
    job_id: uuid.UUID
    box_id: str
    status: str
    reason: str | None
    detail: str | None
    title: str
    created_at: datetime
    updated_at: datetime


class AuditEntry(_Frozen):
    id: int
    staff_id: int | None
    box_id: str | None
    action: str
    entity: str
    entity_id: str
    patient_id: int | None
    at: datetime
    detail: dict[str, Any]


class Icd10Hit(_Frozen):
    code: str
    name_en: str
    name_zh: str
    billable: bool


class DrugHit(_Frozen):
    code: str
    name_en: str
    name_zh: str | None
    price_points: Decimal | None
    in_formulary: bool
    default_dose: Decimal | None
    default_frequency: str | None
    default_route: str | None
    self_pay_price: int | None
    demo_value: bool
