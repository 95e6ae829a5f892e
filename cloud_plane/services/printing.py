"""Print jobs of a visit: build the document with :mod:`clinicbox_core.printdoc.documents`,
record the job for a box, and apply the box's result.

The caller (web handler) publishes the returned :class:`PrintJob` to the box and then calls
:func:`mark_print_job_sent`; the box answers with a ``PrintResult`` event that the MQTT consumer
hands to :func:`record_print_result`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.contracts.messages import PrintJob, PrintResult
from clinicbox_core.errors import Conflict, NotFound, ValidationFailed
from clinicbox_core.printdoc import PrintDocument
from cloud_plane.db.tables_clinic import PRINT_KINDS, boxes, print_jobs, tenants
from cloud_plane.services import audit
from cloud_plane.services.actor import STAFF_ROLES, Actor, Role, require_role
from cloud_plane.services.clock import utc_now
from cloud_plane.services.mappers import Prefixed
from cloud_plane.services.models import PrintJobRow
from cloud_plane.services.printdocs import build_document
from cloud_plane.services.visit_context import load_context
from cloud_plane.services.visit_state import load_visit

_PRINT_ROLES = (Role.FRONT_DESK, Role.PHARMACIST, Role.CLINIC_ADMIN)
#: The doctor prints the prescription slip from the consultation page.
_RX_PRINT_ROLES = (*_PRINT_ROLES, Role.DOCTOR)
#: Box printer role of a print kind, when it is not the kind itself: the 處方箋 prints on the
#: receipt printer (same 80 mm thermal paper).
PRINTER_ROLE = {"rx": "receipt"}


def _row(r: Row[Any]) -> PrintJobRow:
    return PrintJobRow(
        id=r.id,
        visit_id=r.visit_id,
        kind=r.kind,
        job_id=uuid.UUID(r.job_id),
        box_id=r.box_id,
        status=r.status,
        reason=r.reason,
        detail=r.detail,
        title=r.title,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


_BOXES = (
    select(boxes.c.box_id, boxes.c.printer_roles)
    .where(boxes.c.tenant_id == bindparam("tenant_id"))
    .order_by(boxes.c.box_id)
)
_INSERT_JOB = print_jobs.insert().returning(*print_jobs.c)


async def _box_for(conn: AsyncConnection, actor: Actor, kind: str) -> str:
    for r in (await conn.execute(_BOXES, {"tenant_id": actor.tenant_id})).all():
        if kind in (r.printer_roles or []):
            return str(r.box_id)
    raise Conflict("error.print.no_box", kind=kind)


async def create_print_job(
    conn: AsyncConnection, actor: Actor, visit_id: int, kind: str
) -> tuple[PrintJobRow, PrintJob]:
    """Queue a ``drugbag``, ``receipt``, ``slip`` or ``rx`` for the clinic's box with that
    printer."""
    require_role(actor, *(_RX_PRINT_ROLES if kind == "rx" else _PRINT_ROLES))
    if kind not in PRINT_KINDS:
        raise ValidationFailed("error.print.bad_kind", field="kind", kind=kind)
    visit = await load_context(conn, actor, visit_id)
    document: PrintDocument = await build_document(
        conn, actor, visit, kind, patient=Prefixed(visit, "p_"), tenant=Prefixed(visit, "t_")
    )
    role = PRINTER_ROLE.get(kind, kind)
    box_id = await _box_for(conn, actor, role)
    job_id = uuid.uuid4()
    now = utc_now()
    row = (
        await conn.execute(
            _INSERT_JOB,
            {
                "tenant_id": actor.tenant_id,
                "visit_id": visit_id,
                "kind": kind,
                "job_id": str(job_id),
                "box_id": box_id,
                "status": "queued",
                "title": document.title[:200],
                "created_at": now,
                "updated_at": now,
            },
        )
    ).one()
    await audit.record(
        conn, actor, "create", "print_job", row.id, patient_id=visit.patient_id, kind=kind
    )
    return _row(row), PrintJob(job_id=job_id, printer=role, document=document)


async def _job_of_tenant(conn: AsyncConnection, tenant_slug: str, job_id: uuid.UUID) -> Row[Any]:
    stmt = (
        select(print_jobs)
        .join(tenants, tenants.c.id == print_jobs.c.tenant_id)
        .where(tenants.c.slug == tenant_slug, print_jobs.c.job_id == str(job_id))
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound("error.print_job.not_found", job_id=str(job_id))
    return row


async def mark_print_job_sent(
    conn: AsyncConnection, tenant_slug: str, job_id: uuid.UUID
) -> PrintJobRow:
    """queued → sent once the command is published (a later state is left alone)."""
    row = await _job_of_tenant(conn, tenant_slug, job_id)
    if row.status == "queued":
        await conn.execute(
            update(print_jobs)
            .where(print_jobs.c.id == row.id)
            .values(status="sent", updated_at=utc_now())
        )
        row = await _job_of_tenant(conn, tenant_slug, job_id)
    return _row(row)


async def record_print_result(
    conn: AsyncConnection, tenant_slug: str, result: PrintResult
) -> PrintJobRow:
    """Apply a box's print result (idempotent: a redelivered result changes nothing)."""
    row = await _job_of_tenant(conn, tenant_slug, result.job_id)
    if row.status == result.status and row.reason == result.reason:
        return _row(row)
    await conn.execute(
        update(print_jobs)
        .where(print_jobs.c.id == row.id)
        .values(
            status=result.status, reason=result.reason, detail=result.detail, updated_at=utc_now()
        )
    )
    box_actor = Actor(
        tenant_id=row.tenant_id, staff_id=None, roles=frozenset({Role.SYSTEM}), box_id=row.box_id
    )
    visit = await load_visit(conn, box_actor, row.visit_id)
    await audit.record(
        conn,
        box_actor,
        "update",
        "print_job",
        row.id,
        patient_id=visit.patient_id,
        status=result.status,
    )
    return _row(await _job_of_tenant(conn, tenant_slug, result.job_id))


