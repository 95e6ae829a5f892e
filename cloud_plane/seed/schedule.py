"""Demo doctor sessions (weekly 早/午/晚診 with online limits) and a few online bookings, so the
booking pages, the desk's booking list and the waiting-room board show something.

Idempotent: sessions are inserted only where missing; bookings only for a clinic with none.
Names and ID numbers of the booked patients are made up (valid check digits).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.nhi.id_number import check_digit
from cloud_plane.booking.identity import Identity
from cloud_plane.booking.service import book
from cloud_plane.booking.slots import open_slots
from cloud_plane.db.tables_clinic import staff
from cloud_plane.db.tables_frontdesk import bookings, doctor_sessions

# (username, weekdays, session, starts, ends, minutes per patient, online limit)
_WEEK = (0, 1, 2, 3, 4, 5)
SCHEDULES: dict[str, tuple[tuple[str, tuple[int, ...], str, str, str, int, int], ...]] = {
    "demo-west": (
        ("doctor1", _WEEK, "morning", "08:30", "12:00", 6, 20),
        ("doctor1", (0, 2, 4), "evening", "18:30", "21:30", 6, 15),
        ("doctor2", (0, 1, 2, 3, 4), "afternoon", "14:30", "17:30", 8, 12),
        ("doctor2", (1, 3), "evening", "18:30", "21:00", 8, 10),
    ),
    "demo-east": (("doctor1", _WEEK, "morning", "09:00", "12:00", 10, 10),),
}
_PATIENTS = (
    ("王小明", "F12345678", date(1985, 6, 1)),
    ("李美華", "G22345678", date(1990, 12, 24)),
    ("張志豪", "H12345670", date(1972, 3, 9)),
)


async def seed_schedule(conn: AsyncConnection, tenant_id: int, slug: str) -> None:
    doctors = dict(
        (
            await conn.execute(
                select(staff.c.username, staff.c.id).where(staff.c.tenant_id == tenant_id)
            )
        ).all()
    )
    have = {
        (r.doctor_id, r.weekday, r.session)
        for r in (
            await conn.execute(
                select(doctor_sessions).where(doctor_sessions.c.tenant_id == tenant_id)
            )
        ).all()
    }
    rows = []
    for username, weekdays, session, starts, ends, pace, limit in SCHEDULES.get(slug, ()):
        for wd in weekdays:
            if (doctors[username], wd, session) in have:
                continue
            rows.append({
                "tenant_id": tenant_id, "doctor_id": doctors[username], "weekday": wd,
                "session": session, "starts_at": starts, "ends_at": ends,
                "minutes_per_patient": pace, "online_limit": limit, "active": True,
            })  # fmt: skip
    if rows:
        await conn.execute(doctor_sessions.insert(), rows)


async def seed_bookings(conn: AsyncConnection, tenant_id: int, now: datetime | None = None) -> None:
    """A few bookings in the clinic's next open sessions (only when it has none)."""
    count = (
        await conn.execute(select(func.count()).where(bookings.c.tenant_id == tenant_id))
    ).scalar_one()
    if count:
        return
    now = now or datetime.now(UTC)
    slots = [s for s in await open_slots(conn, tenant_id, now) if s.starts_at > now]
    for (name, prefix, born), slot in zip(_PATIENTS, slots, strict=False):
        who = Identity(
            id=0, tenant_id=tenant_id, national_id=prefix + check_digit(prefix), birth_date=born,
            name=name, channel="email", contact=f"{prefix.lower()}@example.com",
        )  # fmt: skip
        await book(conn, who, session_id=slot.session_id, day=slot.day, now=now)
