"""The clinic owner's reports: visits and revenue by day, doctor or case type (院所經營報表).

One aggregate query per report, grouped in the database (a year of a busy clinic is ~40,000
visits; nothing is loaded row by row). Revenue comes from the bills: NHI points (申報點數, d39),
部分負擔, 掛號費, self-pay items, and what was actually collected (settled bills' amount due).
Cancelled visits (退掛) are not counted. Only the clinic admin sees money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.visit_codes import CASE_TYPES
from cloud_plane.db.tables_clinic import bills, staff, visits
from cloud_plane.services.actor import Actor, Role, require_role
from cloud_plane.services.models import VisitStatus

MAX_DAYS = 366


class GroupBy(StrEnum):
    DAY = "day"
    DOCTOR = "doctor"
    CASE_TYPE = "case_type"


@dataclass(frozen=True)
class ReportQuery:
    date_from: date
    date_to: date
    group_by: GroupBy

    def check(self) -> None:
        """Raise ``ValidationFailed`` naming the field when the range is unusable."""
        if self.date_to < self.date_from:
            raise ValidationFailed("error.report.range_reversed", field="date_to")
        if (self.date_to - self.date_from) > timedelta(days=MAX_DAYS - 1):
            raise ValidationFailed("error.report.range_too_long", field="date_to", days=MAX_DAYS)


@dataclass(frozen=True)
class RevenueRow:
    """One group of the report; ``key`` is the date, the doctor's id or the 案件分類 code."""

    key: str
    label: str
    visits: int
    settled: int
    nhi_points: int
    copay: int
    registration_fee: int
    self_pay: int
    collected: int


@dataclass(frozen=True)
class RevenueReport:
    query: ReportQuery
    rows: list[RevenueRow]
    total: RevenueRow


def _sum(column: ColumnElement[Any]) -> ColumnElement[int]:
    return func.coalesce(func.sum(column), 0)


def _group_columns(group_by: GroupBy) -> list[ColumnElement[Any]]:
    if group_by is GroupBy.DAY:
        return [visits.c.visit_date]
    if group_by is GroupBy.DOCTOR:
        return [visits.c.doctor_id, staff.c.display_name]
    return [visits.c.case_type]


def _label(group_by: GroupBy, values: tuple[Any, ...]) -> tuple[str, str]:
    if group_by is GroupBy.DAY:
        day: date = values[0]
        return day.isoformat(), day.isoformat()
    if group_by is GroupBy.DOCTOR:
        return str(values[0]), str(values[1])
    code = str(values[0])
    known = CASE_TYPES.get(code)
    return code, f"{code} {known.zh}" if known else code


async def revenue_report(conn: AsyncConnection, actor: Actor, query: ReportQuery) -> RevenueReport:
    """Visits and revenue of the actor's clinic in ``query``'s date range, grouped."""
    require_role(actor, Role.CLINIC_ADMIN)
    query.check()
    groups = _group_columns(query.group_by)
    settled = bills.c.settled_at.is_not(None)
    stmt = (
        select(
            *groups,
            func.count(visits.c.id).label("visits"),
            _sum(case((settled, 1), else_=0)).label("settled"),
            _sum(bills.c.nhi_points).label("nhi_points"),
            _sum(bills.c.copay).label("copay"),
            _sum(bills.c.registration_fee).label("registration_fee"),
            _sum(bills.c.self_pay_total).label("self_pay"),
            _sum(case((settled, bills.c.amount_due), else_=0)).label("collected"),
        )
        .select_from(visits.outerjoin(bills, bills.c.visit_id == visits.c.id))
        .where(
            visits.c.tenant_id == actor.tenant_id,
            visits.c.visit_date >= query.date_from,
            visits.c.visit_date <= query.date_to,
            visits.c.status != VisitStatus.CANCELLED.value,
        )
        .group_by(*groups)
        .order_by(*groups)
    )
    if query.group_by is GroupBy.DOCTOR:
        stmt = stmt.join(staff, staff.c.id == visits.c.doctor_id)
    rows: list[RevenueRow] = []
    for r in (await conn.execute(stmt)).all():
        key, label = _label(query.group_by, tuple(r[: len(groups)]))
        counts = [int(x) for x in r[len(groups) :]]
        rows.append(RevenueRow(key, label, *counts))
    return RevenueReport(query=query, rows=rows, total=_total(rows))


def _total(rows: list[RevenueRow]) -> RevenueRow:
    def add(name: str) -> int:
        return sum(int(getattr(r, name)) for r in rows)

    return RevenueRow(
        key="total",
        label="",
        visits=add("visits"),
        settled=add("settled"),
        nhi_points=add("nhi_points"),
        copay=add("copay"),
        registration_fee=add("registration_fee"),
        self_pay=add("self_pay"),
        collected=add("collected"),
    )
