"""Gather a visit's data into the document builders of :mod:`clinicbox_core.printdoc.documents`
(drug bag, receipt, registration slip, prescription slip). Rules about what may print when
live here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict
from clinicbox_core.printdoc import PrintDocument
from clinicbox_core.printdoc.documents import (
    ClinicInfo,
    DrugBagData,
    DrugItem,
    NhiPoints,
    ReceiptData,
    RegistrationSlipData,
    SelfPayItem,
    Session,
    drug_bag,
    receipt,
    registration_slip,
)
from clinicbox_core.printdoc.prescription import prescription_slip
from cloud_plane.db.tables_clinic import bills, orders, patients, staff, tenant_drugs, tenants
from cloud_plane.services.actor import Actor, Role
from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.services.models import VisitStatus
from cloud_plane.services.rx_slip import rx_slip_data

_FINISHED = (VisitStatus.TO_BILL, VisitStatus.BILLED, VisitStatus.DISPENSED)
_PAID = (VisitStatus.BILLED, VisitStatus.DISPENSED)


_TENANT = select(tenants).where(tenants.c.id == bindparam("tenant_id"))
_PATIENT = select(patients).where(patients.c.id == bindparam("patient_id"))
_STAFF_NAME = select(staff.c.display_name).where(staff.c.id == bindparam("staff_id"))
_ACTIVE_STAFF = (
    select(staff.c.display_name, staff.c.roles)
    .where(staff.c.tenant_id == bindparam("tenant_id"), staff.c.active.is_(True))
    .order_by(staff.c.id)
)
_DRUG_ITEMS = (
    select(orders, tenant_drugs)
    .join(
        tenant_drugs,
        (tenant_drugs.c.code == orders.c.code) & (tenant_drugs.c.tenant_id == orders.c.tenant_id),
        isouter=True,
    )
    .where(orders.c.visit_id == bindparam("visit_id"), orders.c.kind == "drug")
    .order_by(orders.c.ordinal)
)
_BILL = select(bills).where(bills.c.visit_id == bindparam("visit_id"))
_ORDERS = select(orders).where(orders.c.visit_id == bindparam("visit_id"))


async def _tenant_row(conn: AsyncConnection, actor: Actor) -> Row[Any]:
    return (await conn.execute(_TENANT, {"tenant_id": actor.tenant_id})).one()


async def _clinic(conn: AsyncConnection, actor: Actor, tenant: Any = None) -> ClinicInfo:
    t = tenant if tenant is not None else await _tenant_row(conn, actor)
    return ClinicInfo(
        name=t.name, address=t.address or "—", phone=t.phone or "—", institution_code=t.nhi_code
    )


async def _staff_name(conn: AsyncConnection, staff_id: int) -> str:
    return str((await conn.execute(_STAFF_NAME, {"staff_id": staff_id})).scalar_one())


async def _dispenser(conn: AsyncConnection, actor: Actor, doctor_id: int) -> str:
    """The person who dispenses: the pharmacist printing, else the clinic's first active
    pharmacist, else the prescribing doctor (醫師親自調劑)."""
    if actor.staff_id is not None and actor.has(Role.PHARMACIST):
        return await _staff_name(conn, actor.staff_id)
    rows = (await conn.execute(_ACTIVE_STAFF, {"tenant_id": actor.tenant_id})).all()
    for r in rows:
        if Role.PHARMACIST.value in r.roles:
            return str(r.display_name)
    return await _staff_name(conn, doctor_id)


async def _drug_bag(
    conn: AsyncConnection, actor: Actor, visit: Row[Any], patient: Any, tenant: Any
) -> PrintDocument:
    rows = (await conn.execute(_DRUG_ITEMS, {"visit_id": visit.id})).all()
    if not rows:
        raise Conflict("error.print.no_drugs")
    items = []
    for r in rows:
        m = r._mapping
        if m[tenant_drugs.c.code] is None or not m[tenant_drugs.c.indication]:
            raise Conflict("error.print.drug_info_missing", code=m[orders.c.code])
        unit = m[tenant_drugs.c.unit] or "粒"
        items.append(
            DrugItem(
                name=m[tenant_drugs.c.name_zh],
                strength=m[tenant_drugs.c.strength] or "見藥名",
                dose=m[orders.c.dose],
                dose_unit=unit,
                frequency=m[orders.c.frequency],
                route=m[orders.c.route],
                days=m[orders.c.days],
                quantity=m[orders.c.total_quantity],
                quantity_unit=unit,
                indication=m[tenant_drugs.c.indication],
                warnings=m[tenant_drugs.c.warnings] or "無",
                side_effects=m[tenant_drugs.c.side_effects] or "無",
            )
        )
    return drug_bag(
        DrugBagData(
            clinic=await _clinic(conn, actor, tenant),
            patient_name=patient.name,
            patient_sex=patient.sex,
            dispensed_on=clinic_day(utc_now()),
            dispenser_name=await _dispenser(conn, actor, visit.doctor_id),
            chart_no=patient.chart_no,
            items=items,
        )
    )


async def _receipt(
    conn: AsyncConnection, actor: Actor, visit: Row[Any], patient: Any, tenant: Any
) -> PrintDocument:
    bill = (await conn.execute(_BILL, {"visit_id": visit.id})).first()
    if bill is None or bill.settled_at is None:
        raise Conflict("error.print.not_settled")
    rows = (await conn.execute(_ORDERS, {"visit_id": visit.id})).all()

    def points(kind: str) -> int:
        return sum(r.amount_points for r in rows if r.kind == kind and not r.self_pay)

    return receipt(
        ReceiptData(
            clinic=await _clinic(conn, actor, tenant),
            receipt_no=f"{visit.visit_date:%Y%m%d}-{visit.id}",
            visit_date=visit.visit_date,
            patient_name=patient.name,
            patient_sex=patient.sex,
            id_no=patient.national_id,
            birth_date=patient.birth_date,
            card_seq=visit.nhi_seq or visit.abnormal_code,
            copay_code=bill.copay_code,
            department_code=visit.department,
            session=Session(visit.session),
            doctor_name=await _staff_name(conn, visit.doctor_id),
            chart_no=patient.chart_no,
            nhi_points=NhiPoints(
                consultation=points("consult_fee"),
                drugs=points("drug"),
                pharmacy_service=points("pharmacy_fee"),
                procedure=points("procedure"),
            ),
            registration_fee=bill.registration_fee,
            copay_basic=bill.copay_basic,
            copay_drug=bill.copay_drug,
            self_pay=[
                SelfPayItem(name=r.name[:60], amount=r.amount_points) for r in rows if r.self_pay
            ],
            paid=bill.paid or 0,
            cashier=await _staff_name(conn, actor.staff_id) if actor.staff_id else None,
        )
    )


async def build_document(
    conn: AsyncConnection,
    actor: Actor,
    visit: Row[Any],
    kind: str,
    *,
    patient: Any = None,
    tenant: Any = None,
) -> PrintDocument:
    """The document of ``kind`` for ``visit``; ``patient`` and ``tenant`` rows are read here
    unless the caller already has them."""
    status = VisitStatus(visit.status)
    if status is VisitStatus.CANCELLED:
        raise Conflict("error.print.visit_cancelled")
    if patient is None:
        patient = (await conn.execute(_PATIENT, {"patient_id": visit.patient_id})).one()
    if kind == "drugbag":
        if status not in _FINISHED:
            raise Conflict("error.print.not_finished")
        return await _drug_bag(conn, actor, visit, patient, tenant)
    if kind == "rx":
        return prescription_slip(await rx_slip_data(conn, visit, patient))
    if kind == "receipt":
        if status not in _PAID:
            raise Conflict("error.print.not_settled")
        return await _receipt(conn, actor, visit, patient, tenant)
    return registration_slip(
        RegistrationSlipData(
            clinic=await _clinic(conn, actor, tenant),
            visit_date=visit.visit_date,
            session=Session(visit.session),
            queue_no=visit.visit_no,
            patient_name=patient.name,
            doctor_name=await _staff_name(conn, visit.doctor_id),
            department_code=visit.department,
            chart_no=patient.chart_no,
        )
    )
