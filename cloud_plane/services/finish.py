"""Finishing a consultation: the 診察費 and 藥事服務費 orders picked by the NHI rules
(:mod:`clinicbox_core.nhi.consult_fee`), the 案件分類, and the move to ``to_bill``."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict, ValidationFailed
from clinicbox_core.nhi.consult_fee import (
    Dispensing,
    consultation_fee_code,
    pharmacy_service_fee_code,
)
from clinicbox_core.nhi.visit_codes import western_case_type
from cloud_plane.db.tables_clinic import diagnoses, orders, patients, tenants, visits
from cloud_plane.refdata.lookup import fee_row
from cloud_plane.services import audit
from cloud_plane.services.actor import Actor
from cloud_plane.services.clock import utc_now
from cloud_plane.services.consultation import _detail, _doctor_edit
from cloud_plane.services.models import VisitDetail, VisitStatus
from cloud_plane.services.orders import insert_order
from cloud_plane.services.visit_state import load_visit

GENERAL_MAX_DAYS = 7  # 一般處方 ≤ 7 天; longer is claimed as a chronic prescription
_DONE = (VisitStatus.TO_BILL.value, VisitStatus.BILLED.value, VisitStatus.DISPENSED.value)


def age_in_years(born: date, on: date) -> int:
    """Completed years of age on ``on``."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


async def _add_fee(
    conn: AsyncConnection,
    actor: Actor,
    visit_id: int,
    on: date,
    code: str,
    kind: str,
    ratio: Decimal = Decimal(100),
) -> None:
    ref = await fee_row(conn, code, on)
    if ref is None:
        raise Conflict("error.fee.not_in_schedule", code=code, on=on.isoformat())
    unit = (Decimal(ref.points) * ratio / 100).quantize(Decimal("0.01"))
    await insert_order(
        conn,
        actor,
        visit_id,
        kind=kind,
        code=code,
        name=ref.name_zh,
        total_quantity=Decimal(1),
        unit_points=unit,
        amount_points=int(unit.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        self_pay=False,
    )


async def finish_consultation(conn: AsyncConnection, actor: Actor, visit_id: int) -> VisitDetail:
    """Add the fee orders and move the visit to ``to_bill``. Needs at least one diagnosis."""
    patient_id = await _doctor_edit(conn, actor, visit_id)
    v = await load_visit(conn, actor, visit_id)
    n_dx = (
        await conn.execute(select(func.count()).where(diagnoses.c.visit_id == visit_id))
    ).scalar_one()
    if n_dx == 0:
        raise ValidationFailed("error.visit.no_diagnosis", field="diagnoses")
    await conn.execute(
        delete(orders).where(
            orders.c.visit_id == visit_id, orders.c.kind.in_(("consult_fee", "pharmacy_fee"))
        )
    )
    drug_rows = (
        await conn.execute(
            select(orders.c.days).where(
                orders.c.visit_id == visit_id,
                orders.c.kind == "drug",
                orders.c.self_pay.is_(False),
            )
        )
    ).all()
    tenant = (await conn.execute(select(tenants).where(tenants.c.id == actor.tenant_id))).one()
    born = (
        await conn.execute(select(patients.c.birth_date).where(patients.c.id == patient_id))
    ).scalar_one()
    dispensing: Dispensing = (
        "none" if not drug_rows else "delegated" if tenant.dispensing == "deliver" else "self"
    )
    ordinal = (
        1
        + (
            await conn.execute(
                select(func.count()).where(
                    visits.c.tenant_id == actor.tenant_id,
                    visits.c.doctor_id == v.doctor_id,
                    visits.c.visit_date == v.visit_date,
                    visits.c.status.in_(_DONE),
                    visits.c.id != visit_id,
                )
            )
        ).scalar_one()
    )
    fee = consultation_fee_code(v.visit_date, ordinal, dispensing, age_in_years(born, v.visit_date))
    await _add_fee(conn, actor, visit_id, v.visit_date, fee.code, "consult_fee", fee.ratio_p8)
    max_days = max((r.days or 1 for r in drug_rows), default=0)
    chronic = max_days > GENERAL_MAX_DAYS
    if dispensing == "self":
        dispensed_before = (
            await conn.execute(
                select(func.count(func.distinct(orders.c.visit_id)))
                .select_from(orders.join(visits, visits.c.id == orders.c.visit_id))
                .where(
                    orders.c.tenant_id == actor.tenant_id,
                    orders.c.kind == "pharmacy_fee",
                    visits.c.visit_date == v.visit_date,
                )
            )
        ).scalar_one()
        code = pharmacy_service_fee_code(
            v.visit_date,
            "clinic_pharmacist",
            "chronic" if chronic else "general",
            max_days,
            dispensed_before + 1,
        )
        if code is not None:
            await _add_fee(conn, actor, visit_id, v.visit_date, code, "pharmacy_fee")
    now = utc_now()
    await conn.execute(
        update(visits)
        .where(visits.c.id == visit_id)
        .values(
            status=VisitStatus.TO_BILL.value,
            case_type=western_case_type(chronic_only=chronic),
            finished_at=now,
            updated_at=now,
        )
    )
    await audit.record(
        conn,
        actor,
        "update",
        "visit",
        visit_id,
        patient_id=patient_id,
        status="to_bill",
        consult_fee=fee.code,
        ordinal=ordinal,
    )
    return await _detail(conn, actor, visit_id)
