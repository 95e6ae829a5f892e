"""Registration (掛號): visits with their 看診號, card check-in from a box, the day's queue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict, NotFound, ValidationFailed
from clinicbox_core.nhi.card import NhiCardBasic
from clinicbox_core.nhi.visit_codes import (
    lookup_abnormal,
    lookup_department,
    lookup_visit_type,
    western_case_type,
)
from cloud_plane.db.tables_clinic import boxes, patients, staff, tenants, visits
from cloud_plane.services import audit, mappers
from cloud_plane.services.actor import STAFF_ROLES, Actor, Role, require_role
from cloud_plane.services.clock import clinic_day, session_at, utc_now
from cloud_plane.services.counters import next_value
from cloud_plane.services.models import QueueEntry, Session, Visit, VisitStatus
from cloud_plane.services.patients import upsert_from_card
from cloud_plane.services.visit_state import OPEN, check_transition, load_visit

_REGISTER_ROLES = (Role.FRONT_DESK, Role.CLINIC_ADMIN, Role.SYSTEM)
_OPEN_VALUES = sorted(s.value for s in OPEN)

# What register() checks before numbering, in one round trip: the patient exists in the tenant,
# the doctor is an active staff member of it (roles checked in Python), and the patient's open
# visit with that doctor today, if any.
_REGISTER_CHECKS = select(
    select(patients.c.id)
    .where(patients.c.id == bindparam("patient_id"), patients.c.tenant_id == bindparam("tenant_id"))
    .scalar_subquery()
    .label("patient_id"),
    select(staff.c.roles)
    .where(
        staff.c.id == bindparam("doctor_id"),
        staff.c.tenant_id == bindparam("tenant_id"),
        staff.c.active.is_(True),
    )
    .scalar_subquery()
    .label("doctor_roles"),
    select(visits.c.id)
    .where(
        visits.c.tenant_id == bindparam("tenant_id"),
        visits.c.patient_id == bindparam("patient_id"),
        visits.c.visit_date == bindparam("day"),
        visits.c.status.in_(_OPEN_VALUES),
        visits.c.doctor_id == bindparam("doctor_id"),
    )
    .order_by(visits.c.id)
    .limit(1)
    .scalar_subquery()
    .label("open_visit_id"),
)
_INSERT_VISIT = visits.insert().returning(*visits.c)


async def _open_visit_today(
    conn: AsyncConnection, actor: Actor, patient_id: int, day: date, doctor_id: int | None = None
) -> Row[Any] | None:
    stmt = select(visits).where(
        visits.c.tenant_id == actor.tenant_id,
        visits.c.patient_id == patient_id,
        visits.c.visit_date == day,
        visits.c.status.in_([s.value for s in OPEN]),
    )
    if doctor_id is not None:
        stmt = stmt.where(visits.c.doctor_id == doctor_id)
    return (await conn.execute(stmt.order_by(visits.c.id))).first()


async def register(
    conn: AsyncConnection,
    actor: Actor,
    patient_id: int,
    *,
    doctor_id: int,
    department: str,
    visit_type: str = "01",
    session: Session | None = None,
    abnormal_code: str | None = None,
    source: str = "manual",
    nhi_seq: str | None = None,
    now: datetime | None = None,
    visit_no: int | None = None,
) -> Visit:
    """A new visit with the next 看診號 of (day, doctor, session); session from the Taipei clock
    when not given. A patient still waiting for the same doctor today is a ``Conflict``.
    ``visit_no``: a number already drawn from the same counter (a booking's reserved number)."""
    require_role(actor, *_REGISTER_ROLES)
    now = now or utc_now()
    day = clinic_day(now)
    session = Session(session) if session is not None else session_at(now)
    lookup_visit_type(visit_type)
    lookup_department(department)
    if abnormal_code is not None:
        lookup_abnormal(abnormal_code)
    if nhi_seq is not None and not (len(nhi_seq) == 4 and nhi_seq.isdigit()):
        raise ValidationFailed("error.visit.bad_nhi_seq", field="nhi_seq")
    if source not in ("card", "manual"):
        raise ValidationFailed("error.visit.bad_source", field="source")
    checks = (
        await conn.execute(
            _REGISTER_CHECKS,
            {
                "patient_id": patient_id,
                "tenant_id": actor.tenant_id,
                "doctor_id": doctor_id,
                "day": day,
            },
        )
    ).one()
    if checks.patient_id is None:
        raise NotFound("error.patient.not_found", id=patient_id)
    if checks.doctor_roles is None or Role.DOCTOR.value not in checks.doctor_roles:
        raise NotFound("error.doctor.not_found", id=doctor_id, field="doctor_id")
    if checks.open_visit_id is not None:
        raise Conflict("error.visit.already_registered", visit_id=checks.open_visit_id)
    if visit_no is None:
        visit_no = await next_value(
            conn, actor.tenant_id, visit_no_counter(day, doctor_id, session)
        )
    row = (
        await conn.execute(
            _INSERT_VISIT,
            {
                "tenant_id": actor.tenant_id,
                "patient_id": patient_id,
                "visit_date": day,
                "session": session.value,
                "department": department,
                "doctor_id": doctor_id,
                "visit_no": visit_no,
                "visit_type": visit_type,
                "nhi_seq": nhi_seq,
                "abnormal_code": abnormal_code,
                "case_type": western_case_type(),
                "status": VisitStatus.REGISTERED.value,
                "chief_complaint": "",
                "source": source,
                "box_id": actor.box_id,
                "registered_at": now,
                "updated_at": now,
            },
        )
    ).one()
    await audit.record(
        conn, actor, "create", "visit", row.id, patient_id=patient_id, visit_no=visit_no
    )
    return mappers.visit(row)


def visit_no_counter(day: date, doctor_id: int, session: Session) -> str:
    """The counter name of a (day, doctor, session) queue; bookings draw from it too."""
    return f"visit_no:{day.isoformat()}:{doctor_id}:{session.value}"


async def system_actor(conn: AsyncConnection, tenant_slug: str, box_id: str) -> Actor:
    """The actor a box acts as: its tenant, no staff, role SYSTEM. The box must belong to it."""
    tenant = (await conn.execute(select(tenants).where(tenants.c.slug == tenant_slug))).first()
    if tenant is None:
        raise NotFound("error.tenant.not_found", slug=tenant_slug)
    box = (
        await conn.execute(
            select(boxes).where(boxes.c.box_id == box_id, boxes.c.tenant_id == tenant.id)
        )
    ).first()
    if box is None:
        raise NotFound("error.box.not_found", box_id=box_id)
    return Actor(tenant_id=tenant.id, staff_id=None, roles=frozenset({Role.SYSTEM}), box_id=box_id)


async def _default_doctor(conn: AsyncConnection, actor: Actor) -> Row[Any]:
    tenant = (await conn.execute(select(tenants).where(tenants.c.id == actor.tenant_id))).one()
    stmt = (
        select(staff)
        .where(staff.c.tenant_id == actor.tenant_id, staff.c.active.is_(True))
        .order_by(staff.c.id)
    )
    doctors = [r for r in (await conn.execute(stmt)).all() if Role.DOCTOR.value in r.roles]
    for r in doctors:
        if r.username == tenant.default_doctor_username:
            return r
    if not doctors:
        raise Conflict("error.registration.no_doctor")
    return doctors[0]


async def register_from_card(
    conn: AsyncConnection,
    tenant_slug: str,
    box_id: str,
    card: NhiCardBasic,
    now: datetime | None = None,
    *,
    abnormal_code: str | None = None,
) -> Visit:
    """Card check-in at a box: the patient (created on first sight) gets a visit with the clinic's
    default doctor and department; an open visit of today is returned instead of a second one.
    ``abnormal_code``: the box registers in continuity mode (no 就醫序號 can be obtained)."""
    actor = await system_actor(conn, tenant_slug, box_id)
    now = now or utc_now()
    patient = await upsert_from_card(conn, actor, card)
    if conn.dialect.name == "postgresql":
        # Serialise check-ins of one patient so a card inserted twice at once gets one visit
        # (SQLite is already serialised by BEGIN IMMEDIATE).
        await conn.execute(
            select(patients.c.id).where(patients.c.id == patient.id).with_for_update()
        )
    existing = await _open_visit_today(conn, actor, patient.id, clinic_day(now))
    if existing is not None:
        await audit.record(
            conn, actor, "read", "visit", existing.id, patient_id=patient.id, via="card"
        )
        return mappers.visit(existing)
    doctor = await _default_doctor(conn, actor)
    tenant = (await conn.execute(select(tenants).where(tenants.c.id == actor.tenant_id))).one()
    return await register(
        conn,
        actor,
        patient.id,
        doctor_id=doctor.id,
        department=tenant.default_department,
        source="card",
        abnormal_code=abnormal_code,
        now=now,
    )


async def queue(conn: AsyncConnection, actor: Actor, day: date) -> list[QueueEntry]:
    """Every visit of ``day`` (cancelled ones too) by session, doctor and 看診號."""
    require_role(actor, *STAFF_ROLES)
    stmt = (
        select(
            visits,
            patients.c.name.label("p_name"),
            patients.c.chart_no.label("p_chart"),
            patients.c.sex.label("p_sex"),
            patients.c.birth_date.label("p_birth"),
            staff.c.display_name.label("d_name"),
        )
        .join(patients, patients.c.id == visits.c.patient_id)
        .join(staff, staff.c.id == visits.c.doctor_id)
        .where(visits.c.tenant_id == actor.tenant_id, visits.c.visit_date == day)
    )
    order = {s.value: i for i, s in enumerate(Session)}
    rows = sorted(
        (await conn.execute(stmt)).all(),
        key=lambda r: (order[r.session], r.doctor_id, r.visit_no),
    )
    await audit.record_reads(
        conn, actor, "visit", [(r.id, r.patient_id) for r in rows], via="queue"
    )
    entries = []
    for r in rows:
        entries.append(
            QueueEntry(
                visit=mappers.visit(r),
                patient_name=r.p_name,
                chart_no=r.p_chart,
                patient_sex=r.p_sex,
                birth_date=r.p_birth,
                doctor_name=r.d_name,
            )
        )
    return entries


async def cancel_visit(conn: AsyncConnection, actor: Actor, visit_id: int) -> Visit:
    """退掛: only before the consultation is finished."""
    require_role(actor, Role.FRONT_DESK, Role.CLINIC_ADMIN)
    row = await load_visit(conn, actor, visit_id, for_update=True)
    check_transition(VisitStatus(row.status), VisitStatus.CANCELLED)
    await conn.execute(
        update(visits)
        .where(visits.c.id == visit_id)
        .values(status=VisitStatus.CANCELLED.value, updated_at=utc_now())
    )
    await audit.record(
        conn, actor, "update", "visit", visit_id, patient_id=row.patient_id, status="cancelled"
    )
    return mappers.visit(await load_visit(conn, actor, visit_id))
