"""The doctor's screen: visit detail, chief complaint, diagnoses, start and finish.

Orders (drugs, procedures) live in :mod:`.orders`; the fees added on finishing come from
:mod:`.fees`.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict, NotFound, ValidationFailed
from cloud_plane.db.tables_clinic import bills, diagnoses, orders, patients, staff, visits
from cloud_plane.db.tables_refdata import icd10
from cloud_plane.refdata.lookup import icd10_row
from cloud_plane.services import audit, mappers
from cloud_plane.services.actor import STAFF_ROLES, Actor, Role, require_role
from cloud_plane.services.clock import utc_now
from cloud_plane.services.models import Icd10Hit, VisitDetail, VisitStatus
from cloud_plane.services.visit_state import check_transition, load_visit, require_status

MAX_DIAGNOSES = 6  # d19 主診斷 + d20–d23 次診斷 on the claim, IC card holds 1 + 5
MAX_COMPLAINT = 2000


async def _detail(conn: AsyncConnection, actor: Actor, visit_id: int) -> VisitDetail:
    """Build the detail without auditing (callers audit what they did)."""
    v = await load_visit(conn, actor, visit_id)
    p = (await conn.execute(select(patients).where(patients.c.id == v.patient_id))).one()
    d = (await conn.execute(select(staff).where(staff.c.id == v.doctor_id))).one()
    dx = (
        await conn.execute(
            select(diagnoses).where(diagnoses.c.visit_id == visit_id).order_by(diagnoses.c.ordinal)
        )
    ).all()
    ox = (
        await conn.execute(
            select(orders).where(orders.c.visit_id == visit_id).order_by(orders.c.ordinal)
        )
    ).all()
    return VisitDetail(
        visit=mappers.visit(v),
        patient=mappers.patient(p),
        doctor=mappers.staff(d),
        diagnoses=tuple(mappers.diagnosis(r) for r in dx),
        orders=tuple(mappers.order(r) for r in ox),
    )


async def get_visit_detail(conn: AsyncConnection, actor: Actor, visit_id: int) -> VisitDetail:
    require_role(actor, *STAFF_ROLES)
    detail = await _detail(conn, actor, visit_id)
    await audit.record(conn, actor, "read", "visit", visit_id, patient_id=detail.patient.id)
    return detail


async def _doctor_edit(conn: AsyncConnection, actor: Actor, visit_id: int) -> int:
    """Check the actor is a doctor and the visit is being consulted; the patient id."""
    require_role(actor, Role.DOCTOR)
    v = await load_visit(conn, actor, visit_id, for_update=True)
    require_status(VisitStatus(v.status), VisitStatus.IN_CONSULTATION)
    return int(v.patient_id)


async def start_consultation(conn: AsyncConnection, actor: Actor, visit_id: int) -> VisitDetail:
    """Call the patient in (registered → in_consultation), or reopen a visit not yet billed."""
    require_role(actor, Role.DOCTOR)
    v = await load_visit(conn, actor, visit_id, for_update=True)
    check_transition(VisitStatus(v.status), VisitStatus.IN_CONSULTATION)
    if VisitStatus(v.status) is VisitStatus.TO_BILL:
        # Reopened before payment: the computed bill no longer holds.
        await conn.execute(delete(bills).where(bills.c.visit_id == visit_id))
    now = utc_now()
    await conn.execute(
        update(visits)
        .where(visits.c.id == visit_id)
        .values(
            status=VisitStatus.IN_CONSULTATION.value,
            started_at=v.started_at or now,
            finished_at=None,
            updated_at=now,
        )
    )
    await audit.record(
        conn, actor, "update", "visit", visit_id, patient_id=v.patient_id, status="in_consultation"
    )
    return await _detail(conn, actor, visit_id)


async def set_chief_complaint(
    conn: AsyncConnection, actor: Actor, visit_id: int, text: str
) -> VisitDetail:
    patient_id = await _doctor_edit(conn, actor, visit_id)
    if len(text) > MAX_COMPLAINT:
        raise ValidationFailed("error.visit.complaint_too_long", field="chief_complaint")
    await conn.execute(
        update(visits)
        .where(visits.c.id == visit_id)
        .values(chief_complaint=text.strip(), updated_at=utc_now())
    )
    await audit.record(
        conn, actor, "update", "visit", visit_id, patient_id=patient_id, fields=["chief_complaint"]
    )
    return await _detail(conn, actor, visit_id)


async def add_diagnosis(
    conn: AsyncConnection, actor: Actor, visit_id: int, code: str
) -> VisitDetail:
    """Add an ICD-10-CM 2023 TW diagnosis; only billable (leaf) codes are accepted."""
    patient_id = await _doctor_edit(conn, actor, visit_id)
    code = code.strip().upper()
    ref = await icd10_row(conn, code)
    if ref is None:
        raise ValidationFailed("error.diagnosis.unknown_code", field="code", code=code)
    if not ref.billable:
        raise ValidationFailed("error.diagnosis.not_billable", field="code", code=code)
    existing = (
        await conn.execute(select(diagnoses.c.code).where(diagnoses.c.visit_id == visit_id))
    ).all()
    if any(r.code == code for r in existing):
        raise Conflict("error.diagnosis.duplicate", field="code", code=code)
    if len(existing) >= MAX_DIAGNOSES:
        raise ValidationFailed("error.diagnosis.too_many", field="code", max=MAX_DIAGNOSES)
    next_ordinal = (
        await conn.execute(
            select(func.coalesce(func.max(diagnoses.c.ordinal), 0)).where(
                diagnoses.c.visit_id == visit_id
            )
        )
    ).scalar_one() + 1
    result = await conn.execute(
        diagnoses.insert()
        .values(
            tenant_id=actor.tenant_id,
            visit_id=visit_id,
            ordinal=next_ordinal,
            code=code,
            name=ref.name_zh or ref.name_en,
        )
        .returning(diagnoses.c.id)
    )
    await audit.record(
        conn,
        actor,
        "create",
        "diagnosis",
        result.scalar_one(),
        patient_id=patient_id,
        visit_id=visit_id,
        code=code,
    )
    return await _detail(conn, actor, visit_id)


async def remove_diagnosis(
    conn: AsyncConnection, actor: Actor, visit_id: int, diagnosis_id: int
) -> VisitDetail:
    """Remove one diagnosis; the others move up so the first stays the 主診斷."""
    patient_id = await _doctor_edit(conn, actor, visit_id)
    result = await conn.execute(
        delete(diagnoses).where(
            diagnoses.c.id == diagnosis_id,
            diagnoses.c.visit_id == visit_id,
            diagnoses.c.tenant_id == actor.tenant_id,
        )
    )
    if result.rowcount != 1:
        raise NotFound("error.diagnosis.not_found", id=diagnosis_id)
    rest = (
        await conn.execute(
            select(diagnoses.c.id)
            .where(diagnoses.c.visit_id == visit_id)
            .order_by(diagnoses.c.ordinal)
        )
    ).all()
    for i, r in enumerate(rest, start=1):
        await conn.execute(update(diagnoses).where(diagnoses.c.id == r.id).values(ordinal=i))
    await audit.record(
        conn, actor, "delete", "diagnosis", diagnosis_id, patient_id=patient_id, visit_id=visit_id
    )
    return await _detail(conn, actor, visit_id)


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
