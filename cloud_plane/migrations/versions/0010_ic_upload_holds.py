"""IC upload: per-record back-off of held records and the late no-card 就醫識別碼 (schema 10).

``retry_at`` / ``hold_count``: a record our validator holds back is retried with a growing
delay instead of every scheduler tick; ``hold_reason``: why it could not be completed (e.g. the
card service's answer to the no-card 就醫識別碼 request); ``treatment_id_late_at``: when the
就醫識別碼 of an 異常 visit was obtained afterwards (補登). Additive, so compat stays 1.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ic_upload_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("hold_count", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(sa.Column("hold_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("treatment_id_late_at", sa.DateTime(timezone=True), nullable=True)
        )
    _set_version(10)


def _set_version(version: int) -> None:
    info = sa.table(
        "schema_info",
        sa.column("id", sa.Integer),
        sa.column("schema_version", sa.Integer),
        sa.column("compat_version", sa.Integer),
    )
    op.execute(info.update().where(info.c.id == 1).values(schema_version=version, compat_version=1))


def downgrade() -> None:
    with op.batch_alter_table("ic_upload_records", schema=None) as batch_op:
        batch_op.drop_column("treatment_id_late_at")
        batch_op.drop_column("hold_reason")
        batch_op.drop_column("hold_count")
        batch_op.drop_column("retry_at")
    _set_version(9)
