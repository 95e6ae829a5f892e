"""Tables of signed bundles, software artifacts and staged rollouts (issue 5)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)

from cloud_plane.db.metadata import metadata

# Every published version of every bundle kind, as its full row set (zlib-compressed canonical
# JSON); deltas are computed from two of these on request.
bundle_versions = Table(
    "bundle_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("rows", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
    UniqueConstraint("kind", "version", name="uq_bundle_versions_kind_version"),
)

# Software versions the cloud can roll out: the artifact bytes and their signature.
software_artifacts = Table(
    "software_artifacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version", String(64), nullable=False, unique=True),
    Column("sha256", String(64), nullable=False),
    Column("signature", String(100), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One staged rollout of a software version or a bundle version to a set of boxes.
# state: running | paused | aborted | rolling_back | rolled_back | done
rollouts = Table(
    "rollouts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("target_type", String(16), nullable=False),  # software | bundle
    Column("bundle_kind", String(32), nullable=True),
    Column("target_version", String(64), nullable=False),
    Column("previous_version", String(64), nullable=True),  # what a roll back returns to
    Column("state", String(16), nullable=False),
    Column("canary_count", Integer, nullable=False),
    Column("rate_per_minute", Integer, nullable=False),
    Column("abort_failure_pct", Integer, nullable=False),
    Column("min_executed", Integer, nullable=False),
    Column("reason", String(128), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One box of a rollout. phase: canary | main. state: pending | sent | trying | succeeded |
# failed | rolled_back. ``error_code`` is the box's refusal or update error key.
rollout_boxes = Table(
    "rollout_boxes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rollout_id", Integer, ForeignKey("rollouts.id"), nullable=False),
    Column("tenant_slug", String(64), nullable=False),
    Column("box_id", String(64), nullable=False),
    Column("phase", String(8), nullable=False),
    Column("position", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("error_code", String(96), nullable=True),
    Column("command_id", String(36), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("rollout_id", "box_id", name="uq_rollout_boxes_rollout_id"),
)
Index("ix_rollout_boxes_box", rollout_boxes.c.box_id)
