"""叫號: the number each doctor's session has called, and calling the next waiting patient.

One ``queue_calls`` row per (day, doctor, session) holds the number on the waiting-room screen.
"Next" is the lowest 看診號 above the current one whose visit is still waiting (registered);
a cancelled or already-seen number is skipped. Calling a number again (the patient did not come)
is :func:`call_visit`.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict
from cloud_plane.db.tables_clinic import patients, staff, visits
from cloud_plane.db.tables_frontdesk import queue_calls
from cloud_plane.services import audit
from cloud_plane.services.actor import Actor, Role, require_role
from cloud_plane.services.clock import utc_now
from cloud_plane.services.models import Session, VisitStatus
from cloud_plane.services.visit_state import load_visit

_CALL_ROLES = (Role.FRONT_DESK, Role.DOCTOR, Role.CLINIC_ADMIN)


class Called(BaseModel):
    """What the screen shows after a call."""

    model_config = ConfigDict(frozen=True)
    day: date
    doctor_id: int
    session: Session
    number: int
    visit_id: int


async def current_number(
    conn: AsyncConnection, tenant_id: int, day: date, doctor_id: int, session: Session
) -> int:
    stmt = select(queue_calls.c.number).where(
        queue_calls.c.tenant_id == tenant_id,
        queue_calls.c.day == day,
        queue_calls.c.doctor_id == doctor_id,
        queue_calls.c.session == session.value,
    )
    return int((await conn.execute(stmt)).scalar() or 0)


async def _store(
    conn: AsyncConnection, actor: Actor, day: date, doctor_id: int, session: Session,
    number: int, visit_id: int, now: datetime,
) -> None:  # fmt: skip
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    values = {"visit_id": visit_id, "number": number, "called_at": now}
    stmt = dialect.insert(queue_calls).values(
        tenant_id=actor.tenant_id, day=day, doctor_id=doctor_id, session=session.value, **values
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[
                queue_calls.c.tenant_id, queue_calls.c.day,
                queue_calls.c.doctor_id, queue_calls.c.session,
            ],
            set_=values,
        )
    )  # fmt: skip


async def call_next(
    conn: AsyncConnection,
    actor: Actor,
    *,
    day: date,
    doctor_id: int,
    session: Session,
    now: datetime | None = None,
) -> Called:
    """Call the next waiting number of a doctor's session (``Conflict`` when nobody waits)."""
    require_role(actor, *_CALL_ROLES)
    current = await current_number(conn, actor.tenant_id, day, doctor_id, session)
    stmt = (
        select(visits.c.id, visits.c.visit_no, visits.c.patient_id)
        .where(
            visits.c.tenant_id == actor.tenant_id,
            visits.c.visit_date == day,
            visits.c.doctor_id == doctor_id,
            visits.c.session == session.value,
            visits.c.status == VisitStatus.REGISTERED.value,
            visits.c.visit_no > current,
        )
        .order_by(visits.c.visit_no)
        .limit(1)
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise Conflict("error.calling.nobody_waiting", field="doctor_id")
    await _store(conn, actor, day, doctor_id, session, row.visit_no, row.id, now or utc_now())
    await audit.record(
        conn, actor, "update", "queue_call", row.id, patient_id=row.patient_id, number=row.visit_no
    )
    return Called(day=day, doctor_id=doctor_id, session=session, number=row.visit_no,
                  visit_id=row.id)  # fmt: skip


async def call_visit(
    conn: AsyncConnection, actor: Actor, visit_id: int, *, now: datetime | None = None
) -> Called:
    """Call (or call again) one waiting visit's number."""
    require_role(actor, *_CALL_ROLES)
    v = await load_visit(conn, actor, visit_id)
    if v.status != VisitStatus.REGISTERED.value:
        raise Conflict("error.calling.not_waiting", status=v.status)
    session = Session(v.session)
    await _store(conn, actor, v.visit_date, v.doctor_id, session, v.visit_no, v.id,
                 now or utc_now())  # fmt: skip
    await audit.record(
        conn, actor, "update", "queue_call", v.id, patient_id=v.patient_id, number=v.visit_no
    )
    return Called(day=v.visit_date, doctor_id=v.doctor_id, session=session, number=v.visit_no,
                  visit_id=v.id)  # fmt: skip


class SessionQueue(BaseModel):
    """One doctor's session today, for the desk's calling panel and the waiting-room board."""

    model_config = ConfigDict(frozen=True)
    doctor_id: int
    doctor_name: str
    session: Session
    current: int
    current_name: str  # full name for staff; the board masks it
    waiting: list[tuple[int, str]]  # (看診號, name) still waiting above the current number


async def session_queues(conn: AsyncConnection, tenant_id: int, day: date) -> list[SessionQueue]:
    """Every (doctor, session) with visits today, with its called number and who waits."""
    stmt = (
        select(
            visits.c.doctor_id, visits.c.session, visits.c.visit_no, visits.c.status,
            patients.c.name, staff.c.display_name,
        )
        .join(patients, patients.c.id == visits.c.patient_id)
        .join(staff, staff.c.id == visits.c.doctor_id)
        .where(visits.c.tenant_id == tenant_id, visits.c.visit_date == day)
        .order_by(visits.c.doctor_id, visits.c.session, visits.c.visit_no)
    )  # fmt: skip
    calls = {
        (r.doctor_id, r.session): r.number
        for r in (
            await conn.execute(
                select(queue_calls).where(
                    queue_calls.c.tenant_id == tenant_id, queue_calls.c.day == day
                )
            )
        ).all()
    }
    groups: dict[tuple[int, str], dict[str, object]] = {}
    for r in (await conn.execute(stmt)).all():
        g = groups.setdefault(
            (r.doctor_id, r.session),
            {"name": r.display_name, "current_name": "", "waiting": []},
        )
        current = calls.get((r.doctor_id, r.session), 0)
        if r.visit_no == current:
            g["current_name"] = r.name
        elif r.visit_no > current and r.status == VisitStatus.REGISTERED.value:
            waiting = g["waiting"]
            assert isinstance(waiting, list)
            waiting.append((r.visit_no, r.name))
    order = {s.value: i for i, s in enumerate(Session)}
    out = [
        SessionQueue(
            doctor_id=doctor_id,
            doctor_name=str(g["name"]),
            session=Session(session),
            current=calls.get((doctor_id, session), 0),
            current_name=str(g["current_name"]),
            waiting=list(g["waiting"]),  # type: ignore[call-overload]
        )
        for (doctor_id, session), g in groups.items()
    ]
    return sorted(out, key=lambda q: (order[q.session.value], q.doctor_id))
