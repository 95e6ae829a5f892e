"""Tables of the box link: the idempotent inbox of box events and each box's last known state."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from cloud_plane.db.metadata import metadata

# One row per box event ever applied. The unique (box_id, seq) makes a redelivered event a no-op:
# the consumer inserts this row in the same transaction as the event's effect.
box_inbox = Table(
    "box_inbox",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("tenant_slug", String(64), nullable=False),
    Column("box_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(64), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("box_id", "seq", name="uq_box_inbox_box_seq"),
)

# Last reported state of each box (the retained ``reported`` message), for the front desk's
# "box online" indicator and later the fleet console.
box_status = Table(
    "box_status",
    metadata,
    Column("box_id", String(64), primary_key=True),
    Column("tenant_slug", String(64), nullable=False),
    Column("online", Boolean, nullable=False),
    Column("reported", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Box events whose handler kept failing. A row is created on the first failure and counts the
# attempts; once ``attempts`` reaches the consumer's limit the event is parked (``parked_at`` set)
# and recorded in ``box_inbox`` so the box's acknowledgement can move past it. A later success
# before parking deletes the row. ``payload`` is the raw message text (it may not even parse).
box_dead_letter = Table(
    "box_dead_letter",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("tenant_slug", String(64), nullable=False),
    Column("box_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("event_id", String(36), nullable=True),
    Column("event_type", String(64), nullable=True),
    Column("payload", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("first_failed_at", DateTime(timezone=True), nullable=False),
    Column("last_failed_at", DateTime(timezone=True), nullable=False),
    Column("parked_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("box_id", "seq", name="uq_box_dead_letter_box_seq"),
)

# Per box, the highest seq below which ``box_inbox`` has no gap (what the cloud acknowledges).
# It only ever grows, so finding the next value reads just the inbox rows above it.
box_inbox_watermark = Table(
    "box_inbox_watermark",
    metadata,
    Column("box_id", String(64), primary_key=True),
    Column("tenant_slug", String(64), nullable=False),
    Column("acked_seq", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
