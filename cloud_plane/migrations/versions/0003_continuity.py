"""Continuity mode: offline id map, conflict review list, staff offline flag, IC 補登 flag
(schema version 3).

Additive: code of schema version 1 can still use the database, so compat stays 1.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 06:08:49.510703
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "continuity_id_map",
        sa.Column("box_id", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("box_key", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("cloud_id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("applied_digest", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "entity IN ('patient', 'visit')", name=op.f("ck_continuity_id_map_entity")
        ),
        sa.CheckConstraint("origin IN ('box', 'cloud')", name=op.f("ck_continuity_id_map_origin")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_continuity_id_map_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "box_id", "entity", "origin", "box_key", name="pk_continuity_id_map"
        ),
    )
    op.create_table(
        "continuity_conflicts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("box_id", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("cloud_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("cloud_value", sa.JSON(), nullable=False),
        sa.Column("offline_value", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'resolved', 'auto')", name=op.f("ck_continuity_conflicts_status")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_continuity_conflicts_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["staff.id"], name=op.f("fk_continuity_conflicts_resolved_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_continuity_conflicts_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_continuity_conflicts")),
    )
    with op.batch_alter_table("continuity_conflicts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_continuity_conflicts_tenant_status", ["tenant_id", "status"], unique=False
        )

    with op.batch_alter_table("ic_upload_records", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("made_up_later", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("offline_allowed", sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    _set_version(3)


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("offline_allowed")

    with op.batch_alter_table("ic_upload_records", schema=None) as batch_op:
        batch_op.drop_column("made_up_later")

    with op.batch_alter_table("continuity_conflicts", schema=None) as batch_op:
        batch_op.drop_index("ix_continuity_conflicts_tenant_status")

    op.drop_table("continuity_conflicts")
    op.drop_table("continuity_id_map")
    _set_version(2)


def _set_version(version: int) -> None:
    info = sa.table(
        "schema_info",
        sa.column("id", sa.Integer),
        sa.column("schema_version", sa.Integer),
        sa.column("compat_version", sa.Integer),
    )
    op.execute(info.update().where(info.c.id == 1).values(schema_version=version, compat_version=1))
