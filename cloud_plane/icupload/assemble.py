"""Read the visits of a day from the clinic tables and turn them into :class:`IcVisit` inputs.

What goes where (fields of clinicbox_core.nhi.ic_upload.build.IcVisit): 院所 = tenants.nhi_code;
醫事人員 = the doctor's staff.national_id; 就診日期時間 = the record's visit_time (the IDC's time
stamped with the 序號, else the visit's registration time); 就醫序號 = visits.nhi_seq, or
visits.abnormal_code;
費用 = bills.nhi_points (d39, copay included) and bills.copay (d40); 診斷 = diagnoses by ordinal;
醫令 = NHI-paid drug and procedure orders (consultation and pharmacy fees are claims items, not
card items, and self-pay lines are not NHI data); 調劑方式 = the tenant's dispensing setting (自行
0 / 交付 1), 2 未開處方 when there is no drug. SAM id, 安全簽章 and 就醫識別碼 come from the card
write (:func:`.service.record_card_write`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.nhi.ic_upload.build import IcVisit, IcVisitOrder
from cloud_plane.db.tables_clinic import bills, diagnoses, orders, patients, staff, tenants, visits
from cloud_plane.db.tables_icupload import ic_upload_records

__all__ = ["UPLOADABLE_VISIT_STATUSES", "load_visits"]

# A visit is uploaded once its fees are known (billed); 已領藥 visits too.
UPLOADABLE_VISIT_STATUSES = ("billed", "dispensed")
_ORDER_CLASS = {"drug": "1", "procedure": "2"}


async def load_visits(
    conn: AsyncConnection, tenant_id: int, record_ids: Sequence[int]
) -> dict[int, IcVisit]:
    """record id → IcVisit for the given upload records of ``tenant_id``."""
    if not record_ids:
        return {}
    r, v, p, s, b = ic_upload_records, visits, patients, staff, bills
    rows = (
        await conn.execute(
            select(
                r.c.id, r.c.visit_id, r.c.visit_time, r.c.sam_id, r.c.signature, r.c.treatment_id,
                r.c.order_signatures,
                v.c.visit_type, v.c.nhi_seq, v.c.abnormal_code, v.c.registered_at,
                p.c.national_id, p.c.birth_date, p.c.nhi_card_no, s.c.national_id.label("doc"),
                b.c.nhi_points, b.c.copay, b.c.copay_basic, b.c.copay_drug,
                tenants.c.nhi_code, tenants.c.dispensing,
            )
            .join(v, v.c.id == r.c.visit_id)
            .join(p, p.c.id == v.c.patient_id)
            .join(s, s.c.id == v.c.doctor_id)
            .join(tenants, tenants.c.id == r.c.tenant_id)
            .outerjoin(b, b.c.visit_id == v.c.id)
            .where(r.c.tenant_id == tenant_id, r.c.id.in_(record_ids))
        )
    ).all()  # fmt: skip
    visit_ids = [row.visit_id for row in rows]
    diag: dict[int, list[str]] = defaultdict(list)
    for d in await conn.execute(
        select(diagnoses.c.visit_id, diagnoses.c.code)
        .where(diagnoses.c.tenant_id == tenant_id, diagnoses.c.visit_id.in_(visit_ids))
        .order_by(diagnoses.c.visit_id, diagnoses.c.ordinal)
    ):
        diag[d.visit_id].append(d.code)
    ords: dict[int, list[Any]] = defaultdict(list)
    for o in await conn.execute(
        select(orders)
        .where(
            orders.c.tenant_id == tenant_id,
            orders.c.visit_id.in_(visit_ids),
            orders.c.kind.in_(tuple(_ORDER_CLASS)),
            orders.c.self_pay.is_(False),
        )
        .order_by(orders.c.visit_id, orders.c.ordinal)
    ):
        ords[o.visit_id].append(o)
    return {row.id: _visit(row, diag[row.visit_id], ords[row.visit_id]) for row in rows}


def _signatures(stored: list[str] | None, n: int) -> list[str | None]:
    """The card write's 處方簽章 by order position (a missing one is None: AA at validation)."""
    signs: list[str | None] = [str(x) for x in (stored or [])[:n]]
    signs.extend([None] * (n - len(signs)))
    return signs


def _visit(row: Any, codes: list[str], order_rows: list[Any]) -> IcVisit:
    items = tuple(
        IcVisitOrder(
            order_class=_ORDER_CLASS[o.kind],
            code=o.code,
            quantity=Decimal(o.total_quantity),
            days=o.days if o.kind == "drug" else None,
            frequency=o.frequency if o.kind == "drug" else None,
            route=o.route if o.kind == "drug" else None,
            prescription_type="A" if o.kind == "drug" else None,
            signature=sign,
        )
        for o, sign in zip(
            order_rows, _signatures(row.order_signatures, len(order_rows)), strict=True
        )
    )
    drug_days = max((i.days or 0 for i in items if i.order_class == "1"), default=0)
    dispensing = "2" if drug_days == 0 else ("1" if row.dispensing == "deliver" else "0")
    birth: date = row.birth_date
    return IcVisit(
        hospital_id=row.nhi_code,
        id_number=row.national_id or "",
        birth_date=birth,
        doctor_id=row.doc or "",
        visit_type=row.visit_type,
        visit_time=row.visit_time,
        seq=row.abnormal_code or row.nhi_seq,
        fee=row.nhi_points or 0,
        copay=row.copay or 0,
        card_no=row.nhi_card_no,
        sam_id=row.sam_id,
        signature=row.signature,
        treatment_id=row.treatment_id,
        diagnoses=tuple(codes[:6]),
        drug_days=drug_days,
        dispensing=dispensing,
        copay_consult=row.copay_basic,
        copay_drug=row.copay_drug,
        orders=items,
    )
