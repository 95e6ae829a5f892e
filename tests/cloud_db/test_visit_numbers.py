"""看診號: increments per (day, doctor, session) and stays unique under concurrent registrations."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from cloud_helpers import Seeded, make_card
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.errors import Conflict
from cloud_plane.services import register, upsert_from_card
from cloud_plane.services.actor import Actor
from cloud_plane.services.models import Session

# 2026-03-02 21:30 Taipei = 13:30 UTC: an evening session on a day no other test uses.
EVENING = datetime(2026, 3, 2, 13, 30, tzinfo=UTC)


async def test_numbers_increment_and_sessions_count_separately(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    front, doctor = actors["west.frontdesk"], actors["west.doctor2"]
    doc = int(doctor.staff_id or 0)
    async with engine.begin() as conn:
        pats = [await upsert_from_card(conn, front, make_card()) for _ in range(4)]
        at = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)  # 09:00 Taipei → morning
        a = await register(conn, front, pats[0].id, doctor_id=doc, department="01", now=at)
        b = await register(conn, front, pats[1].id, doctor_id=doc, department="01", now=at)
        c = await register(conn, front, pats[2].id, doctor_id=doc, department="01", now=at,
                           session=Session.AFTERNOON)  # fmt: skip
        with pytest.raises(Conflict):  # still waiting for the same doctor today
            await register(conn, front, pats[0].id, doctor_id=doc, department="01", now=at)
    assert (a.session, b.session, c.session) == (
        Session.MORNING,
        Session.MORNING,
        Session.AFTERNOON,
    )
    assert b.visit_no == a.visit_no + 1
    assert c.visit_no == 1


async def test_concurrent_registrations_get_distinct_numbers(
    seeded: Seeded, actors: dict[str, Actor]
) -> None:
    from cloud_plane.db.engine import create_engine

    url = seeded.url
    front, doctor = actors["west.frontdesk"], actors["west.doctor2"]
    doc = int(doctor.staff_id or 0)
    engines = [create_engine(url) for _ in range(4)]
    try:
        async with engines[0].begin() as conn:
            pats = [await upsert_from_card(conn, front, make_card()) for _ in range(16)]

        async def one(i: int) -> int:
            async with engines[i % len(engines)].begin() as conn:
                v = await register(
                    conn, front, pats[i].id, doctor_id=doc, department="01", now=EVENING
                )
                await asyncio.sleep(0)  # let the others run while this transaction is open
                return v.visit_no

        numbers = await asyncio.gather(*(one(i) for i in range(len(pats))))
    finally:
        for e in engines:
            await e.dispose()
    assert len(set(numbers)) == len(numbers)
    assert sorted(numbers) == list(range(min(numbers), min(numbers) + len(numbers)))


async def test_same_card_twice_at_once_gives_one_patient_and_one_visit(seeded: Seeded) -> None:
    from sqlalchemy import func, select

    from cloud_plane.db.engine import create_engine
    from cloud_plane.db.tables_clinic import patients
    from cloud_plane.services import register_from_card

    card = make_card("同時插卡")
    engines = [create_engine(seeded.url) for _ in range(3)]
    try:

        async def check_in(i: int) -> int:
            async with engines[i].begin() as conn:
                v = await register_from_card(conn, "demo-west", "box-demo-1", card)
                await asyncio.sleep(0)
                return v.id

        visit_ids = await asyncio.gather(*(check_in(i) for i in range(len(engines))))
        async with engines[0].connect() as conn:
            n = (
                await conn.execute(select(func.count()).where(patients.c.national_id == card.id_no))
            ).scalar_one()
    finally:
        for e in engines:
            await e.dispose()
    assert n == 1
    assert len(set(visit_ids)) == 1
