"""A clinic month's 門診 claims cases (t1=10) read from the visits, for the pure builder.

What goes where (spec 1040409 field numbers; the builder computes every derived field):
d1 案件分類 = visits.case_type (set by finish); d8 就醫科別 = visits.department; d9 = visit date;
d11 / d3 / d49 = the patient's birth date, ID and name; d17 "N" and d18 "N" (no referral, not
referred out: referrals are not modelled yet); d19–d23 = the diagnoses by ordinal without the
dot; d27 = the longest drug days; d28 處方調劑方式 = 0 自行 / 1 交付 / 2 未開處方;
d29 = 就醫序號 or 異常就醫代碼; d30 = the doctor's ID; d31 = the clinic's pharmacist's ID when it
dispensed; the copay (d15, d40, d43) from :func:`~clinicbox_core.nhi.copay.compute_copay` on the
visit date with the exemption the bill used. Orders (pdata), NHI-paid only, in 醫令序: drugs p3 1
(p1 days, p2 0 自行 / 1 交付, p5 dose, p7 frequency, p9 route), procedures 2, 診察費 0,
藥事服務費 9; p10 = total, p11 = the unit points stored with the order (診察費 already carries
its 加成, so p8 = 100).

A billed visit without a 就醫序號 or 異常就醫代碼 cannot be claimed (d29 is required): it is left
out and reported in ``skipped`` with the reason.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.nhi.claims.build import BuildCase, ClaimsHeader
from clinicbox_core.nhi.claims.model import Case, OrderLine
from clinicbox_core.nhi.copay import CopayInput, InstitutionLevel, VisitKind
from clinicbox_core.nhi.roc_date import format_roc_date
from cloud_plane.db.tables_clinic import bills, diagnoses, orders, patients, staff, tenants, visits
from cloud_plane.icupload.assemble import UPLOADABLE_VISIT_STATUSES
from cloud_plane.services.billing import EMERGENCY_VISIT_TYPE
from cloud_plane.services.clock import clinic_day, utc_now

__all__ = ["month_cases", "month_range"]

_P3 = {"drug": "1", "procedure": "2", "consult_fee": "0", "pharmacy_fee": "9"}
_LEVEL = {
    "western": InstitutionLevel.WESTERN_PRIMARY,
    "dental": InstitutionLevel.DENTAL_PRIMARY,
    "tcm": InstitutionLevel.TCM_PRIMARY,
}


def month_range(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first, nxt - timedelta(days=1)


def _order(o: Any, delegated: bool) -> OrderLine:
    drug = o.kind == "drug"
    return OrderLine(
        p1=o.days if drug else None,
        p2=("1" if delegated else "0") if drug else None,
        p3=_P3[o.kind],
        p4=o.code,
        p5=Decimal(o.dose) if drug and o.dose is not None else None,
        p7=o.frequency if drug else None,
        p8=Decimal(100) if o.kind == "consult_fee" else None,
        p9=o.route if drug else None,
        p10=Decimal(o.total_quantity),
        p11=Decimal(o.unit_points),
    )


def _case(v: Any, dx: list[str], lines: list[Any], pharmacist: str | None) -> BuildCase:
    delegated = v.dispensing == "deliver"
    drugs = [o for o in lines if o.kind == "drug"]
    codes = [c.replace(".", "") for c in dx[:5]] + [None] * 5
    dispensing = "2" if not drugs else ("1" if delegated else "0")
    case = Case(
        d1=v.case_type, d8=v.department, d9=format_roc_date(v.visit_date),
        d11=format_roc_date(v.birth_date), d3=v.national_id, d17="N", d18="N",
        d19=codes[0], d20=codes[1], d21=codes[2], d22=codes[3], d23=codes[4],
        d27=max((o.days or 0 for o in drugs), default=None), d28=dispensing,
        d29=v.nhi_seq or v.abnormal_code, d30=v.doctor_national_id,
        d31=pharmacist if drugs and not delegated else None, d49=v.name,
        orders=tuple(_order(o, delegated) for o in lines),
    )  # fmt: skip
    exemption = v.copay_code if (v.copay_code or "").isdigit() else None
    copay = CopayInput(
        on=v.visit_date,
        institution_level=_LEVEL.get(v.clinic_type, InstitutionLevel.WESTERN_PRIMARY),
        visit_kind=(
            VisitKind.EMERGENCY if v.visit_type == EMERGENCY_VISIT_TYPE else VisitKind.GENERAL
        ),
        exemption_code=exemption,
    )
    return BuildCase(case=case, copay=copay)


async def month_cases(
    conn: AsyncConnection, tenant_id: int, month: date, *, report_date: date | None = None
) -> tuple[ClaimsHeader, list[BuildCase], list[dict[str, Any]]]:
    """Header, cases and the visits left out (``{visit_id, reason}``) for ``month``;
    ``report_date`` (t6 申報日期) defaults to today in Taipei."""
    first, last = month_range(month)
    doc = staff.alias("doc")
    rows = (
        await conn.execute(
            select(
                visits.c.id, visits.c.visit_date, visits.c.case_type, visits.c.department,
                visits.c.visit_type, visits.c.nhi_seq, visits.c.abnormal_code,
                patients.c.birth_date, patients.c.national_id, patients.c.name,
                doc.c.national_id.label("doctor_national_id"), bills.c.copay_code,
                tenants.c.dispensing, tenants.c.clinic_type,
            )
            .join(patients, patients.c.id == visits.c.patient_id)
            .join(doc, doc.c.id == visits.c.doctor_id)
            .join(bills, bills.c.visit_id == visits.c.id)
            .join(tenants, tenants.c.id == visits.c.tenant_id)
            .where(
                visits.c.tenant_id == tenant_id, visits.c.visit_date >= first,
                visits.c.visit_date <= last, visits.c.status.in_(UPLOADABLE_VISIT_STATUSES),
            )
            .order_by(visits.c.visit_date, visits.c.registered_at, visits.c.id)
        )
    ).all()  # fmt: skip
    ids = [r.id for r in rows]
    dx: dict[int, list[str]] = defaultdict(list)
    for d in await conn.execute(
        select(diagnoses.c.visit_id, diagnoses.c.code)
        .where(diagnoses.c.tenant_id == tenant_id, diagnoses.c.visit_id.in_(ids))
        .order_by(diagnoses.c.visit_id, diagnoses.c.ordinal)
    ):
        dx[d.visit_id].append(d.code)
    lines: dict[int, list[Any]] = defaultdict(list)
    for o in await conn.execute(
        select(orders)
        .where(
            orders.c.tenant_id == tenant_id,
            orders.c.visit_id.in_(ids),
            orders.c.self_pay.is_(False),
        )
        .order_by(orders.c.visit_id, orders.c.ordinal)
    ):
        lines[o.visit_id].append(o)
    pharmacists = [
        s.national_id
        for s in await conn.execute(
            select(staff.c.roles, staff.c.national_id)
            .where(staff.c.tenant_id == tenant_id, staff.c.active.is_(True))
            .order_by(staff.c.id)
        )
        if "pharmacist" in s.roles and s.national_id
    ]
    pharmacist = pharmacists[0] if pharmacists else None
    cases, skipped = [], []
    for r in rows:
        if not (r.nhi_seq or r.abnormal_code):
            skipped.append({"visit_id": r.id, "reason": "no_nhi_seq"})
        elif not r.national_id:
            skipped.append({"visit_id": r.id, "reason": "no_national_id"})
        else:
            cases.append(_case(r, dx[r.id], lines[r.id], pharmacist))
    nhi_code = (
        await conn.execute(select(tenants.c.nhi_code).where(tenants.c.id == tenant_id))
    ).scalar_one()
    header = ClaimsHeader(
        institution=nhi_code,
        fee_month=first,
        report_date=report_date or clinic_day(utc_now()),
        period_from=first,
        period_to=max((r.visit_date for r in rows), default=first),
    )
    return header, cases, skipped
