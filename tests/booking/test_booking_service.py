"""Booking on a real database: numbers and estimated times, per-session limits, one booking per
patient and session, cancelling, one-time codes, no-show tracking and check-in at the desk."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from booking_helpers import new_id, private_session, tenant_id, verified
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.errors import Conflict, ValidationFailed
from cloud_plane.booking.identity import MAX_ATTEMPTS, request_code, verify_code
from cloud_plane.booking.service import (
    NO_SHOW_LIMIT,
    book,
    cancel_booking,
    check_in,
    mark_no_shows,
    my_bookings,
)
from cloud_plane.booking.slots import slot
from cloud_plane.services.actor import Actor, Role
from cloud_plane.services.clock import TAIPEI
from cloud_plane.services.models import PatientInput
from cloud_plane.services.patients import create_patient


def taipei(days_ahead: int, hour: int, minute: int = 0) -> datetime:
    """A Taipei instant ``days_ahead`` days after today (far enough to stay clear of others)."""
    base = datetime.now(TAIPEI).date() + timedelta(days=days_ahead)
    return datetime.combine(base, time(hour, minute), TAIPEI)


async def test_numbers_times_and_the_session_limit(engine: AsyncEngine) -> None:
    now = taipei(300, 7)
    day = now.date() + timedelta(days=1)
    async with engine.begin() as conn:
        tid = await tenant_id(conn)
        sid = await private_session(conn, tid, day, limit=2, starts="18:00", ends="21:00", pace=7)
        first = await book(conn, await verified(conn, tid, now), session_id=sid, day=day, now=now)
        second = await book(conn, await verified(conn, tid, now), session_id=sid, day=day, now=now)
        assert (first.number, second.number) == (1, 2)
        assert first.expected_at.astimezone(TAIPEI).strftime("%H:%M") == "18:00"
        assert second.expected_at.astimezone(TAIPEI).strftime("%H:%M") == "18:07"
        third = await verified(conn, tid, now)
        with pytest.raises(Conflict) as err:
            await book(conn, third, session_id=sid, day=day, now=now)
        assert err.value.message_key == "error.booking.full"
        assert err.value.params["field"] == "slot"
        assert (await slot(conn, tid, sid, day)).full


async def test_one_booking_per_patient_and_session_and_cancel(engine: AsyncEngine) -> None:
    now = taipei(310, 7)
    day = now.date() + timedelta(days=2)
    async with engine.begin() as conn:
        tid = await tenant_id(conn)
        sid = await private_session(conn, tid, day, limit=5)
        who = await verified(conn, tid, now)
        b = await book(conn, who, session_id=sid, day=day, now=now)
        with pytest.raises(Conflict, match="already_booked"):
            await book(conn, who, session_id=sid, day=day, now=now)
        cancelled = await cancel_booking(conn, who, b.id, now)
        assert cancelled.status == "cancelled"
        assert (await slot(conn, tid, sid, day)).booked == 0
        with pytest.raises(Conflict, match="not_cancellable"):
            await cancel_booking(conn, who, b.id, now)
        # someone else cannot cancel it: it is not theirs
        again = await book(conn, who, session_id=sid, day=day, now=now)
        other = await verified(conn, tid, now)
        with pytest.raises(Exception, match="not_found"):
            await cancel_booking(conn, other, again.id, now)
        assert [x.id for x in await my_bookings(conn, who, now.date())] == [b.id, again.id]


async def test_one_time_code_rules(engine: AsyncEngine) -> None:
    now = taipei(320, 9)
    async with engine.begin() as conn:
        tid = await tenant_id(conn)
        with pytest.raises(ValidationFailed) as err:
            await request_code(
                conn, tid, national_id=new_id(), birth_date=now.date().replace(year=1990),
                name="某人", channel="email", contact="not-an-address", now=now,
            )  # fmt: skip
        assert err.value.params["field"] == "contact"
        with pytest.raises(ValidationFailed) as err:
            await request_code(
                conn, tid, national_id="A123456788", birth_date=now.date().replace(year=1990),
                name="某人", channel="email", contact="a@example.com", now=now,
            )  # fmt: skip
        assert err.value.params["field"] == "national_id"
        who, code, token = await request_code(
            conn, tid, national_id=new_id(), birth_date=now.date().replace(year=1990),
            name="某人", channel="sms", contact="0912-345-678", now=now,
        )  # fmt: skip
        assert who.contact == "0912345678"
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(MAX_ATTEMPTS):
            with pytest.raises(ValidationFailed, match="wrong_code"):
                await verify_code(conn, token, wrong, now)
        with pytest.raises(ValidationFailed, match="code_locked"):
            await verify_code(conn, token, code, now)  # even the right code, once locked
        _, code2, token2 = await request_code(
            conn, tid, national_id=new_id(), birth_date=now.date().replace(year=1990),
            name="某人", channel="email", contact="b@example.com", now=now,
        )  # fmt: skip
        with pytest.raises(ValidationFailed, match="code_expired"):
            await verify_code(conn, token2, code2, now + timedelta(minutes=11))


async def test_birthday_must_match_a_known_patient(engine: AsyncEngine) -> None:
    now = taipei(330, 9)
    async with engine.begin() as conn:
        tid = await tenant_id(conn)
        desk = Actor(tenant_id=tid, staff_id=None, roles=frozenset({Role.FRONT_DESK}))
        known = await create_patient(
            conn, desk,
            PatientInput(name="已建檔", sex="F", birth_date=date(1970, 5, 6), national_id=new_id()),
        )  # fmt: skip
        with pytest.raises(ValidationFailed) as err:
            await request_code(
                conn, tid, national_id=known.national_id,
                birth_date=known.birth_date + timedelta(days=1), name="某人", channel="email",
                contact="c@example.com", now=now,
            )  # fmt: skip
        assert err.value.params["field"] == "birth_date"


async def test_no_shows_block_online_booking_and_check_in(engine: AsyncEngine) -> None:
    now = taipei(340, 7)
    national_id = new_id()
    async with engine.begin() as conn:
        tid = await tenant_id(conn)
        who = await verified(conn, tid, now, national_id=national_id)
        for offset in range(NO_SHOW_LIMIT):
            day = now.date() + timedelta(days=offset)
            sid = await private_session(conn, tid, day, limit=5, starts="08:00", ends="09:00")
            await book(conn, who, session_id=sid, day=day, now=now)
        later = now + timedelta(days=NO_SHOW_LIMIT)
        assert await mark_no_shows(conn, later) >= NO_SHOW_LIMIT
        assert {b.status for b in await my_bookings(conn, who, now.date())} == {"no_show"}
        day = later.date() + timedelta(days=1)
        sid = await private_session(conn, tid, day, limit=5)
        who = await verified(conn, tid, later, national_id=national_id)
        with pytest.raises(Conflict, match="no_show_blocked"):
            await book(conn, who, session_id=sid, day=day, now=later)

        # Someone else books and checks in at the desk: the visit gets the booked number.
        other = await verified(conn, tid, later)
        b = await book(conn, other, session_id=sid, day=day, now=later)
        desk = Actor(tenant_id=tid, staff_id=None, roles=frozenset({Role.FRONT_DESK}))
        at = datetime.combine(day, time(9), TAIPEI)
        visit = await check_in(conn, desk, b.id, now=at)
        assert visit.visit_no == b.number and visit.doctor_id == b.doctor_id
        with pytest.raises(Conflict, match="not_bookable_status"):
            await check_in(conn, desk, b.id, now=at)
