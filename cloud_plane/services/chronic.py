"""慢性病連續處方箋 on a visit: the doctor marks the visit's prescription as a refill slip
(可調劑次數 and 每次給藥日份, checked by :mod:`clinicbox_core.nhi.chronic_slip`), or takes it
back. Finishing then claims 案件分類 04/24 and the ≥28-day 診察費 column."""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.chronic_slip import ChronicSlip, check_chronic_slip
from cloud_plane.db.tables_clinic import visits
from cloud_plane.services import audit
from cloud_plane.services.actor import Actor
from cloud_plane.services.clock import utc_now
from cloud_plane.services.consultation import _doctor_context
from cloud_plane.services.models import Order, VisitDetail
from cloud_plane.services.visit_context import detail, items

__all__ = ["check_slip_drug_days", "clear_chronic_slip", "set_chronic_slip"]

_SET = update(visits).where(visits.c.id == bindparam("visit_id"))


def check_slip_drug_days(slip_days: int, drug_orders: list[Order]) -> None:
    """Every NHI drug of a refill slip is given for the slip's days per fill."""
    for o in drug_orders:
        if o.kind == "drug" and not o.self_pay and o.days is not None and o.days != slip_days:
            raise ValidationFailed(
                "error.chronic.drug_days_mismatch",
                field="days_per_fill",
                code=o.code,
                days=o.days,
                slip_days=slip_days,
            )


async def set_chronic_slip(
    conn: AsyncConnection, actor: Actor, visit_id: int, *, fills: int, days_per_fill: int
) -> tuple[VisitDetail, ChronicSlip]:
    ctx = await _doctor_context(conn, actor, visit_id)
    slip = check_chronic_slip(ctx.visit_date, fills, days_per_fill)
    dx, ox = await items(conn, visit_id)
    now = utc_now()
    await conn.execute(
        _SET,
        {
            "visit_id": visit_id,
            "refill_fills": slip.fills,
            "refill_days": slip.days_per_fill,
            "updated_at": now,
        },
    )
    await audit.record(
        conn,
        actor,
        "update",
        "visit",
        visit_id,
        patient_id=ctx.patient_id,
        refill_fills=slip.fills,
        refill_days=slip.days_per_fill,
    )
    return detail(ctx, dx, ox, refill_fills=slip.fills, refill_days=slip.days_per_fill), slip


async def clear_chronic_slip(conn: AsyncConnection, actor: Actor, visit_id: int) -> VisitDetail:
    ctx = await _doctor_context(conn, actor, visit_id)
    dx, ox = await items(conn, visit_id)
    await conn.execute(
        _SET,
        {"visit_id": visit_id, "refill_fills": None, "refill_days": None, "updated_at": utc_now()},
    )
    await audit.record(
        conn, actor, "update", "visit", visit_id, patient_id=ctx.patient_id, refill_fills=None
    )
    return detail(ctx, dx, ox, refill_fills=None, refill_days=None)
