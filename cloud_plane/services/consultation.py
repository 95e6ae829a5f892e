"""The doctor's screen: visit detail, chief complaint, diagnoses, start and finish.

Orders (drugs, procedures) live in :mod:`.orders`; the fees added on finishing come from
:mod:`.fees`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict, NotFound, ValidationFailed
from cloud_plane.db.tables_clinic import bills, diagnoses, visits
from cloud_plane.db.tables_refdata import icd10
from cloud_plane.services import audit, refcache
from cloud_plane.services.actor import STAFF_ROLES, Actor, Role, require_role
from cloud_plane.services.clock import utc_now
from cloud_plane.services.models import Diagnosis, Icd10Hit, VisitDetail, VisitStatus
from cloud_plane.services.visit_context import detail, items, load_context
from cloud_plane.services.visit_state import check_transition, require_status

MAX_DIAGNOSES = 6  # d19 主診斷 + d20–d23 次診斷 on the claim, IC card holds 1 + 5
MAX_COMPLAINT = 2000


_UPDATE_VISIT = update(visits).where(visits.c.id == bindparam("visit_id"))
_DELETE_BILL = delete(bills).where(bills.c.visit_id == bindparam("visit_id"))
_INSERT_DIAGNOSIS = diagnoses.insert().returning(*diagnoses.c)
_DELETE_DIAGNOSIS = delete(diagnoses).where(
    diagnoses.c.id == bindparam("diagnosis_id"),
    diagnoses.c.visit_id == bindparam("of_visit"),
    diagnoses.c.tenant_id == bindparam("tenant_id"),
)
_RENUMBER_DIAGNOSIS = (
    update(diagnoses)
    .where(diagnoses.c.id == bindparam("diagnosis_id"))
    .values(ordinal=bindparam("n"))
)


async def _detail(conn: AsyncConnection, actor: Actor, visit_id: int) -> VisitDetail:
    """Build the detail without auditing (callers audit what they did)."""
    ctx = await load_context(conn, actor, visit_id)
    return detail(ctx, *await items(conn, visit_id))


async def get_visit_detail(conn: AsyncConnection, actor: Actor, visit_id: int) -> VisitDetail:
    require_role(actor, *STAFF_ROLES)
    result = await _detail(conn, actor, visit_id)
    await audit.record(conn, actor, "read", "visit", visit_id, patient_id=result.patient.id)
    return result


async def _doctor_context(conn: AsyncConnection, actor: Actor, visit_id: int) -> Row[Any]:
    """Check the actor is a doctor and the visit is being consulted; the locked visit context."""
    require_role(actor, Role.DOCTOR)
    ctx = await load_context(conn, actor, visit_id, for_update=True)
    require_status(VisitStatus(ctx.status), VisitStatus.IN_CONSULTATION)
    return ctx


async def _doctor_edit(conn: AsyncConnection, actor: Actor, visit_id: int) -> int:
    """Check the actor is a doctor and the visit is being consulted; the patient id."""
    return int((await _doctor_context(conn, actor, visit_id)).patient_id)


async def start_consultation(conn: AsyncConnection, actor: Actor, visit_id: int) -> VisitDetail:
    """Call the patient in (registered → in_consultation), or reopen a visit not yet billed."""
    require_role(actor, Role.DOCTOR)
    v = await load_context(conn, actor, visit_id, for_update=True)
    check_transition(VisitStatus(v.status), VisitStatus.IN_CONSULTATION)
    if VisitStatus(v.status) is VisitStatus.TO_BILL:
        # Reopened before payment: the computed bill no longer holds.
        await conn.execute(_DELETE_BILL, {"visit_id": visit_id})
    now = utc_now()
    started_at = v.started_at or now
    await conn.execute(
        _UPDATE_VISIT,
        {
            "visit_id": visit_id,
            "status": VisitStatus.IN_CONSULTATION.value,
            "started_at": started_at,
            "finished_at": None,
            "updated_at": now,
        },
    )
    await audit.record(
        conn, actor, "update", "visit", visit_id, patient_id=v.patient_id, status="in_consultation"
    )
    dx, ox = await items(conn, visit_id)
    return detail(
        v,
        dx,
        ox,
        status=VisitStatus.IN_CONSULTATION,
        started_at=started_at,
        finished_at=None,
    )


async def set_chief_complaint(
    conn: AsyncConnection, actor: Actor, visit_id: int, text: str
) -> VisitDetail:
    ctx = await _doctor_context(conn, actor, visit_id)
    if len(text) > MAX_COMPLAINT:
        raise ValidationFailed("error.visit.complaint_too_long", field="chief_complaint")
    complaint = text.strip()
    await conn.execute(
        _UPDATE_VISIT,
        {"visit_id": visit_id, "chief_complaint": complaint, "updated_at": utc_now()},
    )
    await audit.record(
        conn,
        actor,
        "update",
        "visit",
        visit_id,
        patient_id=ctx.patient_id,
        fields=["chief_complaint"],
    )
    return detail(ctx, *await items(conn, visit_id), chief_complaint=complaint)


async def add_diagnosis(
    conn: AsyncConnection, actor: Actor, visit_id: int, code: str
) -> VisitDetail:
    """Add an ICD-10-CM 2023 TW diagnosis; only billable (leaf) codes are accepted."""
    ctx = await _doctor_context(conn, actor, visit_id)
    code = code.strip().upper()
    ref = await refcache.icd10_row(conn, code)
    if ref is None:
        raise ValidationFailed("error.diagnosis.unknown_code", field="code", code=code)
    if not ref.billable:
        raise ValidationFailed("error.diagnosis.not_billable", field="code", code=code)
    existing, ox = await items(conn, visit_id)
    if any(r.code == code for r in existing):
        raise Conflict("error.diagnosis.duplicate", field="code", code=code)
    if len(existing) >= MAX_DIAGNOSES:
        raise ValidationFailed("error.diagnosis.too_many", field="code", max=MAX_DIAGNOSES)
    next_ordinal = max((r.ordinal for r in existing), default=0) + 1
    row = (
        await conn.execute(
            _INSERT_DIAGNOSIS,
            {
                "tenant_id": actor.tenant_id,
                "visit_id": visit_id,
                "ordinal": next_ordinal,
                "code": code,
                "name": ref.name_zh or ref.name_en,
            },
        )
    ).one()
    await audit.record(
        conn,
        actor,
        "create",
        "diagnosis",
        row.id,
        patient_id=ctx.patient_id,
        visit_id=visit_id,
        code=code,
    )
    return detail(ctx, [*existing, row], ox)


async def remove_diagnosis(
    conn: AsyncConnection, actor: Actor, visit_id: int, diagnosis_id: int
) -> VisitDetail:
    """Remove one diagnosis; the others move up so the first stays the 主診斷."""
    ctx = await _doctor_context(conn, actor, visit_id)
    result = await conn.execute(
        _DELETE_DIAGNOSIS,
        {"diagnosis_id": diagnosis_id, "of_visit": visit_id, "tenant_id": actor.tenant_id},
    )
    if result.rowcount != 1:
        raise NotFound("error.diagnosis.not_found", id=diagnosis_id)
    rest, ox = await items(conn, visit_id)
    moved = [{"diagnosis_id": r.id, "n": i} for i, r in enumerate(rest, start=1) if r.ordinal != i]
    if moved:
        await conn.execute(_RENUMBER_DIAGNOSIS, moved)
    await audit.record(
        conn,
        actor,
        "delete",
        "diagnosis",
        diagnosis_id,
        patient_id=ctx.patient_id,
        visit_id=visit_id,
    )
    return detail(
        ctx,
        [
            Diagnosis(id=r.id, ordinal=i, code=r.code, name=r.name)
            for i, r in enumerate(rest, start=1)
        ],
        ox,
    )


async def search_icd10(conn: AsyncConnection, q: str, limit: int = 20) -> list[Icd10Hit]:
    """Codes starting with ``q`` (dot optional), else names containing it (zh or en)."""
    q = q.strip()
    if not q:
        return []
    code_q = q.upper()
    if len(code_q) > 3 and "." not in code_q and code_q[:3].isalnum():
        code_q = code_q[:3] + "." + code_q[3:]
    stmt = (
        select(icd10)
        .where(icd10.c.code.startswith(code_q, autoescape=True))
        .order_by(icd10.c.code)
        .limit(limit)
    )
    rows = (await conn.execute(stmt)).all()
    if not rows:
        stmt = (
            select(icd10)
            .where(
                icd10.c.name_zh.contains(q, autoescape=True)
                | func.lower(icd10.c.name_en).contains(q.lower(), autoescape=True)
            )
            .order_by(icd10.c.billable.desc(), icd10.c.code)
            .limit(limit)
        )
        rows = (await conn.execute(stmt)).all()
    return [
        Icd10Hit(code=r.code, name_en=r.name_en, name_zh=r.name_zh, billable=r.billable)
        for r in rows
    ]
