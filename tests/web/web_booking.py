"""Booking rows for the web tests, made today whatever the weekday and hour (the seeded weekly
sessions may not cover the moment a test runs), numbered from the real 看診號 counter."""

from __future__ import annotations

import re
from datetime import date, timedelta
from email.message import Message

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from web_steps import new_national_id

from cloud_plane.db.tables_clinic import staff, tenants
from cloud_plane.db.tables_frontdesk import bookings
from cloud_plane.services.clock import clinic_day, session_at, utc_now
from cloud_plane.services.counters import next_value
from cloud_plane.services.registration import visit_no_counter


async def insert_booking_today(
    engine: AsyncEngine, slug: str, doctor_username: str, name: str,
    *, national_id: str | None = None, born: date = date(1988, 3, 2),
) -> tuple[int, int]:  # fmt: skip
    """(booking id, number) of a new booking for today's current session."""
    now = utc_now()
    day, session = clinic_day(now), session_at(now)
    async with engine.begin() as conn:
        tid, doctor_id = (
            await conn.execute(
                select(tenants.c.id, staff.c.id)
                .join(staff, staff.c.tenant_id == tenants.c.id)
                .where(tenants.c.slug == slug, staff.c.username == doctor_username)
            )
        ).one()
        number = await next_value(conn, tid, visit_no_counter(day, doctor_id, session))
        booking_id = (
            await conn.execute(
                bookings.insert()
                .values(
                    tenant_id=tid, kind="visit", doctor_id=doctor_id, day=day,
                    session=session.value, number=number,
                    national_id=national_id or new_national_id("F"), birth_date=born, name=name,
                    channel="email", contact="patient@example.com", expected_at=now,
                    ends_at=now + timedelta(hours=3), status="booked", created_at=now,
                    reminder_state="pending", reminder_attempts=0,
                )
                .returning(bookings.c.id)
            )
        ).scalar_one()  # fmt: skip
    return booking_id, number


def code_in(msg: Message) -> str:
    """The one-time code of a booking e-mail (clinic booking and 慢箋 pick-up share it)."""
    m = re.search(r"驗證碼為 (\d{6})", msg.get_payload(decode=True).decode("utf-8"))
    assert m, "no code in the e-mail"
    return m.group(1)
