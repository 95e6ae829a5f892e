"""Offline work from a box applied in the cloud: exactly once, ids mapped, order kept per row,
conflicts settled by rule or listed for the clinic administrator (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from cloud_helpers import first_demo_drug, make_card
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.contracts import ContinuityRecord, Event
from clinicbox_core.errors import Forbidden, NotFound
from cloud_plane.boxlink.store import Applied, apply_event
from cloud_plane.continuity.apply_visit import apply_record
from cloud_plane.continuity.review import list_conflicts, resolve_conflict
from cloud_plane.continuity.rowcodec import JsonRow, digest, encode
from cloud_plane.db.tables_clinic import (
    bills,
    boxes,
    diagnoses,
    orders,
    patients,
    print_jobs,
    tenants,
    visits,
)
from cloud_plane.db.tables_continuity import continuity_conflicts
from cloud_plane.db.tables_icupload import ic_upload_records
from cloud_plane.services import billing, consultation, finish
from cloud_plane.services import orders as order_svc
from cloud_plane.services import registration as reg
from cloud_plane.services.actor import Actor
from cloud_plane.services.clock import utc_now

BOX = "box-demo-1"
_local = itertools.count(800_000)
_seqs: dict[str, itertools.count[int]] = {}


async def _new_box(engine: AsyncEngine) -> str:
    """A box of demo-west of its own: the inbox applies each box's events from seq 1 on."""
    box = f"box-cont-{uuid.uuid4().hex[:8]}"
    async with engine.begin() as conn:
        tid = (await conn.execute(select(tenants.c.id).where(tenants.c.slug == "demo-west"))).one()
        await conn.execute(
            insert(boxes).values(
                box_id=box, tenant_id=tid.id, printer_roles=[], created_at=utc_now()
            )
        )
    _seqs[box] = itertools.count(1)
    return box


async def _apply(engine: AsyncEngine, box: str, record: ContinuityRecord) -> Event:
    event = Event(box_id=box, seq=next(_seqs[box]), body=record)
    assert await apply_event(engine, "demo-west", event, apply_record) is Applied.APPLIED
    return event


async def _bundle(engine: AsyncEngine, visit_id: int) -> dict[str, Any]:
    """The visit as the box holds it (rows in JSON form, as the working set carries them)."""
    async with engine.connect() as conn:
        v = (await conn.execute(select(visits).where(visits.c.id == visit_id))).one()
        p = (await conn.execute(select(patients).where(patients.c.id == v.patient_id))).one()
        out: dict[str, Any] = {"visit": encode(v._mapping), "patient": encode(p._mapping)}
        for t in (diagnoses, orders, bills, print_jobs):
            rows = (await conn.execute(select(t).where(t.c.visit_id == visit_id))).all()
            out[t.name] = [encode(r._mapping) for r in rows]
    return out


def _base_digest(b: dict[str, Any]) -> str:
    return digest(b["visit"], b["diagnoses"], b["orders"], b["bills"][0] if b["bills"] else None)


async def _finished_visit(engine: AsyncEngine, actors: dict[str, Actor], name: str) -> int:
    """A billed visit made through the services: the content a box would have made offline."""
    doctor, front = actors["west.doctor1"], actors["west.frontdesk"]
    async with engine.begin() as conn:
        visit = await reg.register_from_card(conn, "demo-west", BOX, make_card(name))
        drug = await first_demo_drug(conn)
        await consultation.start_consultation(conn, doctor, visit.id)
        await consultation.add_diagnosis(conn, doctor, visit.id, "J06.9")
        await order_svc.add_drug_order(
            conn, doctor, visit.id, drug_code=drug, dose=Decimal(1), frequency="TID",
            route="PO", days=3,
        )  # fmt: skip
        await finish.finish_consultation(conn, doctor, visit.id)
        await billing.compute_bill(conn, front, visit.id)
        await billing.settle(conn, front, visit.id, 1000)
    return visit.id


def _as_box_made(b: dict[str, Any], national_id: str, chart_no: str) -> ContinuityRecord:
    """``b`` as if the box had made it: its own ids, a new patient, D000."""
    pid, vid = next(_local), next(_local)
    patient = {**b["patient"], "id": pid, "national_id": national_id, "chart_no": chart_no}
    visit = {**b["visit"], "id": vid, "patient_id": pid, "abnormal_code": "D000", "nhi_seq": None}
    visit["visit_no"] = 700 + vid % 100
    return ContinuityRecord(
        patient=patient, patient_origin="box", visit=visit, visit_origin="box",
        diagnoses=b["diagnoses"], orders=b["orders"],
        bill=b["bills"][0] if b["bills"] else None, print_jobs=[],
    )  # fmt: skip


