"""Initial clinic, reference-data and box-link tables (schema version 1).

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-24 19:17:49.201524
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "box_dead_letter",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_slug", sa.String(length=64), nullable=False),
        sa.Column("box_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("event_type", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_box_dead_letter")),
        sa.UniqueConstraint("box_id", "seq", name="uq_box_dead_letter_box_seq"),
    )
    op.create_table(
        "box_inbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_slug", sa.String(length=64), nullable=False),
        sa.Column("box_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_box_inbox")),
        sa.UniqueConstraint("box_id", "seq", name="uq_box_inbox_box_seq"),
        sa.UniqueConstraint("event_id", name=op.f("uq_box_inbox_event_id")),
    )
    op.create_table(
        "box_inbox_watermark",
        sa.Column("box_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_slug", sa.String(length=64), nullable=False),
        sa.Column("acked_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("box_id", name=op.f("pk_box_inbox_watermark")),
    )
    op.create_table(
        "box_status",
        sa.Column("box_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_slug", sa.String(length=64), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("reported", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("box_id", name=op.f("pk_box_status")),
    )
    op.create_table(
        "drugs",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=True),
        sa.Column("price_points", sa.String(length=24), nullable=True),
        sa.Column("source_note", sa.String(length=200), nullable=False),
        sa.Column("demo_value", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", "effective_from", name=op.f("pk_drugs")),
    )
    op.create_table(
        "fee_codes",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=500), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=True),
        sa.Column("schedule", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("code", "effective_from", name=op.f("pk_fee_codes")),
    )
    op.create_table(
        "icd10",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("name_zh", sa.String(length=300), nullable=False),
        sa.Column("billable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_icd10")),
    )
    op.create_table(
        "schema_info",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("compat_version", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_schema_info_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schema_info")),
    )
    op.create_table(
        "tenants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("nhi_code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("clinic_type", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("registration_fee", sa.Integer(), nullable=False),
        sa.Column("default_department", sa.String(length=2), nullable=False),
        sa.Column("default_doctor_username", sa.String(length=64), nullable=True),
        sa.Column("dispensing", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "clinic_type IN ('western', 'tcm', 'dental', 'pharmacy')",
            name=op.f("ck_tenants_clinic_type"),
        ),
        sa.CheckConstraint("dispensing IN ('self', 'deliver')", name=op.f("ck_tenants_dispensing")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("nhi_code", name=op.f("uq_tenants_nhi_code")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenants_slug")),
    )
    op.create_table(
        "boxes",
        sa.Column("box_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("printer_roles", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_boxes_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("box_id", name=op.f("pk_boxes")),
    )
    op.create_table(
        "counters",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_counters_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "name", name=op.f("pk_counters")),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("chart_no", sa.String(length=20), nullable=False),
        sa.Column("national_id", sa.String(length=10), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("nhi_card_no", sa.String(length=12), nullable=True),
        sa.Column("allergies", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("sex IN ('M', 'F')", name=op.f("ck_patients_sex")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_patients_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("tenant_id", "chart_no", name="uq_patients_tenant_chart_no"),
        sa.UniqueConstraint("tenant_id", "national_id", name="uq_patients_tenant_national_id"),
    )
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index("ix_patients_tenant_birth", ["tenant_id", "birth_date"], unique=False)
        batch_op.create_index("ix_patients_tenant_name", ["tenant_id", "name"], unique=False)
        batch_op.create_index("ix_patients_tenant_phone", ["tenant_id", "phone"], unique=False)

    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("national_id", sa.String(length=10), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_staff_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("tenant_id", "username", name="uq_staff_tenant_username"),
    )
    op.create_table(
        "tenant_drugs",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("default_dose", sa.String(length=24), nullable=True),
        sa.Column("default_frequency", sa.String(length=12), nullable=True),
        sa.Column("default_route", sa.String(length=12), nullable=True),
        sa.Column("unit", sa.String(length=12), nullable=False),
        sa.Column("indication", sa.String(length=200), nullable=False),
        sa.Column("strength", sa.String(length=40), nullable=False),
        sa.Column("warnings", sa.String(length=300), nullable=False),
        sa.Column("side_effects", sa.String(length=300), nullable=False),
        sa.Column("self_pay_price", sa.Integer(), nullable=True),
        sa.Column("demo_value", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_tenant_drugs_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "code", name=op.f("pk_tenant_drugs")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("box_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "action IN ('read', 'create', 'update', 'delete')", name=op.f("ck_audit_log_action")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_audit_log_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_audit_log_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_audit_log_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_log_tenant_patient", ["tenant_id", "patient_id"], unique=False
        )

    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("session", sa.String(length=10), nullable=False),
        sa.Column("department", sa.String(length=2), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("visit_no", sa.Integer(), nullable=False),
        sa.Column("visit_type", sa.String(length=2), nullable=False),
        sa.Column("nhi_seq", sa.String(length=4), nullable=True),
        sa.Column("abnormal_code", sa.String(length=4), nullable=True),
        sa.Column("case_type", sa.String(length=2), nullable=False),
        sa.Column("copay_code", sa.String(length=3), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("chief_complaint", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("box_id", sa.String(length=64), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "session IN ('morning', 'afternoon', 'evening')", name=op.f("ck_visits_session")
        ),
        sa.CheckConstraint("source IN ('card', 'manual')", name=op.f("ck_visits_source")),
        sa.CheckConstraint(
            "status IN ('registered', 'in_consultation', 'to_bill', 'billed', 'dispensed', "
            "'cancelled')",
            name=op.f("ck_visits_status"),
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["staff.id"], name=op.f("fk_visits_doctor_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_visits_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_visits_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
        sa.UniqueConstraint(
            "tenant_id", "visit_date", "doctor_id", "session", "visit_no", name="uq_visits_number"
        ),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index("ix_visits_patient", ["patient_id"], unique=False)
        batch_op.create_index("ix_visits_tenant_date", ["tenant_id", "visit_date"], unique=False)

    op.create_table(
        "bills",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("registration_fee", sa.Integer(), nullable=False),
        sa.Column("copay", sa.Integer(), nullable=False),
        sa.Column("copay_basic", sa.Integer(), nullable=False),
        sa.Column("copay_drug", sa.Integer(), nullable=False),
        sa.Column("copay_code", sa.String(length=3), nullable=False),
        sa.Column("nhi_points", sa.Integer(), nullable=False),
        sa.Column("self_pay_total", sa.Integer(), nullable=False),
        sa.Column("amount_due", sa.Integer(), nullable=False),
        sa.Column("paid", sa.Integer(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_bills_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_bills_visit_id_visits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bills")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_bills_visit_id")),
    )
    op.create_table(
        "diagnoses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_diagnoses_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_diagnoses_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnoses")),
        sa.UniqueConstraint("visit_id", "code", name="uq_diagnoses_visit_code"),
    )
    with op.batch_alter_table("diagnoses", schema=None) as batch_op:
        batch_op.create_index("ix_diagnoses_visit", ["visit_id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("dose", sa.String(length=24), nullable=True),
        sa.Column("frequency", sa.String(length=12), nullable=True),
        sa.Column("route", sa.String(length=12), nullable=True),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("total_quantity", sa.String(length=24), nullable=False),
        sa.Column("unit_points", sa.String(length=24), nullable=False),
        sa.Column("amount_points", sa.Integer(), nullable=False),
        sa.Column("self_pay", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('drug', 'procedure', 'consult_fee', 'pharmacy_fee')",
            name=op.f("ck_orders_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_orders_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_orders_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_visit", ["visit_id"], unique=False)

    op.create_table(
        "print_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("box_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('drugbag', 'receipt', 'slip')", name=op.f("ck_print_jobs_kind")
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'done', 'failed')", name=op.f("ck_print_jobs_status")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_print_jobs_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_print_jobs_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_jobs")),
        sa.UniqueConstraint("job_id", name=op.f("uq_print_jobs_job_id")),
    )
    with op.batch_alter_table("print_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_print_jobs_visit", ["visit_id"], unique=False)
    op.bulk_insert(
        sa.table(
            "schema_info",
            sa.column("id", sa.Integer),
            sa.column("schema_version", sa.Integer),
            sa.column("compat_version", sa.Integer),
        ),
        [{"id": 1, "schema_version": 1, "compat_version": 1}],
    )


def downgrade() -> None:

    with op.batch_alter_table("print_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_print_jobs_visit")

    op.drop_table("print_jobs")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_visit")

    op.drop_table("orders")
    with op.batch_alter_table("diagnoses", schema=None) as batch_op:
        batch_op.drop_index("ix_diagnoses_visit")

    op.drop_table("diagnoses")
    op.drop_table("bills")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_tenant_date")
        batch_op.drop_index("ix_visits_patient")

    op.drop_table("visits")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_tenant_patient")

    op.drop_table("audit_log")
    op.drop_table("tenant_drugs")
    op.drop_table("staff")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index("ix_patients_tenant_phone")
        batch_op.drop_index("ix_patients_tenant_name")
        batch_op.drop_index("ix_patients_tenant_birth")

    op.drop_table("patients")
    op.drop_table("counters")
    op.drop_table("boxes")
    op.drop_table("tenants")
    op.drop_table("schema_info")
    op.drop_table("icd10")
    op.drop_table("fee_codes")
    op.drop_table("drugs")
    op.drop_table("box_status")
    op.drop_table("box_inbox_watermark")
    op.drop_table("box_inbox")
    op.drop_table("box_dead_letter")
