"""Demo data for the doctor's checks: one NHI drug code whose listing ended (DEMO value).

The public drug code list has no dates per code (every code is valid from the list date, see
:mod:`cloud_plane.refdata.loaders`), so the "not covered on that date" check would never show in
the demo. The seed ends the listing of one code that is not in any formulary, 91 days after the
list date, and flags the row ``demo_value``. The real 20-column price list, once loaded, carries
real end dates and replaces this.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cloud_plane.db.tables_refdata import drugs
from cloud_plane.refdata.loaders import DRUG_LIST_DATE

__all__ = ["DELISTED_ON", "seed_delisted_drug"]

DELISTED_ON = DRUG_LIST_DATE + timedelta(days=91)


async def seed_delisted_drug(conn: AsyncConnection, formulary: set[str]) -> str | None:
    """End one non-formulary code's listing on :data:`DELISTED_ON`; its code (idempotent)."""
    done = (
        await conn.execute(
            select(drugs.c.code).where(drugs.c.effective_to == DELISTED_ON, drugs.c.demo_value)
        )
    ).scalar()
    if done is not None:
        return str(done)
    codes = (
        await conn.execute(
            select(drugs.c.code)
            .where(drugs.c.effective_to.is_(None), drugs.c.price_points.is_(None))
            .order_by(drugs.c.code)
            .limit(50)
        )
    ).scalars()
    code = next((c for c in codes if c not in formulary), None)
    if code is None:
        return None
    await conn.execute(
        update(drugs)
        .where(drugs.c.code == code)
        .values(
            effective_to=DELISTED_ON,
            demo_value=True,
            source_note=f"code/name_en real; listing end {DELISTED_ON} is a DEMO value",
        )
    )
    return str(code)
