"""The doctor's screen: 組套 (order_sets), 慢箋 fields on visits, 牙位 and per-day dose on
orders, the TCM nurse setting, NHI herbal codes (herbs), and the 處方箋 print kind (rx).

Additive: code of schema version 6 can still use the database (it never writes the new columns
and never prints ``rx``), so compat stays 1.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = "kind IN ('drugbag', 'receipt', 'slip')"
_NEW_KINDS = "kind IN ('drugbag', 'receipt', 'slip', 'rx')"


def upgrade() -> None:
    op.create_table(
        "herbs",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_herbs")),
    )
    op.create_table(
        "order_sets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["staff.id"], name=op.f("fk_order_sets_doctor_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_order_sets_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_sets")),
        sa.UniqueConstraint("tenant_id", "doctor_id", "name", name="uq_order_sets_doctor_name"),
    )
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.add_column(
            sa.Column("nurse_present", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("visits") as batch_op:
        batch_op.add_column(sa.Column("refill_fills", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("refill_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("position", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("dose_per", sa.String(length=1), nullable=True))
    _print_kinds(_NEW_KINDS)
    _set_version(7)


def _print_kinds(check: str) -> None:
    with op.batch_alter_table("print_jobs", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_print_jobs_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_print_jobs_kind"), check)


def _set_version(version: int) -> None:
    info = sa.table(
        "schema_info",
        sa.column("id", sa.Integer),
        sa.column("schema_version", sa.Integer),
        sa.column("compat_version", sa.Integer),
    )
    op.execute(info.update().where(info.c.id == 1).values(schema_version=version, compat_version=1))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM print_jobs WHERE kind = 'rx'"))
    _print_kinds(_OLD_KINDS)
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("dose_per")
        batch_op.drop_column("position")
    with op.batch_alter_table("visits") as batch_op:
        batch_op.drop_column("refill_days")
        batch_op.drop_column("refill_fills")
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.drop_column("nurse_present")
    op.drop_table("order_sets")
    op.drop_table("herbs")
    _set_version(6)
