"""Shared steps of the booking tests: a clinic's ids, a verified identity, a dated session."""

from __future__ import annotations

import itertools
import os
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.nhi.id_number import check_digit
from cloud_plane.booking.identity import Identity, request_code, verify_code
from cloud_plane.db.tables_clinic import staff, tenants
from cloud_plane.db.tables_frontdesk import doctor_sessions
from cloud_plane.services.actor import Role
from cloud_plane.services.auth import hash_password

_serial = itertools.count(int.from_bytes(os.urandom(3), "big") % 9_000_000)


def new_id(sex: str = "F") -> str:
    nine = f"{'K' if sex == 'M' else 'Q'}{1 if sex == 'M' else 2}{next(_serial) % 10_000_000:07d}"
    return nine + check_digit(nine)


async def tenant_id(conn: AsyncConnection, slug: str = "demo-west") -> int:
    return int(
        (await conn.execute(select(tenants.c.id).where(tenants.c.slug == slug))).scalar_one()
    )


async def verified(
    conn: AsyncConnection, tid: int, now: datetime, *, national_id: str | None = None,
    contact: str = "patient@example.com", born: date = date(1990, 1, 2),
) -> Identity:  # fmt: skip
    who, code, token = await request_code(
        conn, tid, national_id=national_id or new_id(), birth_date=born, name="測試病人",
        channel="email", contact=contact, now=now,
    )  # fmt: skip
    await verify_code(conn, token, code, now)
    return who


async def private_session(
    conn: AsyncConnection, tid: int, day: date, *, limit: int, starts: str = "08:00",
    ends: str = "23:59", pace: int = 5,
) -> int:  # fmt: skip
    """A new doctor (so no seeded session collides) working ``day``'s evening; its session id."""
    suffix = os.urandom(4).hex()
    doctor = (
        await conn.execute(
            staff.insert()
            .values(
                tenant_id=tid, username=f"dr-{suffix}", display_name=f"測試醫師{suffix[:3]}",
                roles=[Role.DOCTOR.value], password_hash=hash_password("x" * 12),
                national_id=None, active=True, created_at=datetime.now().astimezone(),
            )
            .returning(staff.c.id)
        )
    ).scalar_one()  # fmt: skip
    return int(
        (
            await conn.execute(
                doctor_sessions.insert()
                .values(
                    tenant_id=tid, doctor_id=doctor, weekday=day.weekday(), session="evening",
                    starts_at=starts, ends_at=ends, minutes_per_patient=pace,
                    online_limit=limit, active=True,
                )
                .returning(doctor_sessions.c.id)
            )
        ).scalar_one()
    )  # fmt: skip


def next_weekday(today: date, days: int = 1) -> date:
    return today + timedelta(days=days)
