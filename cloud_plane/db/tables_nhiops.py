"""Tables of the NHI operations a clinic runs: card checks, IC-upload sends, claims submissions,
and the leases that keep two cloud processes from running the same scheduled job.

``nhi_card_checks`` records, per card visit, what the card service answered when the 就醫序號 was
asked for (obtained / fallback to an 異常就醫代碼 / refused) and why. ``ic_upload_sends`` keeps
what happened when a built IC batch was sent (the NHI's upload id, or the failure), so a process
that died between sending and recording can ask the NHI for the result instead of guessing.
``claims_submissions`` keeps every monthly claims file built, with our validator's and the NHI's
verdict. ``job_leases`` holds one row per scheduled job and tenant: who runs it until when.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from cloud_plane.db.metadata import metadata
from cloud_plane.db.types import UtcDateTime

CARD_CHECK_OUTCOMES = ("obtained", "fallback", "refused")
CLAIMS_STATUSES = ("invalid", "accepted", "rejected", "unsent")

nhi_card_checks = Table(
    "nhi_card_checks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("visit_id", ForeignKey("visits.id"), nullable=False, unique=True),
    Column("outcome", String(10), nullable=False),  # obtained | fallback | refused
    Column("nhi_seq", String(4), nullable=True),
    Column("abnormal_code", String(4), nullable=True),
    Column("nhi_code", String(12), nullable=True),  # the service's code (5002, ...) when refused
    Column("reason", Text, nullable=False, default=""),  # why: the service's message / failure
    Column("at", UtcDateTime, nullable=False),
)

ic_upload_sends = Table(
    "ic_upload_sends",
    metadata,
    Column("batch_id", ForeignKey("ic_upload_batches.id"), primary_key=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("file_name", String(64), nullable=False),
    Column("remote_id", String(40), nullable=True),  # the NHI's upload id once it answered
    Column("error_code", String(12), nullable=True),  # whole-file refusal or transport failure
    Column("error", Text, nullable=True),
    Column("sent_at", UtcDateTime, nullable=False),
)

claims_submissions = Table(
    "claims_submissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("fee_month", Date, nullable=False),  # first day of the 費用年月
    Column("file_name", String(40), nullable=False),
    Column("data", LargeBinary, nullable=False),  # the Big5 XML as built
    Column("cases", Integer, nullable=False),
    Column("points", Integer, nullable=False),  # t38 申請點數總計
    Column(
        "status", String(10), nullable=False
    ),  # invalid | checked | accepted | rejected | unsent
    Column("receipt_no", String(20), nullable=True),
    Column("nhi_code", String(12), nullable=True),
    Column("reason", Text, nullable=True),
    Column("findings", JSON, nullable=False),  # [{rule, severity, case, field, zh}]
    Column("skipped", JSON, nullable=False),  # visit ids left out (no 就醫序號) with the reason
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_claims_submissions_tenant_month", "tenant_id", "fee_month"),
)

job_leases = Table(
    "job_leases",
    metadata,
    Column("name", String(100), primary_key=True),  # e.g. ic_upload:3
    Column("holder", String(100), nullable=False),
    Column("until", UtcDateTime, nullable=False),
)
