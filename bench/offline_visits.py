"""The offline visits of :mod:`bench.resync`: continuity records as a box ships them.

A box in continuity mode runs the cloud's own services on its own copy of the schema, and its
collector ships each changed visit as a :class:`ContinuityRecord` (patient, visit, diagnoses,
orders, bill, print jobs: rows as ``edge_agent.continuity.digests.visit_bundles`` reads them).
Here one real visit is made through the same services in the cloud database (registration,
consultation with ``orders`` drug orders, finish, bill, payment, a drug bag print job) and read
with the collector's own ``visit_bundles`` twice: right after registration and when finished.
Every offline visit is that pair of states under its own box-made ids, national ID, 病歷號 and
print job ids, with the continuity 異常就醫代碼 A020: two records per visit, as the collector
ships a visit whose registration and consultation fall in different collection rounds.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.contracts import ContinuityRecord
from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.card import NhiCardBasic
from cloud_plane.continuity.rowcodec import JsonRow
from cloud_plane.db.tables_clinic import staff, tenants
from cloud_plane.db.tables_refdata import drugs
from cloud_plane.services import billing, consultation, finish, printing
from cloud_plane.services import orders as order_svc
from cloud_plane.services.actor import Actor, Role
from cloud_plane.services.registration import register_from_card
from edge_agent.continuity.digests import patient_rows, visit_bundles

Bundle = dict[str, list[JsonRow]]
LOCAL_IDS = 900_000  # box-made ids start here (the box's own sequence)


async def _actors(engine: AsyncEngine, tenant: str) -> dict[str, Actor]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(staff.c.id, staff.c.tenant_id, staff.c.username, staff.c.roles)
                .join(tenants, tenants.c.id == staff.c.tenant_id)
                .where(tenants.c.slug == tenant)
            )
        ).all()
    return {r.username: Actor(r.tenant_id, r.id, frozenset(Role(x) for x in r.roles)) for r in rows}


async def template_visit(
    engine: AsyncEngine, tenant: str, box_id: str, card: NhiCardBasic, orders: int
) -> tuple[Bundle, Bundle]:
    """One visit made through the services: its bundle after registration and when done."""
    actors = await _actors(engine, tenant)
    doctor, front = actors["doctor1"], actors["frontdesk"]
    async with engine.begin() as conn:
        visit = await register_from_card(conn, tenant, box_id, card)
    async with engine.connect() as conn:
        registered = (await visit_bundles(conn, [visit.id]))[visit.id]
        registered["patient"] = [(await patient_rows(conn, [visit.patient_id]))[visit.patient_id]]
        codes = (
            (
                await conn.execute(
                    select(drugs.c.code)
                    .where(drugs.c.demo_value.is_(True))
                    .order_by(drugs.c.code)
                    .limit(orders * 20)
                )
            )
            .scalars()
            .all()
        )
    async with engine.begin() as conn:
        await consultation.start_consultation(conn, doctor, visit.id)
        await consultation.add_diagnosis(conn, doctor, visit.id, "J06.9")
        added = 0
        for code in codes:  # the first ``orders`` demo drugs in force today at a dose of 1
            if added == orders:
                break
            try:
                await order_svc.add_drug_order(
                    conn, doctor, visit.id, drug_code=code, dose=Decimal(1), frequency="TID",
                    route="PO", days=3,
                )  # fmt: skip
            except ValidationFailed:
                continue
            added += 1
        if added < orders:
            raise SystemExit(f"only {added} demo drugs can be prescribed today")
        await finish.finish_consultation(conn, doctor, visit.id)
        await billing.compute_bill(conn, front, visit.id)
        await billing.settle(conn, front, visit.id, 1000)
        await printing.create_print_job(conn, front, visit.id, "drugbag")
    async with engine.connect() as conn:
        done = (await visit_bundles(conn, [visit.id]))[visit.id]
    return registered, done


def _record(
    state: Bundle, patient: JsonRow, visit_id: int, visit_no: int, jobs: list[str]
) -> ContinuityRecord:
    visit: dict[str, Any] = {
        **state["visit"][0],
        "id": visit_id,
        "patient_id": patient["id"],
        "abnormal_code": "A020",
        "nhi_seq": None,
        "visit_no": visit_no,
    }
    prints = [
        {**row, "job_id": job, "status": "done", "visit_id": visit_id}
        for row, job in zip(state["print_jobs"], jobs, strict=False)
    ]
    return ContinuityRecord(
        patient=patient, patient_origin="box", visit=visit, visit_origin="box",
        diagnoses=state["diagnoses"], orders=state["orders"],
        bill=state["bills"][0] if state["bills"] else None, print_jobs=prints,
    )  # fmt: skip


def offline_records(
    registered: Bundle, done: Bundle, cards: list[NhiCardBasic]
) -> list[ContinuityRecord]:
    """Two records per card (registered, then done), in the order the clinic made them."""
    out: list[ContinuityRecord] = []
    for n, card in enumerate(cards):
        pid, vid = LOCAL_IDS + 2 * n, LOCAL_IDS + 2 * n + 1
        patient = {
            **registered["patient"][0],
            "id": pid,
            "national_id": card.id_no,
            "name": card.name,
            "birth_date": card.birth_date.isoformat(),
            "sex": card.sex,
            "chart_no": f"9{n:05d}",
        }
        jobs = [str(uuid.uuid4()) for _ in done["print_jobs"]]
        visit_no = 500 + n
        out.append(_record(registered, patient, vid, visit_no, []))
        out.append(_record(done, patient, vid, visit_no, jobs))
    return out
