"""Tables of the daily IC-card data upload (健保卡資料上傳): records, events, batches.

``ic_upload_records`` holds one row per visit that needs an upload (tenant-scoped, unique per
visit) with its current status (clinicbox_core.nhi.ic_upload.status), the card-write data the
record needs (SAM id, 安全簽章, 就醫識別碼: written by whoever wrote the card) and the 24-hour
deadline. ``ic_upload_events`` is the append-only status history. ``ic_upload_batches`` keeps
each built file (Big5 bytes) and which records went in it in which order, so NHI's per-record
results can be matched back by position.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from cloud_plane.db.metadata import metadata
from cloud_plane.db.types import UtcDateTime

IC_STATUSES = ("pending", "uploaded", "accepted", "rejected", "corrected")
IC_KINDS = ("normal", "abnormal", "correction_normal", "correction_abnormal")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


ic_upload_batches = Table(
    "ic_upload_batches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("upload_day", Date, nullable=False),  # the clinic day the records belong to
    Column("version", String(3), nullable=False),  # 1.0 / 2.0
    Column("record_count", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),  # the Big5 XML as sent
    Column("created_at", UtcDateTime, nullable=False),
    Column("result_at", UtcDateTime, nullable=True),
)

ic_upload_records = Table(
    "ic_upload_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("visit_id", ForeignKey("visits.id"), nullable=False),
    Column("patient_id", ForeignKey("patients.id"), nullable=False),
    Column("visit_date", Date, nullable=False),  # Asia/Taipei clinic day
    Column("visit_time", UtcDateTime, nullable=False),  # 就診日期時間
    Column("deadline_at", UtcDateTime, nullable=False),  # visit_time + 24 h
    Column("status", String(12), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("batch_id", ForeignKey("ic_upload_batches.id"), nullable=True),  # latest batch
    Column("batch_position", Integer, nullable=True),  # 0-based REC index in that batch
    Column("first_uploaded_at", UtcDateTime, nullable=True),
    Column("last_uploaded_at", UtcDateTime, nullable=True),
    Column("sam_id", String(12), nullable=True),
    Column("signature", String(256), nullable=True),  # 安全簽章
    Column("treatment_id", String(20), nullable=True),  # 就醫識別碼
    Column("order_signatures", JSON, nullable=False),  # 處方簽章 per NHI order, in order
    Column("rejections", JSON, nullable=False),  # latest [{code, field, message}]
    # 補登: the visit was made on the box in continuity mode and reached the cloud later
    Column("made_up_later", Boolean, nullable=False, default=False, server_default=false()),
    # held back by our validator: retried from retry_at on (growing delay per hold_count), with
    # the reason it could not be completed (cloud_plane.nhiops.holds)
    Column("retry_at", UtcDateTime, nullable=True),
    Column("hold_count", Integer, nullable=False, default=0, server_default=text("0")),
    Column("hold_reason", Text, nullable=True),
    # 補登: the 就醫識別碼 of an 異常 visit, asked for later without the card (stamped with the
    # visit's time), arrived at this instant
    Column("treatment_id_late_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "visit_id", name="uq_ic_upload_records_visit"),
    CheckConstraint(_in("status", IC_STATUSES), name="status"),
    CheckConstraint(_in("kind", IC_KINDS), name="kind"),
    Index("ix_ic_upload_records_tenant_date", "tenant_id", "visit_date"),
    Index("ix_ic_upload_records_tenant_status", "tenant_id", "status"),
)

ic_upload_events = Table(
    "ic_upload_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("record_id", ForeignKey("ic_upload_records.id"), nullable=False),
    Column("event", String(12), nullable=False),
    Column("status", String(12), nullable=False),  # status after the event
    Column("batch_id", ForeignKey("ic_upload_batches.id"), nullable=True),
    Column("codes", JSON, nullable=False),  # rejection codes, [] otherwise
    Column("at", UtcDateTime, nullable=False),
    Index("ix_ic_upload_events_record", "record_id"),
)
