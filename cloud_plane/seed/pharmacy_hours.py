"""Demo opening hours of the demo pharmacy, as 慢箋 pick-up slots: Monday–Friday 09:00–12:00
and 14:00–21:00, Saturday 09:00–12:00, 30-minute slots, 3 pick-ups per slot.

Idempotent: nothing is added once the pharmacy has any opening period.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from cloud_plane.db.tables_clinic import tenants
from cloud_plane.db.tables_pharmacy import pharmacy_hours

SLOT_MINUTES = 30
SLOT_LIMIT = 3
WEEKDAY_PERIODS = (("09:00", "12:00"), ("14:00", "21:00"))
SATURDAY_PERIODS = (("09:00", "12:00"),)


async def seed_pharmacy_hours(conn: AsyncConnection, slug: str) -> None:
    tid = (await conn.execute(select(tenants.c.id).where(tenants.c.slug == slug))).scalar()
    if tid is None:
        return
    if (
        await conn.execute(select(pharmacy_hours.c.id).where(pharmacy_hours.c.tenant_id == tid))
    ).first():
        return
    rows = [
        {
            "tenant_id": tid,
            "weekday": weekday,
            "opens": opens,
            "closes": closes,
            "slot_minutes": SLOT_MINUTES,
            "slot_limit": SLOT_LIMIT,
        }
        for weekday in range(6)
        for opens, closes in (WEEKDAY_PERIODS if weekday < 5 else SATURDAY_PERIODS)
    ]
    await conn.execute(pharmacy_hours.insert(), rows)
