"""慢箋 pick-up booking: pharmacy opening hours as slots, patients' pick-up bookings (schema 11).

Additive, so compat stays 1.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pharmacy_hours",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.String(length=5), nullable=False),
        sa.Column("closes", sa.String(length=5), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("slot_limit", sa.Integer(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_pharmacy_hours_weekday")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pharmacy_hours_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pharmacy_hours")),
        sa.UniqueConstraint("tenant_id", "weekday", "opens", name="uq_pharmacy_hours_period"),
    )
    op.create_table(
        "pickup_bookings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("rx_id", sa.Integer(), nullable=False),
        sa.Column("fill_no", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", sa.String(length=5), nullable=False),
        sa.Column("national_id", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('booked', 'cancelled')", name=op.f("ck_pickup_bookings_status")
        ),
        sa.ForeignKeyConstraint(
            ["rx_id"], ["pharmacy_rx.id"], name=op.f("fk_pickup_bookings_rx_id_pharmacy_rx")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pickup_bookings_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pickup_bookings")),
    )
    with op.batch_alter_table("pickup_bookings", schema=None) as batch_op:
        batch_op.create_index("ix_pickup_bookings_tenant_day", ["tenant_id", "day"], unique=False)
        batch_op.create_index("ix_pickup_bookings_rx", ["rx_id", "fill_no"], unique=False)
    _set_version(11)


def _set_version(version: int) -> None:
    info = sa.table(
        "schema_info",
        sa.column("id", sa.Integer),
        sa.column("schema_version", sa.Integer),
        sa.column("compat_version", sa.Integer),
    )
    op.execute(info.update().where(info.c.id == 1).values(schema_version=version, compat_version=1))


def downgrade() -> None:
    with op.batch_alter_table("pickup_bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_pickup_bookings_rx")
        batch_op.drop_index("ix_pickup_bookings_tenant_day")
    op.drop_table("pickup_bookings")
    op.drop_table("pharmacy_hours")
    _set_version(10)
