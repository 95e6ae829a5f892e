"""NHI operations: card checks, IC-upload sends, claims submissions, job leases; ATC codes and
the drugs' ATC column (schema version 8).

Additive: code of schema version 1 can still use the database, so compat stays 1.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 06:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "nhi_card_checks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("nhi_seq", sa.String(length=4), nullable=True),
        sa.Column("abnormal_code", sa.String(length=4), nullable=True),
        sa.Column("nhi_code", sa.String(length=12), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _fk("nhi_card_checks", "tenant_id", "tenants"),
        _fk("nhi_card_checks", "visit_id", "visits"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nhi_card_checks")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_nhi_card_checks_visit_id")),
    )
    op.create_table(
        "ic_upload_sends",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=64), nullable=False),
        sa.Column("remote_id", sa.String(length=40), nullable=True),
        sa.Column("error_code", sa.String(length=12), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        _fk("ic_upload_sends", "batch_id", "ic_upload_batches"),
        _fk("ic_upload_sends", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_ic_upload_sends")),
    )
    op.create_table(
        "claims_submissions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("fee_month", sa.Date(), nullable=False),
        sa.Column("file_name", sa.String(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("receipt_no", sa.String(length=20), nullable=True),
        sa.Column("nhi_code", sa.String(length=12), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("claims_submissions", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims_submissions")),
    )
    with op.batch_alter_table("claims_submissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claims_submissions_tenant_month", ["tenant_id", "fee_month"], unique=False
        )
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_leases")),
    )
    op.create_table(
        "atc_codes",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("code_system", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_atc_codes")),
    )
    with op.batch_alter_table("drugs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("atc_code", sa.String(length=8), nullable=True))
    _set_version(8)


def _set_version(version: int) -> None:
    info = sa.table(
        "schema_info",
        sa.column("id", sa.Integer),
        sa.column("schema_version", sa.Integer),
        sa.column("compat_version", sa.Integer),
    )
    op.execute(info.update().where(info.c.id == 1).values(schema_version=version, compat_version=1))


def downgrade() -> None:
    with op.batch_alter_table("drugs", schema=None) as batch_op:
        batch_op.drop_column("atc_code")
    op.drop_table("atc_codes")
    op.drop_table("job_leases")
    with op.batch_alter_table("claims_submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_submissions_tenant_month")
    op.drop_table("claims_submissions")
    op.drop_table("ic_upload_sends")
    op.drop_table("nhi_card_checks")
    _set_version(7)
