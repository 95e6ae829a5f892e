"""Queue, build and track the day's IC upload records (see the package docstring for the API).

Status changes go through the pure state machine (clinicbox_core.nhi.ic_upload.status); each
change writes an ``ic_upload_events`` row and an audit row in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict, NotFound
from clinicbox_core.nhi.ic_upload.build import build_file, build_record
from clinicbox_core.nhi.ic_upload.check import RecordResult
from clinicbox_core.nhi.ic_upload.codes import is_abnormal_seq
from clinicbox_core.nhi.ic_upload.deadline import deadline
from clinicbox_core.nhi.ic_upload.fields import Version
from clinicbox_core.nhi.ic_upload.messages import message
from clinicbox_core.nhi.ic_upload.model import RecordKind
from clinicbox_core.nhi.ic_upload.status import Event, RecordState, Status, apply
from clinicbox_core.nhi.ic_upload.status import Rejection as CoreRejection
from clinicbox_core.nhi.ic_upload.validate import validate_record
from clinicbox_core.nhi.ic_upload.xml_io import to_xml
from cloud_plane.db.tables_clinic import visits
from cloud_plane.db.tables_icupload import ic_upload_batches, ic_upload_events, ic_upload_records
from cloud_plane.icupload.assemble import UPLOADABLE_VISIT_STATUSES, load_visits
from cloud_plane.icupload.models import IcUploadRecord, UploadBatch
from cloud_plane.services import audit
from cloud_plane.services.actor import Actor, Role, require_role
from cloud_plane.services.clock import utc_now
from cloud_plane.services.tenancy import get_row

__all__ = [
    "ALLOWED",
    "apply_upload_result",
    "build_upload",
    "correct_record",
    "queue_ic_records_for_day",
    "record_card_write",
]

ALLOWED = (Role.CLINIC_ADMIN, Role.FRONT_DESK, Role.SYSTEM)
R = ic_upload_records


def _state(row: Any) -> RecordState:
    return RecordState(
        Status(row.status), RecordKind(row.kind), row.attempts, row.first_uploaded_at,
        row.last_uploaded_at, None,
    )  # fmt: skip


async def _transition(
    conn: AsyncConnection,
    actor: Actor,
    row: Any,
    event: Event,
    at: datetime,
    *,
    batch_id: int | None = None,
    position: int | None = None,
    rejections: tuple[CoreRejection, ...] = (),
) -> None:
    new = apply(_state(row), event, at, rejections)
    values: dict[str, Any] = {
        "status": new.status.value, "kind": new.kind.value, "attempts": new.attempts,
        "first_uploaded_at": new.first_uploaded_at, "last_uploaded_at": new.last_uploaded_at,
        "updated_at": at,
    }  # fmt: skip
    if event is Event.UPLOAD:
        values |= {"batch_id": batch_id, "batch_position": position}
    if event in (Event.REJECT, Event.LOST):
        values["rejections"] = [
            {"code": r.code, "field": r.field, "message": r.message} for r in rejections
        ]
    elif event is Event.ACCEPT:
        values["rejections"] = []
    await conn.execute(update(R).where(R.c.id == row.id).values(**values))
    await conn.execute(
        insert(ic_upload_events).values(
            tenant_id=actor.tenant_id, record_id=row.id, event=event.value,
            status=new.status.value, batch_id=batch_id or row.batch_id,
            codes=[r.code for r in rejections], at=at,
        )
    )  # fmt: skip
    await audit.record(
        conn, actor, "update", "ic_upload", row.id, patient_id=row.patient_id,
        event=event.value, status=new.status.value,
    )  # fmt: skip


async def _record(conn: AsyncConnection, actor: Actor, record_id: int) -> IcUploadRecord:
    row = await get_row(conn, actor, R, record_id, key="error.ic_upload.not_found")
    return IcUploadRecord.from_row(row)


async def _new_records(
    conn: AsyncConnection, actor: Actor, visit_rows: Sequence[Any], now: datetime
) -> None:
    for v in visit_rows:
        seq = v.abnormal_code or v.nhi_seq
        kind = "abnormal" if is_abnormal_seq(seq) else "normal"
        await conn.execute(
            insert(R).values(
                tenant_id=actor.tenant_id, visit_id=v.id, patient_id=v.patient_id,
                visit_date=v.visit_date, visit_time=v.registered_at,
                deadline_at=deadline(v.registered_at), status=Status.PENDING.value,
                kind=kind, attempts=0, rejections=[], order_signatures=[],
                created_at=now, updated_at=now,
            )
        )  # fmt: skip
        await audit.record(
            conn, actor, "create", "ic_upload", v.id, patient_id=v.patient_id, visit_id=v.id
        )


async def record_card_write(
    conn: AsyncConnection,
    actor: Actor,
    visit_id: int,
    *,
    sam_id: str | None,
    signature: str | None,
    treatment_id: str | None,
    order_signatures: Sequence[str] = (),
    visit_time: datetime | None = None,
    now: datetime | None = None,
) -> IcUploadRecord:
    """Keep what the card write returned for ``visit_id`` (creates its upload record).
    ``visit_time``: the 就診日期時間 the IDC stamped with the 序號 (the record's key; default the
    visit's registration time)."""
    require_role(actor, *ALLOWED)
    now = now or utc_now()
    visit = await get_row(conn, actor, visits, visit_id, key="error.visit.not_found")
    existing = (
        await conn.execute(
            select(R).where(R.c.tenant_id == actor.tenant_id, R.c.visit_id == visit_id)
        )
    ).first()
    if existing is None:
        await _new_records(conn, actor, [visit], now)
    elif existing.status not in (
        Status.PENDING.value,
        Status.REJECTED.value,
        Status.CORRECTED.value,
    ):
        raise Conflict("error.ic_upload.bad_status", status=existing.status)
    values: dict[str, Any] = {
        "sam_id": sam_id, "signature": signature, "treatment_id": treatment_id,
        "order_signatures": list(order_signatures), "updated_at": now,
    }  # fmt: skip
    if visit_time is not None:
        values |= {"visit_time": visit_time, "deadline_at": deadline(visit_time)}
    await conn.execute(
        update(R).where(R.c.tenant_id == actor.tenant_id, R.c.visit_id == visit_id).values(**values)
    )
    row = (
        await conn.execute(
            select(R).where(R.c.tenant_id == actor.tenant_id, R.c.visit_id == visit_id)
        )
    ).one()
    return IcUploadRecord.from_row(row)


async def queue_made_up_later(
    conn: AsyncConnection, actor: Actor, visit_id: int, *, now: datetime | None = None
) -> IcUploadRecord | None:
    """Queue the upload of a visit made on the box in continuity mode (補登), flagged
    ``made_up_later``; ``None`` when the visit is not billed yet. Idempotent per visit."""
    require_role(actor, *ALLOWED)
    now = now or utc_now()
    visit = await get_row(conn, actor, visits, visit_id, key="error.visit.not_found")
    if visit.status not in UPLOADABLE_VISIT_STATUSES:
        return None
    where = (R.c.tenant_id == actor.tenant_id, R.c.visit_id == visit_id)
    if (await conn.execute(select(R.c.id).where(*where))).first() is None:
        await _new_records(conn, actor, [visit], now)
    await conn.execute(update(R).where(*where).values(made_up_later=True, updated_at=now))
    return IcUploadRecord.from_row((await conn.execute(select(R).where(*where))).one())


async def queue_ic_records_for_day(
    conn: AsyncConnection, actor: Actor, day: date, *, now: datetime | None = None
) -> list[IcUploadRecord]:
    """Create the missing records for the day's billed visits; all the day's records, by visit."""
    require_role(actor, *ALLOWED)
    now = now or utc_now()
    have = select(R.c.visit_id).where(R.c.tenant_id == actor.tenant_id, R.c.visit_date == day)
    missing = (
        await conn.execute(
            select(visits)
            .where(
                visits.c.tenant_id == actor.tenant_id, visits.c.visit_date == day,
                visits.c.status.in_(UPLOADABLE_VISIT_STATUSES), visits.c.id.not_in(have),
            )
            .order_by(visits.c.registered_at, visits.c.id)
        )
    ).all()  # fmt: skip
    await _new_records(conn, actor, missing, now)
    rows = (
        await conn.execute(
            select(R)
            .where(R.c.tenant_id == actor.tenant_id, R.c.visit_date == day)
            .order_by(R.c.visit_time, R.c.id)
        )
    ).all()
    return [IcUploadRecord.from_row(r) for r in rows]


async def build_upload(
    conn: AsyncConnection,
    actor: Actor,
    day: date,
    *,
    version: Version = Version.V2,
    now: datetime | None = None,
) -> UploadBatch:
    """Build the file of the day's pending and corrected records and mark them uploaded.
    Only records of visits whose fees are known (billed / dispensed) go in: a record made at
    check-in waits for its bill, a cancelled visit's record is never sent.

    Returns the batch (id, Big5 bytes, held records): a record our own validator rejects is not
    sent; it stays pending with the findings as its rejections (fix the data and build again).
    ``Conflict`` when nothing is left to send.
    """
    require_role(actor, *ALLOWED)
    now = now or utc_now()
    rows = (
        await conn.execute(
            select(R)
            .join(visits, visits.c.id == R.c.visit_id)
            .where(
                R.c.tenant_id == actor.tenant_id, R.c.visit_date == day,
                R.c.status.in_((Status.PENDING.value, Status.CORRECTED.value)),
                visits.c.status.in_(UPLOADABLE_VISIT_STATUSES),
            )
            .order_by(R.c.visit_time, R.c.id)
        )
    ).all()  # fmt: skip
    inputs = await load_visits(conn, actor.tenant_id, [r.id for r in rows])
    send: list[tuple[Any, Any]] = []
    held: list[int] = []
    for row in rows:
        rec = build_record(
            inputs[row.id], version=version, correction=row.status == Status.CORRECTED.value
        )
        issues = validate_record(rec)
        if issues:
            found = [{"code": i.code, "field": i.field, "message": message(i.code)} for i in issues]
            await conn.execute(update(R).where(R.c.id == row.id).values(rejections=found))
            held.append(row.id)
            continue
        send.append((row, rec))
    if not send:
        raise Conflict("error.ic_upload.nothing_to_upload", day=day.isoformat(), held=len(held))
    data = to_xml(build_file([rec for _, rec in send], version=version))
    batch_id = (
        await conn.execute(
            insert(ic_upload_batches)
            .values(
                tenant_id=actor.tenant_id, upload_day=day, version=version.value,
                record_count=len(send), data=data, created_at=now,
            )
            .returning(ic_upload_batches.c.id)
        )
    ).scalar_one()  # fmt: skip
    for position, (row, _rec) in enumerate(send):
        await _transition(conn, actor, row, Event.UPLOAD, now, batch_id=batch_id, position=position)
    held_rows = (await conn.execute(select(R).where(R.c.id.in_(held)).order_by(R.c.id))).all()
    held_records = tuple(IcUploadRecord.from_row(r) for r in held_rows)
    return UploadBatch(batch_id=batch_id, data=data, sent=len(send), held=held_records)


async def apply_upload_result(
    conn: AsyncConnection,
    actor: Actor,
    batch_id: int,
    results: Sequence[RecordResult],
    *,
    now: datetime | None = None,
) -> list[IcUploadRecord]:
    """Apply NHI's per-record verdicts (matched by position in the batch) to its records.

    A file-level rejection (``index is None``) means NHI took none of it: every record of the
    batch goes back to be sent again (``lost``) with the reason kept.
    """
    require_role(actor, *ALLOWED)
    now = now or utc_now()
    batch = await get_row(conn, actor, ic_upload_batches, batch_id, key="error.ic_upload.batch")
    rows = (
        await conn.execute(
            select(R).where(
                R.c.tenant_id == actor.tenant_id, R.c.batch_id == batch.id,
                R.c.status == Status.UPLOADED.value,
            )
        )
    ).all()  # fmt: skip
    by_pos = {r.batch_position: r for r in rows}
    for result in results:
        reasons = tuple(CoreRejection(e.code, e.message, e.field) for e in result.errors)
        if result.index is None:
            for row in rows:
                await _transition(conn, actor, row, Event.LOST, now, rejections=reasons)
            break
        target = by_pos.get(result.index)
        if target is None:
            raise NotFound("error.ic_upload.result_position", position=result.index)
        event = Event.ACCEPT if result.accepted else Event.REJECT
        await _transition(
            conn, actor, target, event, now, rejections=() if result.accepted else reasons
        )
    await conn.execute(
        update(ic_upload_batches).where(ic_upload_batches.c.id == batch.id).values(result_at=now)
    )
    done = (
        await conn.execute(select(R).where(R.c.id.in_([r.id for r in rows])).order_by(R.c.id))
    ).all()
    return [IcUploadRecord.from_row(r) for r in done]


async def correct_record(
    conn: AsyncConnection, actor: Actor, record_id: int, *, now: datetime | None = None
) -> IcUploadRecord:
    """Re-queue a rejected record as its 補正 (資料格式 3 / 4) for the next build."""
    require_role(actor, *ALLOWED)
    row = await get_row(conn, actor, R, record_id, key="error.ic_upload.not_found")
    await _transition(conn, actor, row, Event.CORRECT, now or utc_now())
    return await _record(conn, actor, record_id)
