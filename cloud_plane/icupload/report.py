"""Reports on a clinic's IC upload records: the upload-rate indicator, overdue records, history.

Definitions of the rates: clinicbox_core.nhi.ic_upload.rate (and docs/nhi-ic-upload.md).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.nhi.ic_upload.rate import RateInput, UploadRate, ic_upload_rate
from clinicbox_core.nhi.ic_upload.status import Status
from cloud_plane.db.tables_icupload import ic_upload_events, ic_upload_records
from cloud_plane.icupload.models import IcUploadEvent, IcUploadRecord
from cloud_plane.icupload.service import ALLOWED
from cloud_plane.services import audit
from cloud_plane.services.actor import Actor, require_role
from cloud_plane.services.tenancy import get_row

__all__ = ["overdue_records", "record_history", "upload_rate"]

R = ic_upload_records


async def upload_rate(conn: AsyncConnection, actor: Actor, start: date, end: date) -> UploadRate:
    """IC upload rate over visits whose clinic day is in ``start``..``end`` (inclusive)."""
    require_role(actor, *ALLOWED)
    rows = await conn.execute(
        select(R.c.visit_time, R.c.first_uploaded_at, R.c.status).where(
            R.c.tenant_id == actor.tenant_id, R.c.visit_date >= start, R.c.visit_date <= end
        )
    )
    return ic_upload_rate(
        RateInput(r.visit_time, r.first_uploaded_at, Status(r.status)) for r in rows
    )


async def overdue_records(
    conn: AsyncConnection, actor: Actor, now: datetime
) -> list[IcUploadRecord]:
    """Records that broke the 24-hour rule: still unsent/unconfirmed past the deadline, or whose
    first received upload came after it."""
    require_role(actor, *ALLOWED)
    rows = (
        await conn.execute(
            select(R)
            .where(
                R.c.tenant_id == actor.tenant_id,
                or_(
                    (R.c.first_uploaded_at.is_(None)) & (R.c.deadline_at < now),
                    R.c.first_uploaded_at > R.c.deadline_at,
                ),
            )
            .order_by(R.c.deadline_at, R.c.id)
        )
    ).all()
    await audit.record_reads(
        conn, actor, "ic_upload", [(r.id, r.patient_id) for r in rows], report="overdue"
    )
    return [IcUploadRecord.from_row(r) for r in rows]


async def record_history(
    conn: AsyncConnection, actor: Actor, record_id: int
) -> list[IcUploadEvent]:
    """The status history of one record, oldest first."""
    require_role(actor, *ALLOWED)
    row = await get_row(conn, actor, R, record_id, key="error.ic_upload.not_found")
    events = await conn.execute(
        select(ic_upload_events)
        .where(
            ic_upload_events.c.tenant_id == actor.tenant_id,
            ic_upload_events.c.record_id == row.id,
        )
        .order_by(ic_upload_events.c.id)
    )
    await audit.record(conn, actor, "read", "ic_upload", row.id, patient_id=row.patient_id)
    return [
        IcUploadEvent(
            event=e.event, status=Status(e.status), batch_id=e.batch_id,
            codes=tuple(e.codes), at=e.at,
        )
        for e in events
    ]  # fmt: skip
