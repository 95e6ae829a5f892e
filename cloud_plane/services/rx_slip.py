"""Gather a finished visit into a prescription slip (:class:`RxSlipData`): who may have one,
which drug lines go on it, and the QR payload the pharmacy scans.

A slip exists when the clinic delivers its prescriptions (交付調劑: fill 1 is the pharmacy's),
or when the visit issued a 慢性病連續處方箋 (a self-dispensing clinic gives fill 1 itself and
the patient takes the slip to a pharmacy for fill 2 and 3). Self-pay lines and the TCM 每日藥費
line are not on it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict
from clinicbox_core.prescription.payload import MAX_DIAGNOSES, DosePer, RxItem, RxKind, RxPayload
from clinicbox_core.printdoc.documents import ClinicInfo
from clinicbox_core.printdoc.prescription import RxSlipData, RxSlipItem
from cloud_plane.db.tables_clinic import orders, staff, tenant_drugs
from cloud_plane.services.models import VisitStatus
from cloud_plane.services.visit_context import diagnosis_rows

__all__ = ["rx_slip_data"]

_FINISHED = (VisitStatus.TO_BILL, VisitStatus.BILLED, VisitStatus.DISPENSED)
_CENT = Decimal("0.01")

_LINES = (
    select(orders, tenant_drugs.c.unit)
    .join(
        tenant_drugs,
        (tenant_drugs.c.code == orders.c.code) & (tenant_drugs.c.tenant_id == orders.c.tenant_id),
        isouter=True,
    )
    .where(
        orders.c.visit_id == bindparam("visit_id"),
        orders.c.kind == "drug",
        orders.c.self_pay.is_(False),
        orders.c.dose.is_not(None),
    )
    .order_by(orders.c.ordinal)
)
_DOCTOR = select(staff.c.display_name, staff.c.national_id).where(
    staff.c.id == bindparam("staff_id")
)


async def rx_slip_data(conn: AsyncConnection, visit: Row[Any], patient: Any) -> RxSlipData:
    """The slip of ``visit`` (a context row with ``t_`` tenant columns); :class:`Conflict`
    naming what is missing when there is no slip to print."""
    if VisitStatus(visit.status) not in _FINISHED:
        raise Conflict("error.print.not_finished")
    delegated = visit.t_dispensing == "deliver"
    chronic = bool(visit.refill_fills)
    if not delegated and not chronic:
        raise Conflict("error.rx.not_delegated")
    rows = (await conn.execute(_LINES, {"visit_id": visit.id})).all()
    if not rows:
        raise Conflict("error.print.no_drugs")
    doctor = (await conn.execute(_DOCTOR, {"staff_id": visit.doctor_id})).one()
    if not doctor.national_id:
        raise Conflict("error.rx.doctor_id_missing")
    if not patient.national_id:
        raise Conflict("error.rx.patient_id_missing")
    seq = visit.nhi_seq or visit.abnormal_code
    if not seq:
        raise Conflict("error.rx.no_seq")
    dx = [(d.code, d.name) for d in await diagnosis_rows(conn, visit.id)][:MAX_DIAGNOSES]
    items: list[RxSlipItem] = []
    payload_items: list[RxItem] = []
    for r in rows:
        per = DosePer.DAY if r.dose_per == "D" else DosePer.USE
        unit = "g" if per is DosePer.DAY else (r.unit or "粒")
        dose = Decimal(r.dose).quantize(_CENT)
        total = Decimal(r.total_quantity).quantize(_CENT)
        items.append(
            RxSlipItem(
                code=r.code, name=r.name[:120], dose=dose, per=per, unit=unit,
                frequency=r.frequency, route=r.route, days=r.days, total=total,
            )
        )  # fmt: skip
        payload_items.append(
            RxItem(
                code=r.code, dose=dose, per=per, frequency=r.frequency, route=r.route,
                days=r.days, total=total,
            )
        )  # fmt: skip
    fills = int(visit.refill_fills) if chronic else 1
    payload = RxPayload(
        institution_code=visit.t_nhi_code,
        slip_no=f"{visit.visit_date:%Y%m%d}-{visit.id}",
        doctor_id=doctor.national_id,
        visit_date=visit.visit_date,
        nhi_seq=seq,
        case_type=visit.case_type,
        patient_id=patient.national_id,
        patient_birth=patient.birth_date,
        kind=RxKind.CHRONIC if chronic else RxKind.GENERAL,
        fills_total=fills,
        fill_no=1 if delegated else 2,
        days_per_fill=int(visit.refill_days) if chronic else max(i.days for i in items),
        diagnoses=tuple(code.upper() for code, _ in dx),
        items=tuple(payload_items),
    )
    return RxSlipData(
        clinic=ClinicInfo(
            name=visit.t_name,
            address=visit.t_address or "—",
            phone=visit.t_phone or "—",
            institution_code=visit.t_nhi_code,
        ),
        patient_name=patient.name,
        patient_sex=patient.sex,
        chart_no=patient.chart_no,
        department=visit.department,
        doctor_name=doctor.display_name,
        diagnoses=tuple(dx),
        items=tuple(items),
        payload=payload,
    )
