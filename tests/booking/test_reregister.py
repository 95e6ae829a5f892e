"""退掛 and 改掛 with the NHI 就醫序號: a card-obtained 序號 must be returned after 退掛, and moves
to the new visit on 改掛 (counted once, one IC record for the visit that happened)."""

from __future__ import annotations

from datetime import date

import pytest
from booking_helpers import new_id, tenant_id
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.errors import Conflict
from cloud_plane.db.tables_clinic import staff
from cloud_plane.frontdesk.reregister import cancel, reregister, seq_returns_due
from cloud_plane.services.actor import Actor, Role
from cloud_plane.services.models import PatientInput, VisitStatus
from cloud_plane.services.patients import create_patient
from cloud_plane.services.registration import register


async def _doctor(engine: AsyncEngine, tid: int, username: str) -> int:
    async with engine.connect() as conn:
        stmt = select(staff.c.id).where(staff.c.tenant_id == tid, staff.c.username == username)
        return int((await conn.execute(stmt)).scalar_one())


async def test_cancel_with_a_card_sequence_leaves_it_to_return(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        tid = await tenant_id(conn)
        desk = Actor(tenant_id=tid, staff_id=None, roles=frozenset({Role.FRONT_DESK}))
        data = PatientInput(
            name="退掛者", sex="M", birth_date=date(1960, 1, 1), national_id=new_id("M")
        )
        p = await create_patient(conn, desk, data)
    doctor = await _doctor(engine, tid, "doctor1")
    async with engine.begin() as conn:
        v = await register(conn, desk, p.id, doctor_id=doctor, department="01", nhi_seq="0007")
        cancelled, record = await cancel(conn, desk, v.id)
        assert cancelled.status == VisitStatus.CANCELLED
        assert (record.seq_action, record.nhi_seq) == ("return_due", "0007")
        assert (await seq_returns_due(conn, desk))[v.id] == "0007"
        with pytest.raises(Conflict):
            await cancel(conn, desk, v.id)


async def test_reregister_moves_the_sequence_to_the_new_visit(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        tid = await tenant_id(conn)
    first, second = await _doctor(engine, tid, "doctor1"), await _doctor(engine, tid, "doctor2")
    async with engine.begin() as conn:
        desk = Actor(tenant_id=tid, staff_id=None, roles=frozenset({Role.FRONT_DESK}))
        data = PatientInput(
            name="改掛者", sex="F", birth_date=date(1970, 2, 2), national_id=new_id("F")
        )
        p = await create_patient(conn, desk, data)
        v = await register(conn, desk, p.id, doctor_id=first, department="01", nhi_seq="0008")
        old, new, record = await reregister(
            conn, desk, v.id, doctor_id=second, session=None, department="02"
        )
        assert old.status == VisitStatus.CANCELLED and new.status == VisitStatus.REGISTERED
        assert (new.nhi_seq, new.doctor_id, new.department) == ("0008", second, "02")
        assert (record.seq_action, record.new_visit_id) == ("moved", new.id)
        assert v.id not in await seq_returns_due(conn, desk)
