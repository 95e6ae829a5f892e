"""日結: the day's takings by the counter, reconciled against the cash counted in the drawer.

Expected cash is what settled bills of the day asked for (``amount_due``: the change given back
is not in the drawer). Visits still waiting to be billed are listed so nobody closes the day
with a patient unbilled by mistake; closing with them is allowed (they are counted tomorrow when
settled, by their visit day) but the report shows them. A day is closed once (``Conflict``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict, ValidationFailed
from cloud_plane.db.tables_clinic import bills, patients, visits
from cloud_plane.db.tables_frontdesk import closeouts
from cloud_plane.services import audit
from cloud_plane.services.actor import Actor, Role, require_role
from cloud_plane.services.clock import utc_now
from cloud_plane.services.models import VisitStatus

_ROLES = (Role.FRONT_DESK, Role.CLINIC_ADMIN)
#: A counted amount beyond this is a typing mistake, not a drawer (元).
MAX_CASH = 10_000_000


class DayTotals(BaseModel):
    model_config = ConfigDict(frozen=True)
    day: date
    visits: int  # settled visits
    registration_fees: int
    copay: int
    self_pay: int
    expected_cash: int
    cancelled: int
    unbilled: list[tuple[int, int, str]]  # (visit id, 看診號, patient name)


class Closeout(BaseModel):
    model_config = ConfigDict(frozen=True)
    day: date
    totals: DayTotals
    counted_cash: int
    difference: int
    note: str
    closed_at: datetime


async def day_totals(conn: AsyncConnection, actor: Actor, day: date) -> DayTotals:
    require_role(actor, *_ROLES)
    settled = (
        await conn.execute(
            select(
                func.count(bills.c.id),
                func.coalesce(func.sum(bills.c.registration_fee), 0),
                func.coalesce(func.sum(bills.c.copay), 0),
                func.coalesce(func.sum(bills.c.self_pay_total), 0),
                func.coalesce(func.sum(bills.c.amount_due), 0),
            )
            .join(visits, visits.c.id == bills.c.visit_id)
            .where(
                bills.c.tenant_id == actor.tenant_id,
                visits.c.visit_date == day,
                bills.c.settled_at.is_not(None),
            )
        )
    ).one()
    cancelled = (
        await conn.execute(
            select(func.count(visits.c.id)).where(
                visits.c.tenant_id == actor.tenant_id,
                visits.c.visit_date == day,
                visits.c.status == VisitStatus.CANCELLED.value,
            )
        )
    ).scalar_one()
    open_statuses = [
        s.value for s in (VisitStatus.REGISTERED, VisitStatus.IN_CONSULTATION, VisitStatus.TO_BILL)
    ]
    unbilled = (
        await conn.execute(
            select(visits.c.id, visits.c.visit_no, patients.c.name)
            .join(patients, patients.c.id == visits.c.patient_id)
            .where(
                visits.c.tenant_id == actor.tenant_id,
                visits.c.visit_date == day,
                visits.c.status.in_(open_statuses),
            )
            .order_by(visits.c.id)
        )
    ).all()
    return DayTotals(
        day=day, visits=int(settled[0]), registration_fees=int(settled[1]),
        copay=int(settled[2]), self_pay=int(settled[3]), expected_cash=int(settled[4]),
        cancelled=int(cancelled), unbilled=[(r.id, r.visit_no, r.name) for r in unbilled],
    )  # fmt: skip


def _closeout(r: Any, totals: DayTotals) -> Closeout:
    return Closeout(
        day=r.day, totals=totals, counted_cash=r.counted_cash, difference=r.difference,
        note=r.note, closed_at=r.closed_at,
    )  # fmt: skip


async def get_closeout(conn: AsyncConnection, actor: Actor, day: date) -> Closeout | None:
    """The day's close-out, with the totals as stored when it was closed."""
    require_role(actor, *_ROLES)
    r = (
        await conn.execute(
            select(closeouts).where(
                closeouts.c.tenant_id == actor.tenant_id, closeouts.c.day == day
            )
        )
    ).first()
    if r is None:
        return None
    live = await day_totals(conn, actor, day)
    stored = live.model_copy(
        update={
            "visits": r.visits, "registration_fees": r.registration_fees, "copay": r.copay,
            "self_pay": r.self_pay, "expected_cash": r.expected_cash,
        }
    )  # fmt: skip
    return _closeout(r, stored)


async def close_day(
    conn: AsyncConnection, actor: Actor, day: date, counted_cash: int, note: str = "",
    *, now: datetime | None = None,
) -> Closeout:  # fmt: skip
    """Record the day's close-out with the cash counted in the drawer."""
    require_role(actor, *_ROLES)
    if not 0 <= counted_cash <= MAX_CASH:
        raise ValidationFailed("error.closeout.bad_cash", field="counted_cash")
    if await get_closeout(conn, actor, day) is not None:
        raise Conflict("error.closeout.already_closed", day=day.isoformat())
    totals = await day_totals(conn, actor, day)
    now = now or utc_now()
    row = (
        await conn.execute(
            closeouts.insert()
            .values(
                tenant_id=actor.tenant_id, day=day, visits=totals.visits,
                registration_fees=totals.registration_fees, copay=totals.copay,
                self_pay=totals.self_pay, expected_cash=totals.expected_cash,
                counted_cash=counted_cash, difference=counted_cash - totals.expected_cash,
                note=note.strip()[:500], closed_by=actor.staff_id, closed_at=now,
            )
            .returning(*closeouts.c)
        )
    ).one()  # fmt: skip
    await audit.record(conn, actor, "create", "closeout", row.id, patient_id=None,
                       day=day.isoformat(), difference=row.difference)  # fmt: skip
    return _closeout(row, totals)
