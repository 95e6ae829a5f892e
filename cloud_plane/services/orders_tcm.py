"""中醫 orders: herbal / granule (科學中藥) lines by grams per day and days.

The herbs are NHI Chinese herbal codes (reference table ``herbs``); the clinic claims them
through the 每日藥費 (A21 × days, added on finishing by :mod:`.fees_by_clinic`), so each herb
line carries 0 points. ``dose`` is grams per day (``dose_per = 'D'``), the total is grams per day
× days, and the frequency says how the day's amount is split (TID: three times a day).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.frequency import lookup_frequency, lookup_route
from cloud_plane.db.tables_refdata import herbs
from cloud_plane.services.actor import Actor
from cloud_plane.services.consultation import _doctor_context
from cloud_plane.services.models import VisitDetail
from cloud_plane.services.orders import _add

__all__ = ["MAX_GRAMS_PER_DAY", "MAX_HERB_DAYS", "add_herb_order", "search_herbs"]

#: One herb line above this many grams a day is refused as out of range (a clinic safety
#: limit, not an NHI rule: granule formulas are usually 3–15 g a day).
MAX_GRAMS_PER_DAY = Decimal(30)
MAX_HERB_DAYS = 30

_HERB = select(herbs).where(herbs.c.code == bindparam("code"))


async def add_herb_order(
    conn: AsyncConnection,
    actor: Actor,
    visit_id: int,
    *,
    code: str,
    grams_per_day: Decimal,
    days: int,
    frequency: str = "TID",
) -> VisitDetail:
    ctx = await _doctor_context(conn, actor, visit_id)
    code = code.strip().upper()
    herb = (await conn.execute(_HERB, {"code": code})).first()
    if herb is None:
        raise ValidationFailed("error.herb.unknown", field="herb_code", code=code)
    if not Decimal("0.1") <= grams_per_day <= MAX_GRAMS_PER_DAY or grams_per_day != (
        grams_per_day.quantize(Decimal("0.1"))
    ):
        raise ValidationFailed(
            "error.herb.grams_out_of_range",
            field="grams_per_day",
            max=str(MAX_GRAMS_PER_DAY),
        )
    if not 1 <= days <= MAX_HERB_DAYS:
        raise ValidationFailed("error.herb.bad_days", field="herb_days", max=MAX_HERB_DAYS)
    freq = lookup_frequency(frequency).code
    return await _add(
        conn,
        actor,
        ctx,
        kind="drug",
        code=code,
        name=herb.name_zh,
        dose=grams_per_day,
        dose_per="D",
        frequency=freq,
        route=lookup_route("PO").code,
        days=days,
        total_quantity=grams_per_day * days,
        unit_points=Decimal(0),
        amount_points=0,
        self_pay=False,
    )


async def search_herbs(conn: AsyncConnection, q: str, limit: int = 20) -> list[tuple[str, str]]:
    """Herbal codes starting with ``q`` or names containing it: ``(code, name_zh)``."""
    q = q.strip()
    if not q:
        return []
    stmt = (
        select(herbs.c.code, herbs.c.name_zh)
        .where(
            herbs.c.code.startswith(q.upper(), autoescape=True)
            | herbs.c.name_zh.contains(q, autoescape=True)
        )
        .order_by(herbs.c.code)
        .limit(limit)
    )
    return [(r.code, r.name_zh) for r in (await conn.execute(stmt)).all()]
