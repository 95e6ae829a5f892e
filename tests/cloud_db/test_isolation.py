"""Tenant isolation: demo-west staff can neither read nor change any demo-east data through any
service function. Ids of the other tenant behave exactly like ids that do not exist (NotFound).

``test_every_service_function_is_covered`` fails when a new service function taking an actor is
added without an isolation case here.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from cloud_helpers import first_demo_drug, make_card
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import cloud_plane.services as services_pkg
from clinicbox_core.contracts.messages import PrintResult
from clinicbox_core.errors import NotFound
from cloud_plane.db.tables_clinic import audit_log, diagnoses, orders, patients, visits
from cloud_plane.services import (
    audit,
    auth,
    billing,
    consultation,
    dispensing,
    finish,
    printing,
    registration,
)
from cloud_plane.services import (
    orders as orders_svc,
)
from cloud_plane.services import (
    patients as patients_svc,
)
from cloud_plane.services.actor import Actor
from cloud_plane.services.models import PatientInput


@dataclass
class EastIds:
    patient_id: int
    visit_id: int
    diagnosis_id: int
    order_id: int
    staff_id: int
    job_id: Any
    card: Any
    drug_code: str


@pytest.fixture
async def east(engine: AsyncEngine, actors: dict[str, Actor]) -> EastIds:
    doctor, front, admin = actors["east.doctor1"], actors["east.frontdesk"], actors["east.admin"]
    card = make_card("東區病人", "F", date(1970, 1, 1))
    async with engine.begin() as conn:
        v = await registration.register_from_card(conn, "demo-east", "box-east-1", card)
        drug = await first_demo_drug(conn)
        await consultation.start_consultation(conn, doctor, v.id)
        await consultation.add_diagnosis(conn, doctor, v.id, "J00")
        d = await orders_svc.add_drug_order(
            conn, doctor, v.id, drug_code=drug, dose=Decimal(1), frequency="TID", route="PO", days=3
        )
        await finish.finish_consultation(conn, doctor, v.id)
        await billing.settle(conn, front, v.id, 1000)
        row, _ = await printing.create_print_job(conn, admin, v.id, "receipt")
    return EastIds(
        patient_id=v.patient_id,
        visit_id=v.id,
        diagnosis_id=d.diagnoses[0].id,
        order_id=d.orders[0].id,
        staff_id=int(doctor.staff_id or 0),
        job_id=row.job_id,
        card=card,
        drug_code=drug,
    )


Call = Callable[[AsyncConnection, dict[str, Actor], EastIds, int], Awaitable[Any]]

# name → (west actor, call). ``w`` is a west visit in consultation for the west doctor.
CASES: dict[str, tuple[str, Call]] = {
    "auth.get_staff": (
        "west.admin",
        lambda c, a, e, w: auth.get_staff(c, a["west.admin"], e.staff_id),
    ),
    "patients.get_patient": (
        "west.frontdesk",
        lambda c, a, e, w: patients_svc.get_patient(c, a["west.frontdesk"], e.patient_id),
    ),
    "registration.register": (
        "west.frontdesk",
        lambda c, a, e, w: registration.register(
            c,
            a["west.frontdesk"],
            e.patient_id,
            doctor_id=int(a["west.doctor1"].staff_id or 0),
            department="01",
        ),
    ),
    "registration.register[east doctor]": (
        "west.frontdesk",
        lambda c, a, e, w: _register_with_east_doctor(c, a, e),
    ),
    "registration.register_from_card[east box]": (
        "-",
        lambda c, a, e, w: registration.register_from_card(c, "demo-west", "box-east-1", e.card),
    ),
    "registration.cancel_visit": (
        "west.frontdesk",
        lambda c, a, e, w: registration.cancel_visit(c, a["west.frontdesk"], e.visit_id),
    ),
    "consultation.get_visit_detail": (
        "west.doctor1",
        lambda c, a, e, w: consultation.get_visit_detail(c, a["west.doctor1"], e.visit_id),
    ),
    "consultation.start_consultation": (
        "west.doctor1",
        lambda c, a, e, w: consultation.start_consultation(c, a["west.doctor1"], e.visit_id),
    ),
    "consultation.set_chief_complaint": (
        "west.doctor1",
        lambda c, a, e, w: consultation.set_chief_complaint(c, a["west.doctor1"], e.visit_id, "x"),
    ),
    "consultation.add_diagnosis": (
        "west.doctor1",
        lambda c, a, e, w: consultation.add_diagnosis(c, a["west.doctor1"], e.visit_id, "J01.90"),
    ),
    "consultation.remove_diagnosis": (
        "west.doctor1",
        lambda c, a, e, w: consultation.remove_diagnosis(
            c, a["west.doctor1"], e.visit_id, e.diagnosis_id
        ),
    ),
    "consultation.remove_diagnosis[east id on west visit]": (
        "west.doctor1",
        lambda c, a, e, w: consultation.remove_diagnosis(c, a["west.doctor1"], w, e.diagnosis_id),
    ),
    "orders.add_drug_order": (
        "west.doctor1",
        lambda c, a, e, w: orders_svc.add_drug_order(
            c,
            a["west.doctor1"],
            e.visit_id,
            drug_code=e.drug_code,
            dose=Decimal(1),
            frequency="QD",
            route="PO",
            days=1,
        ),
    ),
    "orders.add_procedure_order": (
        "west.doctor1",
        lambda c, a, e, w: orders_svc.add_procedure_order(
            c, a["west.doctor1"], e.visit_id, "00110C"
        ),
    ),
    "orders.remove_order": (
        "west.doctor1",
        lambda c, a, e, w: orders_svc.remove_order(c, a["west.doctor1"], e.visit_id, e.order_id),
    ),
    "orders.remove_order[east id on west visit]": (
        "west.doctor1",
        lambda c, a, e, w: orders_svc.remove_order(c, a["west.doctor1"], w, e.order_id),
    ),
    "finish.finish_consultation": (
        "west.doctor1",
        lambda c, a, e, w: finish.finish_consultation(c, a["west.doctor1"], e.visit_id),
    ),
    "billing.compute_bill": (
        "west.frontdesk",
        lambda c, a, e, w: billing.compute_bill(c, a["west.frontdesk"], e.visit_id),
    ),
    "billing.settle": (
        "west.frontdesk",
        lambda c, a, e, w: billing.settle(c, a["west.frontdesk"], e.visit_id, 9999),
    ),
    "dispensing.mark_dispensed": (
        "west.pharmacist",
        lambda c, a, e, w: dispensing.mark_dispensed(c, a["west.pharmacist"], e.visit_id),
    ),
    "printing.create_print_job": (
        "west.pharmacist",
        lambda c, a, e, w: printing.create_print_job(
            c, a["west.pharmacist"], e.visit_id, "drugbag"
        ),
    ),
    "printing.list_print_jobs": (
        "west.frontdesk",
        lambda c, a, e, w: printing.list_print_jobs(c, a["west.frontdesk"], e.visit_id),
    ),
    "printing.record_print_result": (
        "-",
        lambda c, a, e, w: printing.record_print_result(
            c, "demo-west", PrintResult(job_id=e.job_id, status="failed", reason="offline")
        ),
    ),
    "printing.mark_print_job_sent": (
        "-",
        lambda c, a, e, w: printing.mark_print_job_sent(c, "demo-west", e.job_id),
    ),
    "audit.audit_trail": (
        "west.admin",
        lambda c, a, e, w: audit.audit_trail(c, a["west.admin"], e.patient_id),
    ),
}

# Functions that take an actor but name no row of another tenant: checked by what they return.
LISTING = {
    "auth.list_doctors",
    "auth.get_tenant",
    "patients.search_patients",
    "patients.upsert_from_card",
    "patients.create_patient",
    "registration.queue",
    "orders.search_drugs",
}


async def _register_with_east_doctor(c: AsyncConnection, a: dict[str, Actor], e: EastIds) -> Any:
    p = await patients_svc.upsert_from_card(c, a["west.frontdesk"], make_card())
    return await registration.register(
        c, a["west.frontdesk"], p.id, doctor_id=e.staff_id, department="01"
    )


async def _west_visit(engine: AsyncEngine, actors: dict[str, Actor]) -> int:
    async with engine.begin() as conn:
        v = await registration.register_from_card(conn, "demo-west", "box-demo-1", make_card())
        await consultation.start_consultation(conn, actors["west.doctor1"], v.id)
    return v.id


async def _east_snapshot(engine: AsyncEngine, e: EastIds) -> tuple[Any, ...]:
    async with engine.connect() as conn:
        v = (await conn.execute(select(visits).where(visits.c.id == e.visit_id))).one()
        p = (await conn.execute(select(patients).where(patients.c.id == e.patient_id))).one()
        n_dx = (
            await conn.execute(select(func.count()).where(diagnoses.c.visit_id == e.visit_id))
        ).scalar_one()
        n_ox = (
            await conn.execute(select(func.count()).where(orders.c.visit_id == e.visit_id))
        ).scalar_one()
        return (tuple(v), tuple(p), n_dx, n_ox)


async def test_west_cannot_touch_east(
    engine: AsyncEngine, actors: dict[str, Actor], east: EastIds
) -> None:
    west_visit = await _west_visit(engine, actors)
    before = await _east_snapshot(engine, east)
    async with engine.connect() as conn:
        audit_before = (await conn.execute(select(func.count()).select_from(audit_log))).scalar()
    for name, (_, call) in CASES.items():
        with pytest.raises(NotFound):
            async with engine.begin() as conn:
                await call(conn, actors, east, west_visit)
        assert name  # keeps the failing case's name in the traceback locals
    assert await _east_snapshot(engine, east) == before
    async with engine.connect() as conn:  # every refused call rolled back, audit included
        audit_after = (await conn.execute(select(func.count()).select_from(audit_log))).scalar()
    assert audit_after == audit_before


async def test_listings_show_only_own_tenant(
    engine: AsyncEngine, actors: dict[str, Actor], east: EastIds
) -> None:
    front, doctor = actors["west.frontdesk"], actors["west.doctor1"]
    async with engine.begin() as conn:
        assert await patients_svc.search_patients(conn, front, "東區病人") == []
        assert await patients_svc.search_patients(conn, front, east.card.id_no) == []
        day = (
            await conn.execute(select(visits.c.visit_date).where(visits.c.id == east.visit_id))
        ).scalar_one()
        queue = await registration.queue(conn, front, day)
        assert east.visit_id not in {q.visit.id for q in queue}
        doctors = await auth.list_doctors(conn, front)
        assert east.staff_id not in {d.id for d in doctors} and doctors
        assert (await auth.get_tenant(conn, front)).slug == "demo-west"
        hits = await orders_svc.search_drugs(conn, doctor, "acetaminophen", day)
        assert hits and all(h.in_formulary or h.name_zh is None or h.demo_value for h in hits)
        # The same person's card at the west clinic makes a west patient; east's stays as it is.
        west_patient = await patients_svc.upsert_from_card(conn, front, east.card)
        assert west_patient.id != east.patient_id
        created = await patients_svc.create_patient(
            conn, front, PatientInput(name="手動建檔", sex="F", birth_date=date(1990, 1, 1))
        )
        assert created.id != east.patient_id
    async with engine.connect() as conn:
        owner = (
            await conn.execute(select(patients.c.tenant_id).where(patients.c.id == west_patient.id))
        ).scalar_one()
    assert owner == front.tenant_id


def _service_functions() -> set[str]:
    """Public API functions (``cloud_plane.services.__all__``) that take an actor or a tenant."""
    names = set()
    for name in services_pkg.__all__:
        fn = getattr(services_pkg, name)
        if not inspect.iscoroutinefunction(fn):
            continue
        params = list(inspect.signature(fn).parameters)
        if "actor" in params or "tenant_slug" in params:
            names.add(f"{fn.__module__.rsplit('.', 1)[1]}.{name}")
    return names


def test_every_service_function_is_covered() -> None:
    covered = {name.split("[")[0] for name in CASES} | LISTING
    functions = _service_functions()
    assert len(functions) >= 25
    missing = functions - covered
    assert not missing, f"add isolation cases for {sorted(missing)}"