PENDING_STATUSES = ("queued", "sent")


async def pending_print_jobs(
    conn: AsyncConnection, tenant_slug: str, box_id: str, since: datetime
) -> list[PrintJob]:
    """The jobs of ``box_id`` created after ``since`` that the box has not reported on, rebuilt
    from the database with their original ``job_id`` (the box prints a job id once), oldest
    first. A job whose visit can no longer be printed (cancelled meanwhile) is skipped."""
    stmt = (
        select(print_jobs)
        .join(tenants, tenants.c.id == print_jobs.c.tenant_id)
        .where(
            tenants.c.slug == tenant_slug,
            print_jobs.c.box_id == box_id,
            print_jobs.c.status.in_(PENDING_STATUSES),
            print_jobs.c.created_at >= since,
        )
        .order_by(print_jobs.c.id)
    )
    jobs: list[PrintJob] = []
    for row in (await conn.execute(stmt)).all():
        actor = Actor(
            tenant_id=row.tenant_id,
            staff_id=None,
            roles=frozenset({Role.SYSTEM}),
            box_id=row.box_id,
        )
        visit = await load_context(conn, actor, row.visit_id)
        try:
            document = await build_document(
                conn,
                actor,
                visit,
                row.kind,
                patient=Prefixed(visit, "p_"),
                tenant=Prefixed(visit, "t_"),
            )
        except Conflict:
            continue
        jobs.append(PrintJob(job_id=uuid.UUID(row.job_id), printer=row.kind, document=document))
    return jobs


async def list_print_jobs(conn: AsyncConnection, actor: Actor, visit_id: int) -> list[PrintJobRow]:
    require_role(actor, *STAFF_ROLES)
    visit = await load_visit(conn, actor, visit_id)
    stmt = (
        select(print_jobs)
        .where(print_jobs.c.tenant_id == actor.tenant_id, print_jobs.c.visit_id == visit_id)
        .order_by(print_jobs.c.id)
    )
    rows = (await conn.execute(stmt)).all()
    await audit.record(conn, actor, "read", "print_job", visit_id, patient_id=visit.patient_id)
    return [_row(r) for r in rows]
