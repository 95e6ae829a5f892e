"""Pharmacy tables: received slips, fills, stock lots and moves, reorder levels, refill
reminders (schema version 6). Additive: compat stays 1.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 06:20:28.798781
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stock_levels",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("reorder_level", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_stock_levels_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "code", name=op.f("pk_stock_levels")),
    )
    op.create_table(
        "stock_lots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("lot_no", sa.String(length=40), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.Column("on_hand", sa.String(length=24), nullable=False),
        sa.Column("unit_cost", sa.String(length=24), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_stock_lots_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_lots")),
        sa.UniqueConstraint("tenant_id", "code", "lot_no", name="uq_stock_lots_lot"),
    )
    with op.batch_alter_table("stock_lots", schema=None) as batch_op:
        batch_op.create_index("ix_stock_lots_tenant_code", ["tenant_id", "code"], unique=False)

    op.create_table(
        "pharmacy_rx",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("slip_key", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("origin_nhi_code", sa.String(length=10), nullable=False),
        sa.Column("origin_case_type", sa.String(length=2), nullable=False),
        sa.Column("origin_seq", sa.String(length=4), nullable=True),
        sa.Column("department", sa.String(length=2), nullable=True),
        sa.Column("prescribed_on", sa.Date(), nullable=False),
        sa.Column("doctor_id_no", sa.String(length=10), nullable=True),
        sa.Column("diagnoses", sa.JSON(), nullable=False),
        sa.Column("chronic", sa.Boolean(), nullable=False),
        sa.Column("fills_allowed", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('qr', 'card', 'typed')", name=op.f("ck_pharmacy_rx_source")),
        sa.CheckConstraint(
            "fills_allowed BETWEEN 1 AND 3", name=op.f("ck_pharmacy_rx_fills_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff.id"], name=op.f("fk_pharmacy_rx_created_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_pharmacy_rx_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pharmacy_rx_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pharmacy_rx")),
        sa.UniqueConstraint("tenant_id", "slip_key", name="uq_pharmacy_rx_slip"),
    )
    with op.batch_alter_table("pharmacy_rx", schema=None) as batch_op:
        batch_op.create_index("ix_pharmacy_rx_patient", ["patient_id"], unique=False)

    op.create_table(
        "pharmacy_fills",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("rx_id", sa.Integer(), nullable=False),
        sa.Column("fill_no", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("dispensed_on", sa.Date(), nullable=False),
        sa.Column("pharmacist_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pharmacist_id"], ["staff.id"], name=op.f("fk_pharmacy_fills_pharmacist_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["rx_id"], ["pharmacy_rx.id"], name=op.f("fk_pharmacy_fills_rx_id_pharmacy_rx")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pharmacy_fills_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_pharmacy_fills_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pharmacy_fills")),
        sa.UniqueConstraint("rx_id", "fill_no", name="uq_pharmacy_fills_fill"),
        sa.UniqueConstraint("visit_id", name=op.f("uq_pharmacy_fills_visit_id")),
    )
    with op.batch_alter_table("pharmacy_fills", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pharmacy_fills_tenant_day", ["tenant_id", "dispensed_on"], unique=False
        )

    op.create_table(
        "pharmacy_rx_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("rx_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("dose", sa.String(length=24), nullable=True),
        sa.Column("frequency", sa.String(length=12), nullable=True),
        sa.Column("route", sa.String(length=12), nullable=True),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("total_quantity", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["rx_id"], ["pharmacy_rx.id"], name=op.f("fk_pharmacy_rx_items_rx_id_pharmacy_rx")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pharmacy_rx_items_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pharmacy_rx_items")),
        sa.UniqueConstraint("rx_id", "ordinal", name="uq_pharmacy_rx_items_ordinal"),
    )
    op.create_table(
        "refill_reminders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("rx_id", sa.Integer(), nullable=False),
        sa.Column("fill_no", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rx_id"], ["pharmacy_rx.id"], name=op.f("fk_refill_reminders_rx_id_pharmacy_rx")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_refill_reminders_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refill_reminders")),
        sa.UniqueConstraint("rx_id", "fill_no", name="uq_refill_reminders_fill"),
    )
    op.create_table(
        "stock_moves",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("quantity", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('receipt', 'dispense', 'adjust')", name=op.f("ck_stock_moves_kind")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["stock_lots.id"], name=op.f("fk_stock_moves_lot_id_stock_lots")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_stock_moves_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_stock_moves_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_stock_moves_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_moves")),
    )
    with op.batch_alter_table("stock_moves", schema=None) as batch_op:
        batch_op.create_index("ix_stock_moves_lot", ["lot_id"], unique=False)
    _set_version(6)


def _set_version(version: int) -> None:
    info = sa.table(
        "schema_info",
        sa.column("id", sa.Integer),
        sa.column("schema_version", sa.Integer),
        sa.column("compat_version", sa.Integer),
    )
    op.execute(info.update().where(info.c.id == 1).values(schema_version=version, compat_version=1))


def downgrade() -> None:
    with op.batch_alter_table("stock_moves", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_moves_lot")

    op.drop_table("stock_moves")
    op.drop_table("refill_reminders")
    op.drop_table("pharmacy_rx_items")
    with op.batch_alter_table("pharmacy_fills", schema=None) as batch_op:
        batch_op.drop_index("ix_pharmacy_fills_tenant_day")

    op.drop_table("pharmacy_fills")
    with op.batch_alter_table("pharmacy_rx", schema=None) as batch_op:
        batch_op.drop_index("ix_pharmacy_rx_patient")

    op.drop_table("pharmacy_rx")
    with op.batch_alter_table("stock_lots", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_lots_tenant_code")

    op.drop_table("stock_lots")
    op.drop_table("stock_levels")
    _set_version(5)
