"""Per-tenant clinic tables: organisation, people, visits and everything a visit produces.

TW Core FHIR mapping (each row can be rendered as one resource):

    tenants      → Organization  (identifier 醫事機構代碼 = nhi_code, type = clinic_type)
    staff        → Practitioner  (+ PractitionerRole for roles; identifier = national_id)
    patients     → Patient       (identifier idCardNumber = national_id, medicalRecord = chart_no)
    visits       → Encounter     (period = registered_at..finished_at, serviceType = department)
    diagnoses    → Condition     (code = ICD-10-CM 2023 TW, encounter = visit)
    orders       → MedicationRequest (kind drug) / ServiceRequest+ChargeItem (procedure, fees)
    bills        → ChargeItem / Invoice summary of a visit
    tenant_drugs → Medication    (the clinic's formulary entry for an NHI drug code)

Every table holds ``tenant_id`` so every query can be filtered the same way
(:mod:`cloud_plane.services.tenancy`). Timestamps are UTC; ``visit_date`` is the Asia/Taipei day.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

from cloud_plane.db.metadata import metadata
from cloud_plane.db.types import DecimalText, UtcDateTime

CLINIC_TYPES = ("western", "tcm", "dental", "pharmacy")  # 西醫/中醫/牙醫/藥局
VISIT_STATUSES = ("registered", "in_consultation", "to_bill", "billed", "dispensed", "cancelled")
ORDER_KINDS = ("drug", "procedure", "consult_fee", "pharmacy_fee")
PRINT_KINDS = ("drugbag", "receipt", "slip", "rx")  # rx = 處方箋 (交付調劑)
PRINT_STATUSES = ("queued", "sent", "done", "failed")
AUDIT_ACTIONS = ("read", "create", "update", "delete")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


tenants = Table(
    "tenants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("slug", String(64), nullable=False, unique=True),  # MQTT topic segment
    Column("nhi_code", String(10), nullable=False, unique=True),  # 醫事機構代碼
    Column("name", String(100), nullable=False),
    Column("clinic_type", String(16), nullable=False),
    Column("address", String(200), nullable=False, default=""),
    Column("phone", String(30), nullable=False, default=""),
    # clinic settings
    Column("registration_fee", Integer, nullable=False, default=150),  # 掛號費, 元
    Column("default_department", String(2), nullable=False, default="01"),
    Column("default_doctor_username", String(64), nullable=True),  # for card-only check-in
    Column("dispensing", String(8), nullable=False, default="self"),  # self=自行調劑, deliver=交付
    # 中醫: 看診時聘有護理人員在場服務 (selects A01/A03/A05 over A02/A04/A06)
    Column("nurse_present", Boolean, nullable=False, default=False, server_default=false()),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint(_in("clinic_type", CLINIC_TYPES), name="clinic_type"),
    CheckConstraint(_in("dispensing", ("self", "deliver")), name="dispensing"),
)

staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("username", String(64), nullable=False),
    Column("display_name", String(64), nullable=False),
    Column("roles", JSON, nullable=False),  # list of front_desk/doctor/pharmacist/clinic_admin
    Column("password_hash", String(200), nullable=False),  # argon2id
    Column("national_id", String(10), nullable=True),  # d30 醫師 / d31 藥師 ID
    Column("active", Boolean, nullable=False, default=True),
    # may sign in on the box in continuity mode (the box then holds this hash as a verifier)
    Column("offline_allowed", Boolean, nullable=False, default=True, server_default=true()),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "username", name="uq_staff_tenant_username"),
)

boxes = Table(
    "boxes",
    metadata,
    Column("box_id", String(64), primary_key=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("printer_roles", JSON, nullable=False),  # e.g. ["drugbag", "receipt", "slip"]
    Column("created_at", UtcDateTime, nullable=False),
)

# Per-tenant sequences (chart numbers, 看診號); bumped with an atomic upsert.
counters = Table(
    "counters",
    metadata,
    Column("tenant_id", ForeignKey("tenants.id"), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("value", Integer, nullable=False),
)

patients = Table(
    "patients",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("chart_no", String(20), nullable=False),  # 病歷號
    Column("national_id", String(10), nullable=True),
    Column("name", String(64), nullable=False),
    Column("sex", String(1), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("phone", String(30), nullable=False, default=""),
    Column("address", String(200), nullable=False, default=""),
    Column("nhi_card_no", String(12), nullable=True),
    Column("allergies", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "national_id", name="uq_patients_tenant_national_id"),
    UniqueConstraint("tenant_id", "chart_no", name="uq_patients_tenant_chart_no"),
    CheckConstraint("sex IN ('M', 'F')", name="sex"),
)
Index("ix_patients_tenant_name", patients.c.tenant_id, patients.c.name)
Index("ix_patients_tenant_phone", patients.c.tenant_id, patients.c.phone)
Index("ix_patients_tenant_birth", patients.c.tenant_id, patients.c.birth_date)

visits = Table(
    "visits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("patient_id", ForeignKey("patients.id"), nullable=False),
    Column("visit_date", Date, nullable=False),  # Asia/Taipei clinic day
    Column("session", String(10), nullable=False),  # morning/afternoon/evening (早/午/晚)
    Column("department", String(2), nullable=False),  # NHI 就醫科別 (d8)
    Column("doctor_id", ForeignKey("staff.id"), nullable=False),
    Column("visit_no", Integer, nullable=False),  # 看診號
    Column("visit_type", String(2), nullable=False),  # 就醫類別 (01 西醫門診 ...)
    Column("nhi_seq", String(4), nullable=True),  # 就醫序號 from the card, when obtained
    Column("abnormal_code", String(4), nullable=True),  # 異常就醫代碼 instead of 就醫序號
    Column("case_type", String(2), nullable=False),  # 案件分類 (d1)
    Column("copay_code", String(3), nullable=True),  # 部分負擔代號 (d15), set by billing
    Column("status", String(16), nullable=False),
    Column("chief_complaint", Text, nullable=False, default=""),
    Column("source", String(8), nullable=False),  # card / manual
    Column("box_id", String(64), nullable=True),  # the box that read the card
    Column("registered_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    # 慢性病連續處方箋 issued at this visit: 可調劑次數 and 每次給藥日份 (NULL = none)
    Column("refill_fills", Integer, nullable=True),
    Column("refill_days", Integer, nullable=True),
    UniqueConstraint(
        "tenant_id", "visit_date", "doctor_id", "session", "visit_no", name="uq_visits_number"
    ),
    CheckConstraint(_in("status", VISIT_STATUSES), name="status"),
    CheckConstraint(_in("source", ("card", "manual")), name="source"),
    CheckConstraint(_in("session", ("morning", "afternoon", "evening")), name="session"),
)
Index("ix_visits_tenant_date", visits.c.tenant_id, visits.c.visit_date)
Index("ix_visits_patient", visits.c.patient_id)

diagnoses = Table(
    "diagnoses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("visit_id", ForeignKey("visits.id"), nullable=False),
    Column("ordinal", Integer, nullable=False),  # 1 = 主診斷 (d19), 2..5 = 次診斷
    Column("code", String(10), nullable=False),
    Column("name", String(300), nullable=False),
    UniqueConstraint("visit_id", "code", name="uq_diagnoses_visit_code"),
)
Index("ix_diagnoses_visit", diagnoses.c.visit_id)

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("visit_id", ForeignKey("visits.id"), nullable=False),
    Column("ordinal", Integer, nullable=False),  # 醫令序 (p13)
    Column("kind", String(16), nullable=False),
    Column("code", String(12), nullable=False),  # p4
    Column("name", String(300), nullable=False),
    Column("dose", DecimalText, nullable=True),  # p5 單次劑量
    Column("frequency", String(12), nullable=True),  # p7
    Column("route", String(12), nullable=True),  # p9
    Column("days", Integer, nullable=True),  # p1
    Column("total_quantity", DecimalText, nullable=False),  # p10
    Column("unit_points", DecimalText, nullable=False),  # p11
    Column("amount_points", Integer, nullable=False),  # p12 (NHI) or 元 when self_pay
    Column("self_pay", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("position", String(6), nullable=True),  # p6 診療之部位: 牙位 (FDI, up to 3 codes)
    Column("dose_per", String(1), nullable=True),  # D = dose is per day (中藥 g/日), else per use
    CheckConstraint(_in("kind", ORDER_KINDS), name="kind"),
)
Index("ix_orders_visit", orders.c.visit_id)

bills = Table(
    "bills",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("visit_id", ForeignKey("visits.id"), nullable=False, unique=True),
    Column("registration_fee", Integer, nullable=False),  # 元
    Column("copay", Integer, nullable=False),  # 部分負擔 (d40), 元 = basic + drug
    Column("copay_basic", Integer, nullable=False),  # 基本部分負擔
    Column("copay_drug", Integer, nullable=False),  # 藥品部分負擔
    Column("copay_code", String(3), nullable=False),  # d15
    Column("nhi_points", Integer, nullable=False),  # d39 合計
    Column("self_pay_total", Integer, nullable=False),  # 元
    Column("amount_due", Integer, nullable=False),  # 元
    Column("paid", Integer, nullable=True),
    Column("computed_at", UtcDateTime, nullable=False),
    Column("settled_at", UtcDateTime, nullable=True),
)

print_jobs = Table(
    "print_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("visit_id", ForeignKey("visits.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("job_id", String(36), nullable=False, unique=True),
    Column("box_id", String(64), nullable=False),
    Column("status", String(8), nullable=False),
    Column("reason", String(64), nullable=True),
    Column("detail", Text, nullable=True),
    Column("title", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint(_in("kind", PRINT_KINDS), name="kind"),
    CheckConstraint(_in("status", PRINT_STATUSES), name="status"),
)
Index("ix_print_jobs_visit", print_jobs.c.visit_id)

# Append-only: the services only ever INSERT here.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("staff_id", ForeignKey("staff.id"), nullable=True),  # NULL = a box / the system
    Column("box_id", String(64), nullable=True),
    Column("action", String(8), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("patient_id", ForeignKey("patients.id"), nullable=True),
    Column("at", UtcDateTime, nullable=False),
    Column("detail", JSON, nullable=False),
    CheckConstraint(_in("action", AUDIT_ACTIONS), name="action"),
)
Index("ix_audit_log_tenant_patient", audit_log.c.tenant_id, audit_log.c.patient_id)

# The clinic's drug master (formulary): what the drug bag prints for an NHI drug code.
tenant_drugs = Table(
    "tenant_drugs",
    metadata,
    Column("tenant_id", ForeignKey("tenants.id"), primary_key=True),
    Column("code", String(12), primary_key=True),
    Column("name_zh", String(200), nullable=False),
    Column("default_dose", DecimalText, nullable=True),
    Column("default_frequency", String(12), nullable=True),
    Column("default_route", String(12), nullable=True),
    Column("unit", String(12), nullable=False, default="粒"),
    Column("indication", String(200), nullable=False, default=""),  # 適應症
    Column("strength", String(40), nullable=False, default=""),  # 含量 printed as 劑量
    Column("warnings", String(300), nullable=False, default=""),  # 警語
    Column("side_effects", String(300), nullable=False, default=""),  # 副作用
    Column("self_pay_price", Integer, nullable=True),  # 元 per unit when given as 自費
    Column("demo_value", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
)

# 組套: a doctor's saved set of diagnoses and orders, applied to a visit in one step.
order_sets = Table(
    "order_sets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("doctor_id", ForeignKey("staff.id"), nullable=False),
    Column("name", String(40), nullable=False),
    Column("body", JSON, nullable=False),  # {"diagnoses": [code], "orders": [{kind, code, ...}]}
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "doctor_id", "name", name="uq_order_sets_doctor_name"),
)

# One row: the schema version the database was last migrated to (see cloud_plane.db.schema).
schema_info = Table(
    "schema_info",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("schema_version", Integer, nullable=False),
    Column("compat_version", Integer, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)
