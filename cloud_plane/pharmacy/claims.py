"""The pharmacy's claims cases (交付機構 format, t1=30) from its dispensing records.

Each fill is one case: 案件分類 1 一般處方調劑 or 2 慢性病連續處方調劑 (with d35 調劑序號, d36
可調劑次數 and, from the 2nd fill, d43 原處方就醫序號 and d7 = IC02/IC03), the slip's origin
(d21 機構, d22 案件分類, d14 處方日期, d24 醫師), the drug lines (p1=1) at the price the fill was
charged and the 藥事服務費 line (p1=9). Sums, d15/d17/d19 and order numbers are left to
:func:`clinicbox_core.nhi.claims.build.build_pharmacy_claims`, which derives them from these
facts, so the file and the validator see exactly what was dispensed.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.nhi.claims.build import BuildPharmacyCase, ClaimsHeader
from clinicbox_core.nhi.claims.model_pharmacy import PharmacyCase, PharmacyOrderLine
from clinicbox_core.nhi.copay import CopayInput, InstitutionLevel, VisitKind
from clinicbox_core.nhi.roc_date import format_roc_date
from cloud_plane.db.tables_clinic import bills, orders, patients, staff, tenants, visits
from cloud_plane.db.tables_pharmacy import pharmacy_fills, pharmacy_rx

_FILLS = (
    select(
        pharmacy_fills.c.fill_no,
        pharmacy_fills.c.dispensed_on,
        pharmacy_fills.c.visit_id,
        pharmacy_rx,
        patients.c.national_id,
        patients.c.name.label("patient_name"),
        patients.c.birth_date,
        staff.c.national_id.label("pharmacist_id_no"),
        visits.c.nhi_seq,
        bills.c.copay_code,
    )
    .join(pharmacy_rx, pharmacy_rx.c.id == pharmacy_fills.c.rx_id)
    .join(patients, patients.c.id == pharmacy_rx.c.patient_id)
    .join(staff, staff.c.id == pharmacy_fills.c.pharmacist_id)
    .join(visits, visits.c.id == pharmacy_fills.c.visit_id)
    .join(bills, bills.c.visit_id == pharmacy_fills.c.visit_id)
    .where(
        pharmacy_fills.c.tenant_id == bindparam("tenant_id"),
        pharmacy_fills.c.dispensed_on >= bindparam("first"),
        pharmacy_fills.c.dispensed_on <= bindparam("last"),
        visits.c.status == "dispensed",
    )
    .order_by(pharmacy_fills.c.dispensed_on, pharmacy_fills.c.id)
)
_ORDERS = (
    select(orders)
    .where(orders.c.visit_id.in_(bindparam("visit_ids", expanding=True)))
    .order_by(orders.c.visit_id, orders.c.ordinal)
)
_EXEMPT = frozenset({"001", "002", "003", "004", "005", "006", "007", "008", "009", "801", "802"})


def month_range(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first, nxt - timedelta(days=1)


def _line(o: Any) -> PharmacyOrderLine:
    if o.kind == "pharmacy_fee":
        return PharmacyOrderLine(p1="9", p2=o.code, p6="100", p7=o.total_quantity, p8=o.unit_points)
    return PharmacyOrderLine(
        p1="1", p2=o.code, p3=o.dose, p4=o.frequency, p5=o.route,
        p7=o.total_quantity, p8=o.unit_points, p11=o.days,
    )  # fmt: skip


def _case(f: Any, lines: list[Any], level: InstitutionLevel) -> BuildPharmacyCase:
    chronic = bool(f.chronic)
    refill = f.fill_no >= 2
    dx = list(f.diagnoses or [])[:5] + [None] * 5
    case = PharmacyCase(
        d1="2" if chronic else "1", d3=f.national_id, d5=None if refill else "4",
        d6=format_roc_date(f.birth_date), d7=f.nhi_seq,
        d8=dx[0], d9=dx[1], d10=dx[2], d11=dx[3], d12=dx[4],
        d13=f.department, d14=format_roc_date(f.prescribed_on), d20=f.patient_name,
        d21=f.origin_nhi_code, d22=f.origin_case_type, d23=format_roc_date(f.dispensed_on),
        d24=f.doctor_id_no, d25=f.pharmacist_id_no, d30=f.days,
        d35=str(f.fill_no) if chronic else None, d36=str(f.fills_allowed) if chronic else None,
        d43=f.origin_seq if refill else None,
        orders=tuple(_line(o) for o in lines if o.kind in ("drug", "pharmacy_fee")),
    )  # fmt: skip
    exempt = f.copay_code if f.copay_code in _EXEMPT else None
    copay = CopayInput(
        on=f.dispensed_on,
        institution_level=level,
        visit_kind=VisitKind.CHRONIC_REFILL if chronic else VisitKind.GENERAL,
        exemption_code=exempt,
    )
    return BuildPharmacyCase(case=case, copay=copay)


async def month_cases(
    conn: AsyncConnection, tenant_id: int, month: date, *, report_date: date
) -> tuple[ClaimsHeader, list[BuildPharmacyCase]]:
    """The header and the cases of ``month``'s fills, for ``build_pharmacy_claims``."""
    first, last = month_range(month)
    tenant = (await conn.execute(select(tenants.c.nhi_code).where(tenants.c.id == tenant_id))).one()
    params = {"tenant_id": tenant_id, "first": first, "last": last}
    fills = (await conn.execute(_FILLS, params)).all()
    by_visit: dict[int, list[Any]] = {f.visit_id: [] for f in fills}
    if fills:
        for o in (await conn.execute(_ORDERS, {"visit_ids": list(by_visit)})).all():
            by_visit[o.visit_id].append(o)
    cases = [_case(f, by_visit[f.visit_id], InstitutionLevel.PHARMACY) for f in fills]
    header = ClaimsHeader(
        institution=tenant.nhi_code, fee_month=first, report_date=report_date, method="3",
        period_from=first, period_to=last,
    )  # fmt: skip
    return header, cases
