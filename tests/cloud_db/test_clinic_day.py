"""A whole clinic day through the services: card check-in, consultation, bill, prints."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from cloud_helpers import make_card
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.contracts.messages import PrintResult
from cloud_plane.db.tables_refdata import drugs
from cloud_plane.services import billing, consultation, dispensing, finish, orders, printing
from cloud_plane.services import registration as reg
from cloud_plane.services.actor import Actor
from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.services.models import VisitStatus


async def test_whole_day(engine: AsyncEngine, actors: dict[str, Actor]) -> None:
    doctor = actors["west.doctor1"]
    front = actors["west.frontdesk"]
    pharm = actors["west.pharmacist"]
    card = make_card("王小明", "M", date(1980, 5, 6))
    async with engine.begin() as conn:
        visit = await reg.register_from_card(conn, "demo-west", "box-demo-1", card)
    assert visit.status is VisitStatus.REGISTERED
    assert visit.source == "card" and visit.box_id == "box-demo-1"
    assert visit.doctor_id == doctor.staff_id
    assert visit.visit_date == clinic_day(utc_now())

    async with engine.begin() as conn:  # the same card again: the open visit, not a second one
        again = await reg.register_from_card(conn, "demo-west", "box-demo-1", card)
        assert again.id == visit.id
        q = await reg.queue(conn, front, visit.visit_date)
        assert [e.visit.id for e in q].count(visit.id) == 1
        entry = next(e for e in q if e.visit.id == visit.id)
        assert entry.patient_name == "王小明"

    async with engine.begin() as conn:
        drug_code = (
            (
                await conn.execute(
                    select(drugs.c.code)
                    .where(drugs.c.demo_value.is_(True), drugs.c.name_en.ilike("%acetaminophen%"))
                    .order_by(drugs.c.code)
                )
            )
            .scalars()
            .first()
        )
        assert drug_code is not None
        price = (
            await conn.execute(select(drugs.c.price_points).where(drugs.c.code == drug_code))
        ).scalar_one()
        d = await consultation.start_consultation(conn, doctor, visit.id)
        assert d.visit.status is VisitStatus.IN_CONSULTATION
        await consultation.set_chief_complaint(conn, doctor, visit.id, "發燒、喉嚨痛兩天")
        await consultation.add_diagnosis(conn, doctor, visit.id, "J02.9")
        await consultation.add_diagnosis(conn, doctor, visit.id, "r50.9")
        d = await orders.add_drug_order(
            conn, doctor, visit.id, drug_code=drug_code, dose=Decimal("1"),
            frequency="QID", route="PO", days=3,
        )  # fmt: skip
        drug = d.orders[-1]
        assert drug.total_quantity == Decimal(12)
        assert drug.unit_points == price
        assert drug.amount_points == int((12 * price).to_integral_value())
        d = await finish.finish_consultation(conn, doctor, visit.id)
    assert d.visit.status is VisitStatus.TO_BILL
    assert [x.code for x in d.diagnoses] == ["J02.9", "R50.9"]
    fee = next(o for o in d.orders if o.kind == "consult_fee")
    assert fee.code in {"00110C", "00224C", "00112C"}  # 自行調劑 (even code), by ordinal band
    pharmacy = next(o for o in d.orders if o.kind == "pharmacy_fee")
    assert pharmacy.code == "05203C"
    assert pharmacy.amount_points == 33  # 106.05.01 schedule

    async with engine.begin() as conn:
        bill = await billing.compute_bill(conn, front, visit.id)
        nhi = sum(o.amount_points for o in d.orders)
        assert bill.nhi_points == nhi
        assert bill.registration_fee == 150
        assert bill.copay_basic == 50 and bill.copay_drug == 0  # drugs ≤ 100 points
        assert bill.copay_code == "D10"
        assert bill.amount_due == 200
        settled = await billing.settle(conn, front, visit.id, 500)
        assert settled.paid == 500 and settled.change == 300 and settled.settled_at is not None

    async with engine.begin() as conn:
        jobs = {}
        for kind in ("slip", "receipt", "drugbag"):
            actor = pharm if kind == "drugbag" else front
            row, job = await printing.create_print_job(conn, actor, visit.id, kind)
            assert row.status == "queued" and row.box_id == "box-demo-1"
            assert job.job_id == row.job_id and job.printer == kind
            jobs[kind] = (row, job)
        bag = jobs["drugbag"][1].document.plain_text()
        assert "王小明" in bag and "張藥師" in bag and "示範西區診所" in bag
        assert "乙醯胺酚" in bag and "退燒" in bag
        assert "150" in jobs["receipt"][1].document.plain_text()
        assert str(visit.visit_no) in jobs["slip"][1].document.plain_text()

    async with engine.begin() as conn:
        receipt_job = jobs["receipt"][0].job_id
        sent = await printing.mark_print_job_sent(conn, "demo-west", receipt_job)
        assert sent.status == "sent"
        done = await printing.record_print_result(
            conn, "demo-west", PrintResult(job_id=receipt_job, status="done")
        )
        assert done.status == "done"
        failed = await printing.record_print_result(
            conn, "demo-west",
            PrintResult(job_id=jobs["drugbag"][0].job_id, status="failed", reason="paper_out"),
        )  # fmt: skip
        assert failed.status == "failed" and failed.reason == "paper_out"
        listed = await printing.list_print_jobs(conn, front, visit.id)
        assert {j.kind: j.status for j in listed} == {
            "slip": "queued", "receipt": "done", "drugbag": "failed"
        }  # fmt: skip
        final = await dispensing.mark_dispensed(conn, pharm, visit.id)
        assert final.status is VisitStatus.DISPENSED


async def test_unknown_print_job_is_not_found(engine: AsyncEngine) -> None:
    import pytest

    from clinicbox_core.errors import NotFound

    async with engine.begin() as conn:
        with pytest.raises(NotFound):
            await printing.record_print_result(
                conn, "demo-west", PrintResult(job_id=uuid.uuid4(), status="done")
            )
