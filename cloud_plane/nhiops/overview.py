"""What the 健保作業 page shows: a month's IC upload status per day, the records needing a look,
the upload-rate indicator, and the claims files sent so far.

Read-only queries over ``ic_upload_records`` (cloud_plane.icupload) and ``claims_submissions``
(:mod:`.claims_run`); the rate is :func:`cloud_plane.icupload.report.upload_rate`. A record is
*held* when our validator kept it back (``hold_count`` > 0, :mod:`.holds`), *late* when it broke
the 24-hour rule (unsent past its deadline, or first received after it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.nhi.ic_upload.rate import UploadRate
from clinicbox_core.nhi.ic_upload.status import Status
from cloud_plane.db.tables_clinic import patients
from cloud_plane.db.tables_icupload import ic_upload_records
from cloud_plane.db.tables_nhiops import claims_submissions
from cloud_plane.icupload.report import upload_rate
from cloud_plane.services import audit
from cloud_plane.services.actor import Actor, Role, require_role

__all__ = ["DayStatus", "MonthOverview", "RecordLine", "Submission", "month_overview"]

R = ic_upload_records
_OPEN = (Status.PENDING.value, Status.CORRECTED.value)


@dataclass(slots=True)
class DayStatus:
    day: date
    total: int = 0
    pending: int = 0
    uploaded: int = 0
    accepted: int = 0
    rejected: int = 0
    held: int = 0
    late: int = 0


@dataclass(frozen=True, slots=True)
class RecordLine:
    """A record that is not simply accepted on time."""

    id: int
    visit_id: int
    patient: str
    day: date
    visit_time: datetime
    deadline_at: datetime
    status: str  # pending | uploaded | accepted | rejected | corrected | held
    kind: str
    late: bool
    findings: tuple[dict[str, Any], ...]  # {code, field, message}
    hold_reason: str | None
    retry_at: datetime | None
    treatment_id_late: bool  # 就醫識別碼 obtained afterwards (補登)


@dataclass(frozen=True, slots=True)
class Submission:
    id: int
    fee_month: date
    status: str
    cases: int
    points: int
    receipt_no: str | None
    nhi_code: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MonthOverview:
    month: date
    days: list[DayStatus]
    lines: list[RecordLine]
    rate: UploadRate
    submissions: list[Submission] = field(default_factory=list)


def _late(row: Any, now: datetime) -> bool:
    if row.first_uploaded_at is None:
        return bool(row.deadline_at < now)
    return bool(row.first_uploaded_at > row.deadline_at)


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


async def month_overview(
    conn: AsyncConnection, actor: Actor, month: date, now: datetime
) -> MonthOverview:
    """The clinic's IC upload and claims state for ``month`` (its first day)."""
    require_role(actor, Role.CLINIC_ADMIN)
    end = _month_end(month)
    rows = (
        await conn.execute(
            select(R, patients.c.name.label("patient_name"))
            .join(patients, patients.c.id == R.c.patient_id)
            .where(R.c.tenant_id == actor.tenant_id, R.c.visit_date >= month,
                   R.c.visit_date <= end)
            .order_by(R.c.visit_date, R.c.visit_time, R.c.id)
        )
    ).all()  # fmt: skip
    days: dict[date, DayStatus] = {}
    lines = []
    reads: list[tuple[int | str, int | None]] = []
    for row in rows:
        d = days.setdefault(row.visit_date, DayStatus(row.visit_date))
        held = row.status in _OPEN and row.hold_count > 0
        status = "held" if held else row.status
        late = _late(row, now)
        d.total += 1
        d.late += late
        if held:
            d.held += 1
        elif row.status in _OPEN:
            d.pending += 1
        else:
            setattr(d, row.status, getattr(d, row.status) + 1)
        if status != Status.ACCEPTED.value or late:
            reads.append((row.id, row.patient_id))
            lines.append(
                RecordLine(
                    row.id, row.visit_id, row.patient_name, row.visit_date, row.visit_time,
                    row.deadline_at, status, row.kind, late, tuple(row.rejections),
                    row.hold_reason, row.retry_at if held else None,
                    row.treatment_id_late_at is not None,
                )
            )  # fmt: skip
    await audit.record_reads(conn, actor, "ic_upload", reads, report="nhi_ops")
    subs = (
        await conn.execute(
            select(claims_submissions)
            .where(claims_submissions.c.tenant_id == actor.tenant_id)
            .order_by(claims_submissions.c.id.desc())
            .limit(12)
        )
    ).all()
    fields = ("id", "fee_month", "status", "cases", "points", "receipt_no", "nhi_code")
    return MonthOverview(
        month,
        sorted(days.values(), key=lambda x: x.day),
        lines,
        await upload_rate(conn, actor, month, end),
        [Submission(*(getattr(s, f) for f in (*fields, "created_at"))) for s in subs],
    )
