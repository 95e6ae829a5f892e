"""Tables of the vendor's fleet: provisioning and certificates, the device twin, health
history, remote commands, the fleet audit trail and the vendor's own logins."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from cloud_plane.db.metadata import metadata
from cloud_plane.db.types import UtcDateTime

_ID = BigInteger().with_variant(Integer, "sqlite")

# Vendor staff (the fleet console); separate from clinic staff, who never see the fleet.
vendor_users = Table(
    "vendor_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(64), nullable=False),
    Column("password_hash", String(200), nullable=False),  # argon2id
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
)

# One row per box serial the cloud knows: assigned by the vendor in advance (by serial) or
# claimed by a clinic with the one-time code, then provisioned (certificate issued), maybe revoked.
fleet_boxes = Table(
    "fleet_boxes",
    metadata,
    Column("box_id", String(64), primary_key=True),  # serial number = certificate CN
    Column("tenant_slug", String(64), nullable=True),  # the clinic it is bound to
    Column("state", String(16), nullable=False),  # BoxState
    Column("claim_code_hash", String(64), nullable=True),  # sha256 of the code the box shows
    Column("csr_pem", Text, nullable=True),  # the last request's CSR
    Column("first_seen_at", UtcDateTime, nullable=True),
    Column("last_request_at", UtcDateTime, nullable=True),
    Column("assigned_at", UtcDateTime, nullable=True),
    Column("assigned_by", String(64), nullable=True),
    Column("provisioned_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("cert_serial", String(40), nullable=True),  # the newest certificate (hex)
    Column("cert_not_after", UtcDateTime, nullable=True),
)

# Every certificate issued to a box; revoked ones go into the broker's CRL.
fleet_certs = Table(
    "fleet_certs",
    metadata,
    Column("serial", String(40), primary_key=True),  # hex
    Column("box_id", String(64), nullable=False),
    Column("public_key_sha256", String(64), nullable=False),
    Column("cert_pem", Text, nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("not_after", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Index("ix_fleet_certs_box", "box_id"),
)

# The device twin: what the cloud wants (desired, versioned by the cloud), what the box last
# said (reported, versioned by the box), and the keys where they differ (delta).
box_twin = Table(
    "box_twin",
    metadata,
    Column("box_id", String(64), primary_key=True),
    Column("tenant_slug", String(64), nullable=False),
    Column("desired", JSON, nullable=False),
    Column("desired_version", Integer, nullable=False),
    Column("desired_at", UtcDateTime, nullable=True),
    Column("reported", JSON, nullable=False),
    Column("reported_version", Integer, nullable=False),
    Column("reported_at", UtcDateTime, nullable=True),
    Column("delta", JSON, nullable=False),
)

# Health history: one row per reported heartbeat (the console's chart and the alerts).
box_health = Table(
    "box_health",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("box_id", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("online", Boolean, nullable=False),
    Column("outbox_depth", Integer, nullable=False),
    Column("disk_free_mb", Integer, nullable=True),
    Column("uptime_s", Integer, nullable=True),
    Column("printers_ok", Boolean, nullable=True),
    Column("readers", Integer, nullable=False),
    Index("ix_box_health_box_at", "box_id", "at"),
)

# Remote commands to boxes with their state, deadline and result (output: e.g. collected logs).
fleet_commands = Table(
    "fleet_commands",
    metadata,
    Column("command_id", String(36), primary_key=True),
    Column("box_id", String(64), nullable=False),
    Column("tenant_slug", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("params", JSON, nullable=False),
    Column("issued_by", String(64), nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("deadline_at", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),  # sent / ok / failed / timed_out
    Column("error_code", String(64), nullable=True),
    Column("detail", Text, nullable=True),
    Column("output", JSON, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Index("ix_fleet_commands_box", "box_id", "issued_at"),
)

# Append-only: every remote action on a box (who, when, which box, what, result).
fleet_audit = Table(
    "fleet_audit",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(64), nullable=False),  # vendor:<name>, clinic:<slug>/<id>, box, system
    Column("action", String(32), nullable=False),
    Column("box_id", String(64), nullable=True),
    Column("command_id", String(36), nullable=True),
    Column("result", String(16), nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_fleet_audit_box", "box_id", "at"),
)
