"""Tables of continuity mode in the cloud: where offline work landed, and what needs review.

``continuity_id_map`` maps a box's own row ids (patients and visits created on the box while the
cloud was out of reach, origin ``box``) and the cloud rows a box changed offline (origin
``cloud``, ``box_key`` = the cloud id) to the cloud row, with the outbox seq that last changed
it (a record older than that is not applied again: in order per row even when two cloud
processes consume one box) and the ``updated_at`` the cloud wrote (a later difference means
someone changed the row in the cloud since).

``continuity_conflicts`` is the clinic administrator's review list: every case where the same
patient or visit changed on both sides. ``rule`` says what was done automatically;
``status`` is ``open`` until an administrator marks it resolved (``auto`` = a deterministic rule
settled it and it is listed for information).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
)

from cloud_plane.db.metadata import metadata
from cloud_plane.db.types import UtcDateTime

MAPPED_ENTITIES = ("patient", "visit")
CONFLICT_STATUSES = ("open", "resolved", "auto")
CONFLICT_KINDS = ("patient_field", "visit_changed", "visit_no", "chart_no")
CONFLICT_RULES = ("cloud_kept", "offline_applied", "renumbered")

continuity_id_map = Table(
    "continuity_id_map",
    metadata,
    Column("box_id", String(64), nullable=False),
    Column("entity", String(16), nullable=False),
    Column("origin", String(8), nullable=False),  # box: id made on the box; cloud: a cloud id
    Column("box_key", BigInteger, nullable=False),  # the id as the box knows it
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("cloud_id", Integer, nullable=False),
    Column("last_seq", BigInteger, nullable=False),  # outbox seq of the record applied last
    Column("applied_digest", String(64), nullable=False),  # row digest after we wrote it
    PrimaryKeyConstraint("box_id", "entity", "origin", "box_key", name="pk_continuity_id_map"),
    CheckConstraint("origin IN ('box', 'cloud')", name="origin"),
    CheckConstraint("entity IN ('patient', 'visit')", name="entity"),
)

continuity_conflicts = Table(
    "continuity_conflicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("box_id", String(64), nullable=False),
    Column("entity", String(16), nullable=False),
    Column("cloud_id", Integer, nullable=True),
    Column("patient_id", ForeignKey("patients.id"), nullable=True),
    Column("kind", String(32), nullable=False),  # e.g. patient_field, visit_changed, visit_no
    Column("rule", String(32), nullable=False),  # cloud_kept / offline_applied / renumbered
    Column("status", String(8), nullable=False),
    Column("cloud_value", JSON, nullable=False),
    Column("offline_value", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("resolved_by", ForeignKey("staff.id"), nullable=True),
    CheckConstraint("status IN ('open', 'resolved', 'auto')", name="status"),
)
Index("ix_continuity_conflicts_tenant_status", continuity_conflicts.c.tenant_id, "status")
