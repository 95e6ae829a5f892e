"""What a clinic offers online: its doctors' weekly sessions, as dated slots with room left."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.booking import session_window
from clinicbox_core.errors import NotFound
from cloud_plane.db.tables_clinic import staff, tenants
from cloud_plane.db.tables_frontdesk import bookings, doctor_sessions
from cloud_plane.services.clock import TAIPEI
from cloud_plane.services.models import Session

#: How far ahead patients may book (days, today included).
BOOKING_DAYS = 14
ACTIVE = ("booked", "checked_in")


class Clinic(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    slug: str
    name: str
    address: str
    phone: str
    default_department: str


class Slot(BaseModel):
    """One doctor's session on one day."""

    model_config = ConfigDict(frozen=True)
    session_id: int
    day: date
    session: Session
    doctor_id: int
    doctor_name: str
    starts_at: datetime
    ends_at: datetime
    minutes_per_patient: int
    online_limit: int
    booked: int

    @property
    def full(self) -> bool:
        return self.booked >= self.online_limit


async def clinic_by_slug(conn: AsyncConnection, slug: str) -> Clinic:
    r = (await conn.execute(select(tenants).where(tenants.c.slug == slug))).first()
    if r is None:
        raise NotFound("error.booking.clinic_not_found", slug=slug)
    return Clinic(id=r.id, slug=r.slug, name=r.name, address=r.address, phone=r.phone,
                  default_department=r.default_department)  # fmt: skip


async def list_clinics(conn: AsyncConnection) -> list[Clinic]:
    """Clinics with at least one active online session."""
    has = select(doctor_sessions.c.tenant_id).where(doctor_sessions.c.active.is_(True))
    rows = (
        await conn.execute(select(tenants).where(tenants.c.id.in_(has)).order_by(tenants.c.name))
    ).all()
    return [
        Clinic(
            id=r.id,
            slug=r.slug,
            name=r.name,
            address=r.address,
            phone=r.phone,
            default_department=r.default_department,
        )
        for r in rows
    ]


def _slot(r: Any, day: date, booked: int) -> Slot:
    start, end = session_window(day, r.starts_at, r.ends_at, TAIPEI)
    return Slot(
        session_id=r.id, day=day, session=Session(r.session), doctor_id=r.doctor_id,
        doctor_name=r.display_name, starts_at=start, ends_at=end,
        minutes_per_patient=r.minutes_per_patient, online_limit=r.online_limit, booked=booked,
    )  # fmt: skip


_SESSIONS = (
    select(doctor_sessions, staff.c.display_name)
    .join(staff, staff.c.id == doctor_sessions.c.doctor_id)
    .where(doctor_sessions.c.active.is_(True), staff.c.active.is_(True))
)


async def _booked_counts(
    conn: AsyncConnection, tenant_id: int, first: date, last: date
) -> dict[tuple[date, int, str], int]:
    stmt = (
        select(bookings.c.day, bookings.c.doctor_id, bookings.c.session, func.count())
        .where(
            bookings.c.tenant_id == tenant_id,
            bookings.c.day.between(first, last),
            bookings.c.status.in_(ACTIVE),
        )
        .group_by(bookings.c.day, bookings.c.doctor_id, bookings.c.session)
    )
    return {(r[0], r[1], r[2]): int(r[3]) for r in (await conn.execute(stmt)).all()}


async def open_slots(conn: AsyncConnection, tenant_id: int, now: datetime) -> list[Slot]:
    """Every session from now on (not yet ended) within :data:`BOOKING_DAYS`."""
    today = now.astimezone(TAIPEI).date()
    last = today + timedelta(days=BOOKING_DAYS - 1)
    rows = (await conn.execute(_SESSIONS.where(doctor_sessions.c.tenant_id == tenant_id))).all()
    counts = await _booked_counts(conn, tenant_id, today, last)
    order = {s.value: i for i, s in enumerate(Session)}
    out = []
    for offset in range(BOOKING_DAYS):
        day = today + timedelta(days=offset)
        for r in rows:
            if r.weekday != day.weekday():
                continue
            slot = _slot(r, day, counts.get((day, r.doctor_id, r.session), 0))
            if slot.ends_at > now:
                out.append(slot)
    return sorted(out, key=lambda s: (s.day, order[s.session.value], s.doctor_id))


async def slot(conn: AsyncConnection, tenant_id: int, session_id: int, day: date) -> Slot:
    """One session on one day (``NotFound`` when the doctor does not work then)."""
    r = (
        await conn.execute(
            _SESSIONS.where(
                doctor_sessions.c.tenant_id == tenant_id, doctor_sessions.c.id == session_id
            )
        )
    ).first()
    if r is None or r.weekday != day.weekday():
        raise NotFound("error.booking.no_session", field="slot")
    counts = await _booked_counts(conn, tenant_id, day, day)
    return _slot(r, day, counts.get((day, r.doctor_id, r.session), 0))
