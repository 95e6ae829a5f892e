"""Booking a number, a patient's bookings, cancelling; the desk's list and check-in; no-shows.

A booking draws its number from the same counter as walk-in registration
(:func:`~cloud_plane.services.registration.visit_no_counter`), so the booked number is the
看診號 the visit gets at check-in and nobody else gets it. Limits: ``online_limit`` bookings per
session, one active booking per patient per day and session, and no online booking after
:data:`NO_SHOW_LIMIT` no-shows within :data:`NO_SHOW_DAYS` days.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.booking import estimated_time, no_show_blocked
from clinicbox_core.errors import Conflict, NotFound, ValidationFailed
from cloud_plane.booking.identity import Identity
from cloud_plane.booking.slots import ACTIVE, BOOKING_DAYS, slot
from cloud_plane.db.tables_clinic import patients, staff, tenants
from cloud_plane.db.tables_frontdesk import bookings
from cloud_plane.services import audit
from cloud_plane.services.actor import Actor, Role, require_role
from cloud_plane.services.clock import TAIPEI
from cloud_plane.services.counters import next_value
from cloud_plane.services.models import PatientInput, Session, Visit
from cloud_plane.services.patients import create_patient
from cloud_plane.services.registration import register, visit_no_counter

NO_SHOW_LIMIT = 3
NO_SHOW_DAYS = 90


class Booking(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    kind: str
    doctor_id: int
    doctor_name: str
    day: date
    session: Session
    number: int
    name: str
    national_id: str
    birth_date: date
    expected_at: datetime
    status: str
    visit_id: int | None


def _booking(r: Any) -> Booking:
    return Booking(
        id=r.id, kind=r.kind, doctor_id=r.doctor_id, doctor_name=r.display_name, day=r.day,
        session=Session(r.session), number=r.number, name=r.name, national_id=r.national_id,
        birth_date=r.birth_date,
        expected_at=r.expected_at, status=r.status, visit_id=r.visit_id,
    )  # fmt: skip


_WITH_DOCTOR = select(bookings, staff.c.display_name).join(
    staff, staff.c.id == bookings.c.doctor_id
)


async def book(
    conn: AsyncConnection, who: Identity, *, session_id: int, day: date, now: datetime
) -> Booking:
    """Book the next number of a doctor's session for the verified patient."""
    today = now.astimezone(TAIPEI).date()
    if not 0 <= (day - today).days < BOOKING_DAYS:
        raise ValidationFailed("error.booking.day_out_of_range", field="slot", days=BOOKING_DAYS)
    s = await slot(conn, who.tenant_id, session_id, day)
    if s.ends_at <= now:
        raise Conflict("error.booking.session_over", field="slot")
    if s.full:
        raise Conflict("error.booking.full", field="slot", limit=s.online_limit)
    no_shows = (
        await conn.execute(
            select(bookings.c.day).where(
                bookings.c.tenant_id == who.tenant_id,
                bookings.c.national_id == who.national_id,
                bookings.c.status == "no_show",
            )
        )
    ).scalars()
    if no_show_blocked(list(no_shows), today, limit=NO_SHOW_LIMIT, days=NO_SHOW_DAYS):
        raise Conflict("error.booking.no_show_blocked", limit=NO_SHOW_LIMIT, days=NO_SHOW_DAYS)
    twice = (
        await conn.execute(
            select(func.count()).where(
                bookings.c.tenant_id == who.tenant_id,
                bookings.c.national_id == who.national_id,
                bookings.c.day == day,
                bookings.c.session == s.session.value,
                bookings.c.status.in_(ACTIVE),
            )
        )
    ).scalar_one()
    if twice:
        raise Conflict("error.booking.already_booked", field="slot")
    number = await next_value(conn, who.tenant_id, visit_no_counter(day, s.doctor_id, s.session))
    expected = max(estimated_time(s.starts_at, s.minutes_per_patient, number), now)
    row = (
        await conn.execute(
            bookings.insert()
            .values(
                tenant_id=who.tenant_id, kind="visit", doctor_id=s.doctor_id, day=day,
                session=s.session.value, number=number, national_id=who.national_id,
                birth_date=who.birth_date, name=who.name, channel=who.channel,
                contact=who.contact, expected_at=expected, ends_at=s.ends_at, status="booked",
                visit_id=None, created_at=now, reminder_state="pending", reminder_attempts=0,
            )
            .returning(bookings.c.id)
        )
    ).scalar_one()  # fmt: skip
    return await _get(conn, who.tenant_id, row)


