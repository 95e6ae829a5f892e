"""Audit rows for every patient read/change, in the same transaction; roles enforced."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from cloud_helpers import first_demo_drug, make_card
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox_core.errors import Forbidden
from cloud_plane.db.tables_clinic import audit_log
from cloud_plane.services import (
    add_diagnosis,
    add_drug_order,
    add_procedure_order,
    audit_trail,
    cancel_visit,
    compute_bill,
    create_patient,
    create_print_job,
    finish_consultation,
    get_patient,
    get_visit_detail,
    list_print_jobs,
    mark_dispensed,
    queue,
    register,
    register_from_card,
    remove_diagnosis,
    remove_order,
    search_patients,
    set_chief_complaint,
    settle,
    start_consultation,
    upsert_from_card,
)
from cloud_plane.services.actor import Actor
from cloud_plane.services.models import PatientInput


async def _audit_rows(conn: AsyncConnection, patient_id: int) -> list[tuple[str, str, Any]]:
    rows = (
        await conn.execute(
            select(audit_log.c.action, audit_log.c.entity, audit_log.c.staff_id)
            .where(audit_log.c.patient_id == patient_id)
            .order_by(audit_log.c.id)
        )
    ).all()
    return [(r.action, r.entity, r.staff_id) for r in rows]


async def test_every_patient_read_and_change_is_audited(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    front, doctor, pharm = (
        actors["west.frontdesk"],
        actors["west.doctor1"],
        actors["west.pharmacist"],
    )
    steps: list[tuple[str, str, int | None]] = []
    async with engine.begin() as conn:
        p = await upsert_from_card(conn, front, make_card("稽核病人"))
        steps.append(("create", "patient", front.staff_id))
        await get_patient(conn, front, p.id)
        steps.append(("read", "patient", front.staff_id))
        assert [x.id for x in await search_patients(conn, front, "稽核病人")] == [p.id]
        steps.append(("read", "patient", front.staff_id))
        v = await register(conn, front, p.id, doctor_id=int(doctor.staff_id or 0), department="02")
        steps.append(("create", "visit", front.staff_id))
        await queue(conn, front, v.visit_date)
        steps.append(("read", "visit", front.staff_id))
        await start_consultation(conn, doctor, v.id)
        steps.append(("update", "visit", doctor.staff_id))
        await get_visit_detail(conn, doctor, v.id)
        steps.append(("read", "visit", doctor.staff_id))
        await set_chief_complaint(conn, doctor, v.id, "咳嗽")
        steps.append(("update", "visit", doctor.staff_id))
        d = await add_diagnosis(conn, doctor, v.id, "R05.9")
        steps.append(("create", "diagnosis", doctor.staff_id))
        await add_diagnosis(conn, doctor, v.id, "J20.9")
        steps.append(("create", "diagnosis", doctor.staff_id))
        await remove_diagnosis(conn, doctor, v.id, d.diagnoses[0].id)
        steps.append(("delete", "diagnosis", doctor.staff_id))
        d = await add_procedure_order(conn, doctor, v.id, "47041C")
        steps.append(("create", "order", doctor.staff_id))
        await remove_order(conn, doctor, v.id, d.orders[0].id)
        steps.append(("delete", "order", doctor.staff_id))
        drug = await first_demo_drug(conn, "ambroxol")
        await add_drug_order(
            conn, doctor, v.id, drug_code=drug, dose=Decimal(1), frequency="TID", route="PO", days=2
        )
        steps.append(("create", "order", doctor.staff_id))
        await finish_consultation(conn, doctor, v.id)
        steps.append(("update", "visit", doctor.staff_id))
        await compute_bill(conn, front, v.id)
        steps.append(("create", "bill", front.staff_id))
        await settle(conn, front, v.id, 200)
        steps.append(("update", "bill", front.staff_id))
        await create_print_job(conn, pharm, v.id, "drugbag")
        steps.append(("create", "print_job", pharm.staff_id))
        await list_print_jobs(conn, pharm, v.id)
        steps.append(("read", "print_job", pharm.staff_id))
        await mark_dispensed(conn, pharm, v.id)
        steps.append(("update", "visit", pharm.staff_id))
        assert await _audit_rows(conn, p.id) == steps
        trail = await audit_trail(conn, actors["west.admin"], p.id)
        assert [(t.action, t.entity) for t in reversed(trail)] == [(a, e) for a, e, _ in steps]


async def test_audit_rolls_back_with_the_read(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    front = actors["west.frontdesk"]
    async with engine.begin() as conn:
        p = await upsert_from_card(conn, front, make_card())
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            await get_patient(conn, front, p.id)
            raise RuntimeError("request failed after the read")
    async with engine.connect() as conn:
        assert [a for a, _, _ in await _audit_rows(conn, p.id)] == ["create"]


async def test_roles(engine: AsyncEngine, actors: dict[str, Actor]) -> None:
    front, doctor = actors["west.frontdesk"], actors["west.doctor1"]
    pharm, admin = actors["west.pharmacist"], actors["west.admin"]
    async with engine.begin() as conn:
        p = await upsert_from_card(conn, front, make_card())
        v = await register(conn, front, p.id, doctor_id=int(doctor.staff_id or 0), department="01")
    refused: list[Callable[[AsyncConnection], Awaitable[Any]]] = [
        lambda c: register(c, pharm, p.id, doctor_id=int(doctor.staff_id or 0), department="01"),
        lambda c: create_patient(
            c, pharm, PatientInput(name="x", sex="M", birth_date=date(2000, 1, 1))
        ),
        lambda c: start_consultation(c, front, v.id),
        lambda c: add_diagnosis(c, front, v.id, "J00"),
        lambda c: add_procedure_order(c, pharm, v.id, "47041C"),
        lambda c: finish_consultation(c, front, v.id),
        lambda c: compute_bill(c, doctor, v.id),
        lambda c: settle(c, pharm, v.id, 100),
        lambda c: mark_dispensed(c, front, v.id),
        lambda c: cancel_visit(c, doctor, v.id),
        lambda c: audit_trail(c, front, p.id),
        lambda c: audit_trail(c, doctor, p.id),
        lambda c: create_print_job(c, doctor, v.id, "slip"),
    ]
    for call in refused:
        with pytest.raises(Forbidden):
            async with engine.begin() as conn:
                await call(conn)
    async with engine.begin() as conn:  # the allowed ones still work
        assert (await cancel_visit(conn, front, v.id)).status.value == "cancelled"
        assert await audit_trail(conn, admin, p.id)


async def test_card_check_in_is_audited_as_the_box_and_updates_the_patient(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    card = make_card("舊名字", "F", date(1999, 9, 9))
    async with engine.begin() as conn:
        first = await register_from_card(conn, "demo-west", "box-demo-1", card)
        await cancel_visit(conn, actors["west.frontdesk"], first.id)
    renamed = card.model_copy(update={"name": "新名字", "card_no": "800000000001"})
    async with engine.begin() as conn:
        second = await register_from_card(conn, "demo-west", "box-demo-1", renamed)
        assert second.id != first.id and second.patient_id == first.patient_id
        p = await get_patient(conn, actors["west.frontdesk"], first.patient_id)
        assert (p.name, p.nhi_card_no) == ("新名字", "800000000001")
        rows = (
            await conn.execute(
                select(audit_log.c.action, audit_log.c.entity, audit_log.c.staff_id,
                       audit_log.c.box_id)
                .where(audit_log.c.patient_id == first.patient_id)
                .order_by(audit_log.c.id)
            )
        ).all()  # fmt: skip
    by_box = [(r.action, r.entity) for r in rows if r.box_id == "box-demo-1"]
    assert all(r.staff_id is None for r in rows if r.box_id == "box-demo-1")
    assert by_box == [
        ("create", "patient"), ("create", "visit"), ("update", "patient"), ("create", "visit")
    ]  # fmt: skip


async def test_reopen_drops_the_unpaid_bill(engine: AsyncEngine, actors: dict[str, Actor]) -> None:
    front, doctor = actors["west.frontdesk"], actors["west.doctor1"]
    async with engine.begin() as conn:
        v = await register_from_card(conn, "demo-west", "box-demo-1", make_card())
        await start_consultation(conn, doctor, v.id)
        await add_diagnosis(conn, doctor, v.id, "J00")
        await finish_consultation(conn, doctor, v.id)
        first = await compute_bill(conn, front, v.id)
        await start_consultation(conn, doctor, v.id)  # the doctor reopens before payment
        drug = await first_demo_drug(conn, "cephalexin")
        await add_drug_order(
            conn, doctor, v.id, drug_code=drug, dose=Decimal(2), frequency="QID", route="PO", days=7
        )
        await finish_consultation(conn, doctor, v.id)
        paid = await settle(conn, front, v.id, 1000)
    assert paid.nhi_points > first.nhi_points
    assert paid.copay_drug > 0 and paid.copay_code == "D20"
    assert paid.amount_due == 150 + 50 + paid.copay_drug
