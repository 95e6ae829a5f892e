"""The day's IC upload through the cloud services on SQLite and PostgreSQL: queue, card-write
data, build (held records), NHI results, 補正, rate, overdue, history, tenancy and roles."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from cloud_helpers import Seeded, first_demo_drug, make_card
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox_core.errors import Conflict, Forbidden, NotFound
from clinicbox_core.nhi.ic_upload.check import CheckError, check_upload
from clinicbox_core.nhi.ic_upload.deadline import TAIPEI
from clinicbox_core.nhi.ic_upload.model import RecordKind
from clinicbox_core.nhi.ic_upload.status import Status
from clinicbox_core.nhi.ic_upload.xml_io import read_upload
from cloud_plane.icupload import report, service
from cloud_plane.services import billing, consultation, finish, orders, patients
from cloud_plane.services import registration as reg
from cloud_plane.services.actor import Actor

_days = itertools.count(1)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TAIPEI)


async def _visit(
    conn: AsyncConnection, actors: dict[str, Actor], when: datetime, *, seq: str | None,
    abnormal: str | None = None,
) -> int:  # fmt: skip
    front, doctor = actors["west.frontdesk"], actors["west.doctor1"]
    patient = await patients.upsert_from_card(conn, front, make_card("上傳測試", "F"))
    visit = await reg.register(
        conn, front, patient.id, doctor_id=doctor.staff_id or 0, department="01",
        nhi_seq=seq, abnormal_code=abnormal, now=when,
    )  # fmt: skip
    await consultation.start_consultation(conn, doctor, visit.id)
    await consultation.add_diagnosis(conn, doctor, visit.id, "J02.9")
    await orders.add_drug_order(
        conn, doctor, visit.id, drug_code=await first_demo_drug(conn), dose=Decimal("1"),
        frequency="TID", route="PO", days=3,
    )  # fmt: skip
    await finish.finish_consultation(conn, doctor, visit.id)
    bill = await billing.compute_bill(conn, front, visit.id)
    await billing.settle(conn, front, visit.id, bill.amount_due)
    return visit.id


async def _card_write(conn: AsyncConnection, actor: Actor, visit_id: int) -> None:
    await service.record_card_write(
        conn, actor, visit_id, sam_id="SAM000000001", signature="A" * 256,
        treatment_id=f"TX{visit_id:018d}", order_signatures=["S" * 40],
    )  # fmt: skip


@pytest.fixture
def day(ic_seeded: Seeded) -> date:
    """A clinic day no other test uses (visits are registered with this date's times)."""
    return date(2029, 1, 1) + timedelta(days=next(_days))


async def test_day_upload_results_correction_rate(
    ic_engine: AsyncEngine, ic_seeded: Seeded, day: date
) -> None:
    actors = ic_seeded.actors
    front = actors["west.frontdesk"]
    async with ic_engine.begin() as conn:
        early = await _visit(conn, actors, _at(day, 9), seq="0001")
        late_night = await _visit(conn, actors, _at(day, 23, 50), seq="0002")
        broken_card = await _visit(conn, actors, _at(day, 10), seq=None, abnormal="A000")
        no_card_data = await _visit(conn, actors, _at(day, 11), seq="0003")
        for vid in (early, late_night):
            await _card_write(conn, front, vid)
        await service.record_card_write(  # 異常: only a 就醫識別碼 (TreatmentNumber/NoCard)
            conn, front, broken_card, sam_id=None, signature=None,
            treatment_id=f"TX{broken_card:018d}",
        )  # fmt: skip
        queued = await service.queue_ic_records_for_day(conn, front, day)
        again = await service.queue_ic_records_for_day(conn, front, day)  # idempotent
    assert [r.visit_id for r in queued] == [early, broken_card, no_card_data, late_night]
    assert [r.id for r in again] == [r.id for r in queued]
    assert {r.status for r in queued} == {Status.PENDING}
    by_visit = {r.visit_id: r for r in queued}
    assert by_visit[broken_card].kind is RecordKind.ABNORMAL
    assert by_visit[early].deadline_at == _at(day + timedelta(days=1), 9)

    first_at = _at(day + timedelta(days=1), 8)
    async with ic_engine.begin() as conn:
        batch = await service.build_upload(conn, front, day, now=first_at)
    assert batch.sent == 3
    [held] = batch.held  # no SAM / signature / 就醫識別碼: not sent
    assert held.visit_id == no_card_data and held.status is Status.PENDING
    assert {(r.code, r.field) for r in held.rejections} >= {("AA", "M01"), ("AA", "M15")}
    upload = read_upload(batch.data)
    assert [r.get("M13") for r in upload.records] == ["0001", "A000", "0002"]
    assert "M14" not in upload.records[1].mb1  # 異常: no 安全簽章
    results = check_upload(batch.data, received_at=first_at.replace(tzinfo=None))
    assert [r.accepted for r in results] == [True, True, True]

    rejected = replace(
        results[2], accepted=False,
        errors=(CheckError("15", "M35", "診斷代碼不符規定內容"),),
    )  # fmt: skip
    async with ic_engine.begin() as conn:
        after = await service.apply_upload_result(
            conn, front, batch.batch_id, [results[0], results[1], rejected], now=first_at
        )
    status = {r.visit_id: r.status for r in after}
    assert status == {early: Status.ACCEPTED, broken_card: Status.ACCEPTED,
                      late_night: Status.REJECTED}  # fmt: skip
    rec_late = next(r for r in after if r.visit_id == late_night)
    assert [(x.code, x.message) for x in rec_late.rejections] == [("15", "診斷代碼不符規定內容")]

    second_at = _at(day + timedelta(days=2), 10)
    async with ic_engine.begin() as conn:
        corrected = await service.correct_record(conn, front, rec_late.id, now=second_at)
        assert corrected.status is Status.CORRECTED
        assert corrected.kind is RecordKind.CORRECTION_NORMAL
        with pytest.raises(Conflict):  # accepted records are final
            await service.correct_record(conn, front, by_visit[early].id)
        await _card_write(conn, front, no_card_data)
        batch2 = await service.build_upload(conn, front, day, now=second_at)
        assert batch2.sent == 2 and batch2.held == ()
        upload2 = read_upload(batch2.data)
        assert [r.kind for r in upload2.records] == [RecordKind.NORMAL,
                                                     RecordKind.CORRECTION_NORMAL]  # fmt: skip
        assert b"<H01>3</H01>" in batch2.data
        results2 = check_upload(batch2.data)
        await service.apply_upload_result(conn, front, batch2.batch_id, results2, now=second_at)
        with pytest.raises(Conflict):  # nothing left
            await service.build_upload(conn, front, day, now=second_at)

        rate = await report.upload_rate(conn, front, day, day)
        overdue = await report.overdue_records(conn, front, second_at)
        history = await report.record_history(conn, front, rec_late.id)
    # 3 of 4 first reached NHI within 24 h; the record held for missing card data went late.
    assert (rate.needed, rate.on_time, rate.late, rate.not_accepted) == (4, 3, 1, 0)
    assert rate.rate == Decimal("0.7500") and rate.meets_target is False
    assert [r.visit_id for r in overdue if r.visit_date == day] == [no_card_data]
    assert [(e.event, e.status) for e in history] == [
        ("upload", Status.UPLOADED), ("reject", Status.REJECTED), ("correct", Status.CORRECTED),
        ("upload", Status.UPLOADED), ("accept", Status.ACCEPTED),
    ]  # fmt: skip
    assert history[1].codes == ("15",)


async def test_whole_file_rejection_sends_records_again(
    ic_engine: AsyncEngine, ic_seeded: Seeded, day: date
) -> None:
    front = ic_seeded.actors["west.frontdesk"]
    async with ic_engine.begin() as conn:
        vid = await _visit(conn, ic_seeded.actors, _at(day, 9), seq="0001")
        await _card_write(conn, front, vid)
        await service.queue_ic_records_for_day(conn, front, day)
        batch = await service.build_upload(conn, front, day, now=_at(day, 12))
        verdict = check_upload(batch.data[:-12])  # truncated in transit: Y007
        assert verdict[0].index is None
        [rec] = await service.apply_upload_result(conn, front, batch.batch_id, verdict)
        assert rec.status is Status.PENDING and rec.rejections[0].code == "Y007"
        again = await service.build_upload(conn, front, day, now=_at(day, 13))
        assert again.sent == 1


async def test_other_tenant_and_roles(ic_engine: AsyncEngine, ic_seeded: Seeded, day: date) -> None:
    actors = ic_seeded.actors
    front, east, doctor = actors["west.frontdesk"], actors["east.frontdesk"], actors["west.doctor1"]
    async with ic_engine.begin() as conn:
        vid = await _visit(conn, actors, _at(day, 9), seq="0001")
        [rec] = await service.queue_ic_records_for_day(conn, front, day)
        assert await service.queue_ic_records_for_day(conn, east, day) == []
        with pytest.raises(NotFound):
            await service.correct_record(conn, east, rec.id)
        with pytest.raises(NotFound):
            await report.record_history(conn, east, rec.id)
        with pytest.raises(NotFound):
            await service.record_card_write(
                conn, east, vid, sam_id=None, signature=None, treatment_id=None
            )
        with pytest.raises(Forbidden):
            await service.build_upload(conn, doctor, day)
        assert (await report.upload_rate(conn, east, day, day)).needed == 0
