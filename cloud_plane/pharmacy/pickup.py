"""慢箋 pick-up booking: a patient (verified like online booking, :mod:`cloud_plane.booking.
identity`) books a slot of the pharmacy's opening hours to collect the next fill of a slip.

The day must lie in the fill's refill window (the pure rule
:func:`clinicbox_core.pharmacy.refill.check_refill_date`, so the refusal cites 全民健康保險
醫療辦法第24條); the slot must be one of the pharmacy's opening periods with room left
(:func:`clinicbox_core.pharmacy.pickup.check_slot`). One active booking per slip and fill. The
pharmacist sees the day's pick-ups to prepare the drugs.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict, NotFound, ValidationFailed
from clinicbox_core.pharmacy.pickup import OpeningPeriod, bookable_days, check_slot
from clinicbox_core.pharmacy.refill import RefillWindow, RefillWindowError, check_refill_date
from cloud_plane.booking.identity import Identity
from cloud_plane.db.tables_pharmacy import pharmacy_hours, pickup_bookings
from cloud_plane.pharmacy.models import Rx, next_window
from cloud_plane.pharmacy.queries import rx_of_national_id
from cloud_plane.services.actor import Actor, Role, require_role
from cloud_plane.services.clock import TAIPEI

#: How far ahead a pick-up may be booked (days, today included).
PICKUP_DAYS = 14


class Pickup(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    rx_id: int
    fill_no: int
    day: date
    at: str
    name: str
    national_id: str
    status: str


class OpenRefill(BaseModel):
    """A slip with a next fill still to collect: its window, the days left to choose, a booking."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    rx: Rx
    window: RefillWindow
    days: list[date]
    booking: Pickup | None


def _pickup(r: Any) -> Pickup:
    return Pickup(
        id=r.id, rx_id=r.rx_id, fill_no=r.fill_no, day=r.day, at=r.at, name=r.name,
        national_id=r.national_id, status=r.status,
    )  # fmt: skip


def _clock(text: str) -> time:
    return time.fromisoformat(text)


async def opening_periods(conn: AsyncConnection, tenant_id: int) -> list[OpeningPeriod]:
    rows = (
        await conn.execute(
            select(pharmacy_hours)
            .where(pharmacy_hours.c.tenant_id == tenant_id)
            .order_by(pharmacy_hours.c.weekday, pharmacy_hours.c.opens)
        )
    ).all()
    return [
        OpeningPeriod(r.weekday, _clock(r.opens), _clock(r.closes), r.slot_minutes, r.slot_limit)
        for r in rows
    ]


async def _active(conn: AsyncConnection, tenant_id: int, rx_id: int, fill_no: int) -> Pickup | None:
    r = (
        await conn.execute(
            select(pickup_bookings).where(
                pickup_bookings.c.tenant_id == tenant_id,
                pickup_bookings.c.rx_id == rx_id,
                pickup_bookings.c.fill_no == fill_no,
                pickup_bookings.c.status == "booked",
            )
        )
    ).first()
    return None if r is None else _pickup(r)


async def open_refills(conn: AsyncConnection, who: Identity, today: date) -> list[OpenRefill]:
    """The patient's 慢箋 at this pharmacy whose next fill's window has not closed."""
    found: list[OpenRefill] = []
    for rx in await rx_of_national_id(conn, who.tenant_id, who.national_id):
        window = next_window(rx) if rx.chronic else None
        if window is None or window.closes < today:
            continue
        booking = await _active(conn, who.tenant_id, rx.id, window.fill_no)
        days = bookable_days(window, today, PICKUP_DAYS)
        found.append(OpenRefill(rx=rx, window=window, days=days, booking=booking))
    return found


async def _own_refill(conn: AsyncConnection, who: Identity, rx_id: int) -> tuple[Rx, RefillWindow]:
    for rx in await rx_of_national_id(conn, who.tenant_id, who.national_id):
        if rx.id == rx_id and rx.chronic and (window := next_window(rx)) is not None:
            return rx, window
    raise NotFound("error.pickup.no_refill", id=rx_id)


async def book_pickup(
    conn: AsyncConnection, who: Identity, *, rx_id: int, day: date, at: time, now: datetime
) -> Pickup:
    """Book slot ``at`` on ``day`` to collect the next fill of the patient's slip ``rx_id``."""
    rx, window = await _own_refill(conn, who, rx_id)
    try:
        check_refill_date(rx.fills[-1].dispensed_on, rx.days, window.fill_no, day, field="day")
    except RefillWindowError as err:  # the same rule, worded for booking
        raise RefillWindowError(f"error.pickup.{err.params['reason']}", **err.params) from err
    local = now.astimezone(TAIPEI)
    if (day, at) <= (local.date(), local.time()):
        raise ValidationFailed("error.pickup.past", field="at")
    if day not in bookable_days(window, local.date(), PICKUP_DAYS):
        raise ValidationFailed("error.pickup.too_far", field="day", days=PICKUP_DAYS)
    if await _active(conn, who.tenant_id, rx_id, window.fill_no) is not None:
        raise Conflict("error.pickup.already_booked", field="day")
    slot_text = f"{at:%H:%M}"
    booked = (
        await conn.execute(
            select(func.count()).where(
                pickup_bookings.c.tenant_id == who.tenant_id,
                pickup_bookings.c.day == day,
                pickup_bookings.c.at == slot_text,
                pickup_bookings.c.status == "booked",
            )
        )
    ).scalar_one()
    check_slot(await opening_periods(conn, who.tenant_id), day, at, booked)
    new_id = (
        await conn.execute(
            pickup_bookings.insert()
            .values(
                tenant_id=who.tenant_id, rx_id=rx_id, fill_no=window.fill_no, day=day,
                at=slot_text, national_id=who.national_id, name=rx.patient_name,
                channel=who.channel, contact=who.contact, status="booked", created_at=now,
            )
            .returning(pickup_bookings.c.id)
        )
    ).scalar_one()  # fmt: skip
    return await _get(conn, who.tenant_id, new_id)


async def _get(conn: AsyncConnection, tenant_id: int, pickup_id: int) -> Pickup:
    r = (
        await conn.execute(
            select(pickup_bookings).where(
                pickup_bookings.c.id == pickup_id, pickup_bookings.c.tenant_id == tenant_id
            )
        )
    ).first()
    if r is None:
        raise NotFound("error.pickup.not_found", id=pickup_id)
    return _pickup(r)


async def cancel_pickup(
    conn: AsyncConnection, who: Identity, pickup_id: int, now: datetime
) -> None:
    """The patient cancels their own booked pick-up."""
    p = await _get(conn, who.tenant_id, pickup_id)
    if p.national_id != who.national_id:
        raise NotFound("error.pickup.not_found", id=pickup_id)
    if p.status != "booked":
        raise Conflict("error.pickup.not_cancellable")
    await conn.execute(
        update(pickup_bookings)
        .where(pickup_bookings.c.id == pickup_id)
        .values(status="cancelled", cancelled_at=now)
    )


async def day_pickups(conn: AsyncConnection, actor: Actor, day: date) -> list[Pickup]:
    """The pharmacist's list of the day's booked pick-ups, by time, to prepare the drugs."""
    require_role(actor, Role.PHARMACIST, Role.CLINIC_ADMIN)
    rows = (
        await conn.execute(
            select(pickup_bookings)
            .where(
                pickup_bookings.c.tenant_id == actor.tenant_id,
                pickup_bookings.c.day == day,
                pickup_bookings.c.status == "booked",
            )
            .order_by(pickup_bookings.c.at, pickup_bookings.c.id)
        )
    ).all()
    return [_pickup(r) for r in rows]
