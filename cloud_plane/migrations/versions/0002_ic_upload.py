"""IC-card data upload tables: records, status events, batches (schema version 2).

Additive: code of schema version 1 can still use the database, so compat stays 1.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 21:05:14.985847
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ic_upload_batches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("upload_day", sa.Date(), nullable=False),
        sa.Column("version", sa.String(length=3), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_ic_upload_batches_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ic_upload_batches")),
    )
    op.create_table(
        "ic_upload_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("visit_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("batch_position", sa.Integer(), nullable=True),
        sa.Column("first_uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sam_id", sa.String(length=12), nullable=True),
        sa.Column("signature", sa.String(length=256), nullable=True),
        sa.Column("treatment_id", sa.String(length=20), nullable=True),
        sa.Column("order_signatures", sa.JSON(), nullable=False),
        sa.Column("rejections", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('normal', 'abnormal', 'correction_normal', 'correction_abnormal')",
            name=op.f("ck_ic_upload_records_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'uploaded', 'accepted', 'rejected', 'corrected')",
            name=op.f("ck_ic_upload_records_status"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["ic_upload_batches.id"],
            name=op.f("fk_ic_upload_records_batch_id_ic_upload_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_ic_upload_records_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_ic_upload_records_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_ic_upload_records_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ic_upload_records")),
        sa.UniqueConstraint("tenant_id", "visit_id", name="uq_ic_upload_records_visit"),
    )
    with op.batch_alter_table("ic_upload_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ic_upload_records_tenant_date", ["tenant_id", "visit_date"], unique=False
        )
        batch_op.create_index(
            "ix_ic_upload_records_tenant_status", ["tenant_id", "status"], unique=False
        )

    op.create_table(
        "ic_upload_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["ic_upload_batches.id"],
            name=op.f("fk_ic_upload_events_batch_id_ic_upload_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["ic_upload_records.id"],
            name=op.f("fk_ic_upload_events_record_id_ic_upload_records"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_ic_upload_events_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ic_upload_events")),
    )
    with op.batch_alter_table("ic_upload_events", schema=None) as batch_op:
        batch_op.create_index("ix_ic_upload_events_record", ["record_id"], unique=False)
    _set_version(2)


def _set_version(version: int) -> None:
    info = sa.table(
        "schema_info",
        sa.column("id", sa.Integer),
        sa.column("schema_version", sa.Integer),
        sa.column("compat_version", sa.Integer),
    )
    op.execute(info.update().where(info.c.id == 1).values(schema_version=version, compat_version=1))


def downgrade() -> None:
    with op.batch_alter_table("ic_upload_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ic_upload_events_record")

    op.drop_table("ic_upload_events")
    with op.batch_alter_table("ic_upload_records", schema=None) as batch_op:
        batch_op.drop_index("ix_ic_upload_records_tenant_status")
        batch_op.drop_index("ix_ic_upload_records_tenant_date")

    op.drop_table("ic_upload_records")
    op.drop_table("ic_upload_batches")
    _set_version(1)
