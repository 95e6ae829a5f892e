"""Fleet tables: provisioning, certificates, twin, health, remote commands, audit, vendor logins
(schema version 9).

Additive: code of schema version 1 can still use the database, so compat stays 1.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 06:24:54.606672
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "box_health",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("box_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("outbox_depth", sa.Integer(), nullable=False),
        sa.Column("disk_free_mb", sa.Integer(), nullable=True),
        sa.Column("uptime_s", sa.Integer(), nullable=True),
        sa.Column("printers_ok", sa.Boolean(), nullable=True),
        sa.Column("readers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_box_health")),
    )
    with op.batch_alter_table("box_health", schema=None) as batch_op:
        batch_op.create_index("ix_box_health_box_at", ["box_id", "at"], unique=False)

    op.create_table(
        "box_twin",
        sa.Column("box_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_slug", sa.String(length=64), nullable=False),
        sa.Column("desired", sa.JSON(), nullable=False),
        sa.Column("desired_version", sa.Integer(), nullable=False),
        sa.Column("desired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported", sa.JSON(), nullable=False),
        sa.Column("reported_version", sa.Integer(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delta", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("box_id", name=op.f("pk_box_twin")),
    )
    op.create_table(
        "fleet_audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("box_id", sa.String(length=64), nullable=True),
        sa.Column("command_id", sa.String(length=36), nullable=True),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_audit")),
    )
    with op.batch_alter_table("fleet_audit", schema=None) as batch_op:
        batch_op.create_index("ix_fleet_audit_box", ["box_id", "at"], unique=False)

    op.create_table(
        "fleet_boxes",
        sa.Column("box_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_slug", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claim_code_hash", sa.String(length=64), nullable=True),
        sa.Column("csr_pem", sa.Text(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_request_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_by", sa.String(length=64), nullable=True),
        sa.Column("provisioned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cert_serial", sa.String(length=40), nullable=True),
        sa.Column("cert_not_after", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("box_id", name=op.f("pk_fleet_boxes")),
    )
    op.create_table(
        "fleet_certs",
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("box_id", sa.String(length=64), nullable=False),
        sa.Column("public_key_sha256", sa.String(length=64), nullable=False),
        sa.Column("cert_pem", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_fleet_certs")),
    )
    with op.batch_alter_table("fleet_certs", schema=None) as batch_op:
        batch_op.create_index("ix_fleet_certs_box", ["box_id"], unique=False)

    op.create_table(
        "fleet_commands",
        sa.Column("command_id", sa.String(length=36), nullable=False),
        sa.Column("box_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_slug", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("output", sa.JSON(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("command_id", name=op.f("pk_fleet_commands")),
    )
    with op.batch_alter_table("fleet_commands", schema=None) as batch_op:
        batch_op.create_index("ix_fleet_commands_box", ["box_id", "issued_at"], unique=False)

    op.create_table(
        "vendor_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendor_users")),
        sa.UniqueConstraint("username", name=op.f("uq_vendor_users_username")),
    )
    _set_version(9)


def _set_version(version: int) -> None:
    info = sa.table(
        "schema_info",
        sa.column("id", sa.Integer),
        sa.column("schema_version", sa.Integer),
        sa.column("compat_version", sa.Integer),
    )
    op.execute(info.update().where(info.c.id == 1).values(schema_version=version, compat_version=1))


def downgrade() -> None:
    op.drop_table("vendor_users")
    with op.batch_alter_table("fleet_commands", schema=None) as batch_op:
        batch_op.drop_index("ix_fleet_commands_box")

    op.drop_table("fleet_commands")
    with op.batch_alter_table("fleet_certs", schema=None) as batch_op:
        batch_op.drop_index("ix_fleet_certs_box")

    op.drop_table("fleet_certs")
    op.drop_table("fleet_boxes")
    with op.batch_alter_table("fleet_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_fleet_audit_box")

    op.drop_table("fleet_audit")
    op.drop_table("box_twin")
    with op.batch_alter_table("box_health", schema=None) as batch_op:
        batch_op.drop_index("ix_box_health_box_at")

    op.drop_table("box_health")
    _set_version(8)
