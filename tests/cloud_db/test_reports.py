"""The clinic owner's report against what the bills say, on SQLite and PostgreSQL.

Visits are made through the services on dates in February 2025 that no other test uses, so the
report's numbers are known exactly: they must equal the sums of the bills the services computed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.errors import Forbidden, ValidationFailed
from cloud_plane.services import billing, consultation, finish, patients
from cloud_plane.services import registration as reg
from cloud_plane.services.actor import Actor
from cloud_plane.services.models import Bill, PatientInput
from cloud_plane.services.reports import GroupBy, ReportQuery, revenue_report

DAY1 = date(2025, 2, 10)
DAY2 = date(2025, 2, 11)


def _morning(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 30, tzinfo=UTC)  # 09:30 in Taipei


async def _visit(
    engine: AsyncEngine, actors: dict[str, Actor], day: date, doctor: str, *, settle: bool
) -> Bill | None:
    front, doc = actors["west.frontdesk"], actors[f"west.{doctor}"]
    async with engine.begin() as conn:
        patient = await patients.create_patient(
            conn, front, PatientInput(name="報表測試", sex="F", birth_date=date(1970, 1, 2))
        )
        visit = await reg.register(
            conn, front, patient.id, doctor_id=doc.staff_id or 0, department="01",
            now=_morning(day),
        )  # fmt: skip
        await consultation.start_consultation(conn, doc, visit.id)
        await consultation.add_diagnosis(conn, doc, visit.id, "J06.9")
        await finish.finish_consultation(conn, doc, visit.id)
        bill = await billing.compute_bill(conn, front, visit.id)
        if settle:
            bill = await billing.settle(conn, front, visit.id, bill.amount_due)
    return bill


async def test_report_equals_the_bills(engine: AsyncEngine, actors: dict[str, Actor]) -> None:
    admin = actors["west.admin"]
    made = [
        (DAY1, "doctor1", True),
        (DAY1, "doctor1", False),
        (DAY1, "doctor2", True),
        (DAY2, "doctor2", True),
    ]
    bills = [(day, doc, await _visit(engine, actors, day, doc, settle=s)) for day, doc, s in made]
    async with engine.begin() as conn:  # a cancelled visit (退掛) is not counted
        front = actors["west.frontdesk"]
        p = await patients.create_patient(
            conn, front, PatientInput(name="退掛", sex="M", birth_date=date(1960, 3, 4))
        )
        v = await reg.register(
            conn, front, p.id, doctor_id=actors["west.doctor1"].staff_id or 0,
            department="01", now=_morning(DAY1),
        )  # fmt: skip
        await reg.cancel_visit(conn, front, v.id)

    async with engine.begin() as conn:
        by_day = await revenue_report(conn, admin, ReportQuery(DAY1, DAY2, GroupBy.DAY))
        by_doctor = await revenue_report(conn, admin, ReportQuery(DAY1, DAY2, GroupBy.DOCTOR))
        by_case = await revenue_report(conn, admin, ReportQuery(DAY1, DAY2, GroupBy.CASE_TYPE))
        east = await revenue_report(
            conn, actors["east.admin"], ReportQuery(DAY1, DAY2, GroupBy.DAY)
        )

    def expected(rows: list[tuple[date, str, Bill | None]]) -> dict[str, int]:
        settled = [b for _, _, b in rows if b is not None and b.settled_at is not None]
        return {
            "visits": len(rows),
            "settled": len(settled),
            "nhi_points": sum(b.nhi_points for _, _, b in rows if b),
            "copay": sum(b.copay for _, _, b in rows if b),
            "registration_fee": sum(b.registration_fee for _, _, b in rows if b),
            "collected": sum(b.amount_due for b in settled),
        }

    def shown(row: object) -> dict[str, int]:
        return {k: int(getattr(row, k)) for k in expected([])}

    assert [r.key for r in by_day.rows] == [DAY1.isoformat(), DAY2.isoformat()]
    assert shown(by_day.rows[0]) == expected([b for b in bills if b[0] == DAY1])
    assert shown(by_day.rows[1]) == expected([b for b in bills if b[0] == DAY2])
    assert shown(by_day.total) == expected(bills)
    assert by_day.total.nhi_points > 0 and by_day.total.collected > 0

    names = {r.label: shown(r) for r in by_doctor.rows}
    assert names == {
        "王大明醫師": expected([b for b in bills if b[1] == "doctor1"]),
        "陳美玲醫師": expected([b for b in bills if b[1] == "doctor2"]),
    }
    assert shown(by_doctor.total) == shown(by_day.total) == shown(by_case.total)
    assert all(r.label.startswith(r.key + " ") for r in by_case.rows)  # code + 案件分類 name
    assert east.rows == []  # another clinic sees none of it


async def test_report_rules(engine: AsyncEngine, actors: dict[str, Actor]) -> None:
    async with engine.begin() as conn:
        with pytest.raises(Forbidden):
            await revenue_report(
                conn, actors["west.frontdesk"], ReportQuery(DAY1, DAY2, GroupBy.DAY)
            )
        with pytest.raises(ValidationFailed) as reversed_range:
            await revenue_report(conn, actors["west.admin"], ReportQuery(DAY2, DAY1, GroupBy.DAY))
        assert reversed_range.value.params["field"] == "date_to"
        with pytest.raises(ValidationFailed) as too_long:
            await revenue_report(
                conn, actors["west.admin"], ReportQuery(DAY1, date(2026, 2, 11), GroupBy.DAY)
            )
        assert too_long.value.message_key == "error.report.range_too_long"
        longest = ReportQuery(DAY1, date(2026, 2, 10), GroupBy.DAY)  # 366 days, both ends in
        assert (await revenue_report(conn, actors["west.admin"], longest)).total.visits >= 0