async def _count(engine: AsyncEngine, table: Any, *where: Any) -> int:
    async with engine.connect() as conn:
        stmt = select(func.count()).select_from(table).where(*where)
        return int((await conn.execute(stmt)).scalar_one())


async def test_visit_made_on_the_box_lands_once_with_cloud_ids(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    source = await _bundle(engine, await _finished_visit(engine, actors, "離線甲"))
    card = make_card("離線甲")
    record = _as_box_made(source, card.id_no, "099001")
    box = await _new_box(engine)
    event = await _apply(engine, box, record)
    again = await apply_event(engine, "demo-west", event, apply_record)
    assert again is Applied.DUPLICATE  # the inbox's (box_id, seq) key
    later = record.model_copy(update={"visit": {**record.visit, "chief_complaint": "更新"}})  # type: ignore[dict-item]
    newer = await _apply(engine, box, later)  # a later record of the box visit: the same row
    made = await _count(engine, patients, patients.c.national_id == card.id_no)
    assert made == 1
    async with engine.connect() as conn:
        v = (
            await conn.execute(
                select(visits)
                .join(patients, patients.c.id == visits.c.patient_id)
                .where(patients.c.national_id == card.id_no)
            )
        ).all()
    assert len(v) == 1 and v[0].id != record.visit["id"]  # type: ignore[index]
    assert v[0].chief_complaint == "更新" and v[0].abnormal_code == "D000"
    assert v[0].box_id == box and v[0].status == "billed"
    assert await _count(engine, diagnoses, diagnoses.c.visit_id == v[0].id) == 1
    assert await _count(engine, bills, bills.c.visit_id == v[0].id) == 1
    async with engine.connect() as conn:
        ic = (
            await conn.execute(
                select(ic_upload_records).where(ic_upload_records.c.visit_id == v[0].id)
            )
        ).one()
    assert ic.made_up_later is True and ic.kind == "abnormal" and ic.status == "pending"
    # An older record after the newer one (the inbox already refuses gaps; the id map's seq
    # guard holds even if a record did arrive late) changes nothing.
    stale = record.model_copy(update={"visit": {**record.visit, "chief_complaint": "舊"}})  # type: ignore[dict-item]
    async with engine.begin() as conn:
        await apply_record(conn, "demo-west", Event(box_id=box, seq=newer.seq - 1, body=stale))
    async with engine.connect() as conn:
        text = (
            await conn.execute(select(visits.c.chief_complaint).where(visits.c.id == v[0].id))
        ).scalar_one()
    assert text == "更新"


async def test_taken_chart_number_is_renumbered_and_listed(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    source = await _bundle(engine, await _finished_visit(engine, actors, "離線乙"))
    taken = source["patient"]["chart_no"]
    card = make_card("離線乙")
    await _apply(engine, await _new_box(engine), _as_box_made(source, card.id_no, taken))
    async with engine.connect() as conn:
        chart = (
            await conn.execute(
                select(patients.c.chart_no).where(patients.c.national_id == card.id_no)
            )
        ).scalar_one()
        auto = (
            await conn.execute(
                select(continuity_conflicts).where(
                    continuity_conflicts.c.kind == "chart_no",
                    continuity_conflicts.c.offline_value["chart_no"].as_string() == chart,
                )
            )
        ).one()
    assert chart != taken and auto.status == "auto" and auto.rule == "renumbered"


async def test_cloud_visit_finished_offline_applies_when_the_cloud_left_it_alone(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    content = await _bundle(engine, await _finished_visit(engine, actors, "內容"))
    async with engine.begin() as conn:
        visit = await reg.register_from_card(conn, "demo-west", BOX, make_card("雲端丙"))
    base = await _bundle(engine, visit.id)  # what the working set gave the box
    offline = ContinuityRecord(
        patient=base["patient"], patient_origin="cloud", patient_base=base["patient"],
        visit={**content["visit"], "id": visit.id, "patient_id": visit.patient_id,
               "visit_no": visit.visit_no, "registered_at": base["visit"]["registered_at"]},
        visit_origin="cloud", visit_base_digest=_base_digest(base),
        diagnoses=content["diagnoses"], orders=content["orders"], bill=content["bills"][0],
    )  # fmt: skip
    opened = await _count(engine, continuity_conflicts, continuity_conflicts.c.cloud_id == visit.id)
    await _apply(engine, await _new_box(engine), offline)
    after = await _bundle(engine, visit.id)
    assert after["visit"]["status"] == "billed" and len(after["diagnoses"]) == 1
    assert len(after["bills"]) == 1
    assert (
        await _count(engine, continuity_conflicts, continuity_conflicts.c.cloud_id == visit.id)
        == opened
    )
    async with engine.connect() as conn:
        made_up = (
            await conn.execute(
                select(ic_upload_records.c.made_up_later).where(
                    ic_upload_records.c.visit_id == visit.id
                )
            )
        ).scalar_one()
    assert made_up is True


async def test_visit_changed_on_both_sides_keeps_the_cloud_and_asks_the_admin(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    content = await _bundle(engine, await _finished_visit(engine, actors, "內容二"))
    async with engine.begin() as conn:
        visit = await reg.register_from_card(conn, "demo-west", BOX, make_card("雙邊丁"))
    base = await _bundle(engine, visit.id)
    doctor = actors["west.doctor2"] if "west.doctor2" in actors else actors["west.doctor1"]
    async with engine.begin() as conn:  # meanwhile in the cloud: the visit gets a diagnosis
        await consultation.start_consultation(conn, actors["west.doctor1"], visit.id)
        await consultation.add_diagnosis(conn, actors["west.doctor1"], visit.id, "R50.9")
    assert doctor is not None
    offline = ContinuityRecord(
        patient=base["patient"], patient_origin="cloud", patient_base=base["patient"],
        visit={**content["visit"], "id": visit.id, "patient_id": visit.patient_id},
        visit_origin="cloud", visit_base_digest=_base_digest(base),
        diagnoses=content["diagnoses"], orders=content["orders"], bill=content["bills"][0],
    )  # fmt: skip
    await _apply(engine, await _new_box(engine), offline)
    after = await _bundle(engine, visit.id)
    assert [d["code"] for d in after["diagnoses"]] == ["R50.9"]  # the cloud's visit stays
    admin, east_admin = actors["west.admin"], actors["east.admin"]
    async with engine.begin() as conn:
        items = [c for c in await list_conflicts(conn, admin) if c.cloud_id == visit.id]
        assert len(items) == 1 and items[0].status == "open" and items[0].rule == "cloud_kept"
        assert items[0].offline_value["diagnoses"][0]["code"] == "J06.9"
        with pytest.raises(Forbidden):
            await list_conflicts(conn, actors["west.frontdesk"])
    async with engine.begin() as conn:
        with pytest.raises(NotFound):
            await resolve_conflict(conn, east_admin, items[0].id)
    async with engine.begin() as conn:
        await resolve_conflict(conn, admin, items[0].id)
        assert all(c.id != items[0].id for c in await list_conflicts(conn, admin))


async def test_patient_fields_merge_and_a_real_clash_is_listed(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    async with engine.begin() as conn:
        visit = await reg.register_from_card(conn, "demo-west", BOX, make_card("欄位戊"))
    base: JsonRow = (await _bundle(engine, visit.id))["patient"]
    async with engine.begin() as conn:  # the cloud changes the allergies meanwhile
        await conn.execute(
            patients.update().where(patients.c.id == visit.patient_id).values(allergies="盤尼西林")
        )
    offline = {**base, "phone": "0911000111"}
    box = await _new_box(engine)
    await _apply(
        engine, box, ContinuityRecord(patient=offline, patient_origin="cloud", patient_base=base)
    )
    now = (await _bundle(engine, visit.id))["patient"]
    assert now["phone"] == "0911000111" and now["allergies"] == "盤尼西林"
    clash = {**base, "allergies": "阿斯匹靈"}
    await _apply(
        engine, box, ContinuityRecord(patient=clash, patient_origin="cloud", patient_base=base)
    )
    now = (await _bundle(engine, visit.id))["patient"]
    assert now["allergies"] == "盤尼西林"
    open_items = await _count(
        engine,
        continuity_conflicts,
        continuity_conflicts.c.patient_id == visit.patient_id,
        continuity_conflicts.c.kind == "patient_field",
        continuity_conflicts.c.status == "open",
    )
    assert open_items == 1
    assert date.fromisoformat(now["birth_date"]) == date.fromisoformat(base["birth_date"])