async def _get(conn: AsyncConnection, tenant_id: int, booking_id: int) -> Booking:
    r = (
        await conn.execute(
            _WITH_DOCTOR.where(bookings.c.id == booking_id, bookings.c.tenant_id == tenant_id)
        )
    ).first()
    if r is None:
        raise NotFound("error.booking.not_found", id=booking_id)
    return _booking(r)


async def my_bookings(conn: AsyncConnection, who: Identity, today: date) -> list[Booking]:
    stmt = _WITH_DOCTOR.where(
        bookings.c.tenant_id == who.tenant_id,
        bookings.c.national_id == who.national_id,
        bookings.c.day >= today,
    ).order_by(bookings.c.day, bookings.c.expected_at)
    return [_booking(r) for r in (await conn.execute(stmt)).all()]


async def cancel_booking(
    conn: AsyncConnection, who: Identity, booking_id: int, now: datetime
) -> Booking:
    """The patient cancels one of their own bookings before its session ends."""
    b = await _get(conn, who.tenant_id, booking_id)
    if b.national_id != who.national_id:
        raise NotFound("error.booking.not_found", id=booking_id)
    if b.status != "booked":
        raise Conflict("error.booking.not_cancellable", booking_status=b.status)
    await conn.execute(
        update(bookings)
        .where(bookings.c.id == booking_id)
        .values(status="cancelled", cancelled_at=now, reminder_state="none")
    )
    return await _get(conn, who.tenant_id, booking_id)


async def day_bookings(conn: AsyncConnection, actor: Actor, day: date) -> list[Booking]:
    """The front desk's list of a day's bookings."""
    require_role(actor, Role.FRONT_DESK, Role.CLINIC_ADMIN, Role.DOCTOR)
    stmt = _WITH_DOCTOR.where(bookings.c.tenant_id == actor.tenant_id, bookings.c.day == day)
    rows = (await conn.execute(stmt.order_by(bookings.c.session, bookings.c.number))).all()
    return [_booking(r) for r in rows]


def _sex_of(national_id: str) -> str:
    # Citizens' and the new-format residents' second character: 1/8 male, 2/9 female.
    return "F" if national_id[1] in "29" else "M"


async def check_in(conn: AsyncConnection, actor: Actor, booking_id: int, *, now: datetime) -> Visit:
    """報到: register the booked patient with the booked number (patient created if new)."""
    require_role(actor, Role.FRONT_DESK, Role.CLINIC_ADMIN)
    b = await _get(conn, actor.tenant_id, booking_id)
    if b.status != "booked":
        raise Conflict("error.booking.not_bookable_status", booking_status=b.status)
    if b.day != now.astimezone(TAIPEI).date():
        raise Conflict("error.booking.not_today", day=b.day.isoformat())
    pid = (
        await conn.execute(
            select(patients.c.id).where(
                patients.c.tenant_id == actor.tenant_id, patients.c.national_id == b.national_id
            )
        )
    ).scalar()
    if pid is None:
        data = PatientInput(
            name=b.name, sex=_sex_of(b.national_id), birth_date=b.birth_date,
            national_id=b.national_id,
        )  # fmt: skip
        pid = (await create_patient(conn, actor, data)).id
    tenant_dept = await _department(conn, actor)
    visit = await register(
        conn, actor, pid, doctor_id=b.doctor_id, department=tenant_dept, session=b.session,
        now=now, visit_no=b.number,
    )  # fmt: skip
    await conn.execute(
        update(bookings)
        .where(bookings.c.id == booking_id)
        .values(status="checked_in", visit_id=visit.id, reminder_state="none")
    )
    await audit.record(conn, actor, "update", "booking", booking_id, patient_id=pid,
                       status="checked_in")  # fmt: skip
    return visit


async def _department(conn: AsyncConnection, actor: Actor) -> str:
    stmt = select(tenants.c.default_department).where(tenants.c.id == actor.tenant_id)
    return str((await conn.execute(stmt)).scalar_one())


async def mark_no_shows(conn: AsyncConnection, now: datetime) -> int:
    """Bookings whose session ended without a check-in become no-shows (all clinics)."""
    result = await conn.execute(
        update(bookings)
        .where(bookings.c.status == "booked", bookings.c.ends_at <= now)
        .values(status="no_show", reminder_state="none")
    )
    return int(result.rowcount or 0)
