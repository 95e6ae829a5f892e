"""Front desk and online booking: doctor sessions, bookings, booking identities, queue calls,
退掛 records, close-outs (schema version 4).

Additive: code of schema versions 1 to 3 can still use the database, so compat stays 1.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 06:11:09.239216
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "booking_identities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("national_id", sa.String(length=10), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('email', 'sms', 'line')", name=op.f("ck_booking_identities_channel")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_booking_identities_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_identities")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_booking_identities_token_hash")),
    )
    op.create_table(
        "closeouts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("registration_fees", sa.Integer(), nullable=False),
        sa.Column("copay", sa.Integer(), nullable=False),
        sa.Column("self_pay", sa.Integer(), nullable=False),
        sa.Column("expected_cash", sa.Integer(), nullable=False),
        sa.Column("counted_cash", sa.Integer(), nullable=False),
        sa.Column("difference", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["staff.id"], name=op.f("fk_closeouts_closed_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_closeouts_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closeouts")),
        sa.UniqueConstraint("tenant_id", "day", name="uq_closeouts_tenant_day"),
    )
    op.create_table(
        "doctor_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("session", sa.String(length=10), nullable=False),
        sa.Column("starts_at", sa.String(length=5), nullable=False),
        sa.Column("ends_at", sa.String(length=5), nullable=False),
        sa.Column("minutes_per_patient", sa.Integer(), nullable=False),
        sa.Column("online_limit", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "session IN ('morning', 'afternoon', 'evening')",
            name=op.f("ck_doctor_sessions_session"),
        ),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_doctor_sessions_weekday")),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["staff.id"], name=op.f("fk_doctor_sessions_doctor_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_doctor_sessions_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doctor_sessions")),
        sa.UniqueConstraint(
            "tenant_id", "doctor_id", "weekday", "session", name="uq_doctor_sessions"
        ),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("session", sa.String(length=10), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("national_id", sa.String(length=10), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("expected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminder_state", sa.String(length=8), nullable=False),
        sa.Column("reminder_claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminder_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminder_attempts", sa.Integer(), nullable=False),
        sa.Column("reminder_error", sa.String(length=200), nullable=True),
        sa.CheckConstraint("channel IN ('email', 'sms', 'line')", name=op.f("ck_bookings_channel")),
        sa.CheckConstraint("kind IN ('visit', 'refill_pickup')", name=op.f("ck_bookings_kind")),
        sa.CheckConstraint(
            "reminder_state IN ('pending', 'sending', 'sent', 'failed', 'none')",
            name=op.f("ck_bookings_reminder_state"),
        ),
        sa.CheckConstraint(
            "status IN ('booked', 'cancelled', 'checked_in', 'no_show')",
            name=op.f("ck_bookings_status"),
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["staff.id"], name=op.f("fk_bookings_doctor_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_bookings_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_bookings_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint(
            "tenant_id", "day", "doctor_id", "session", "number", name="uq_bookings_no"
        ),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index("ix_bookings_patient", ["tenant_id", "national_id"], unique=False)
        batch_op.create_index(
            "ix_bookings_reminder", ["reminder_state", "expected_at"], unique=False
        )
        batch_op.create_index("ix_bookings_tenant_day", ["tenant_id", "day"], unique=False)

    op.create_table(
        "queue_calls",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("session", sa.String(length=10), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["staff.id"], name=op.f("fk_queue_calls_doctor_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_queue_calls_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_queue_calls_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "day", "doctor_id", "session", name=op.f("pk_queue_calls")
        ),
    )
    op.create_table(
        "visit_cancellations",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("cancelled_by", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("nhi_seq", sa.String(length=4), nullable=True),
        sa.Column("seq_action", sa.String(length=12), nullable=False),
        sa.Column("new_visit_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "seq_action IN ('none', 'return_due', 'moved')",
            name=op.f("ck_visit_cancellations_seq_action"),
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by"], ["staff.id"], name=op.f("fk_visit_cancellations_cancelled_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["new_visit_id"], ["visits.id"], name=op.f("fk_visit_cancellations_new_visit_id_visits")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_visit_cancellations_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_cancellations_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("visit_id", name=op.f("pk_visit_cancellations")),
    )
    _set_version(4)


def _set_version(version: int) -> None:
    info = sa.table(
        "schema_info",
        sa.column("id", sa.Integer),
        sa.column("schema_version", sa.Integer),
        sa.column("compat_version", sa.Integer),
    )
    op.execute(info.update().where(info.c.id == 1).values(schema_version=version, compat_version=1))


def downgrade() -> None:
    op.drop_table("visit_cancellations")
    op.drop_table("queue_calls")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_tenant_day")
        batch_op.drop_index("ix_bookings_reminder")
        batch_op.drop_index("ix_bookings_patient")

    op.drop_table("bookings")
    op.drop_table("doctor_sessions")
    op.drop_table("closeouts")
    op.drop_table("booking_identities")
    _set_version(3)
