"""Finishing a consultation: the 診察費 and 藥事服務費 orders picked by the NHI rules
(:mod:`clinicbox_core.nhi.consult_fee`), the 案件分類, and the move to ``to_bill``."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict, ValidationFailed
from clinicbox_core.nhi.consult_fee import (
    Dispensing,
    consultation_fee_code,
    pharmacy_service_fee_code,
)
from clinicbox_core.nhi.visit_codes import western_case_type
from cloud_plane.db.tables_clinic import orders, visits
from cloud_plane.services import audit, refcache
from cloud_plane.services.actor import Actor
from cloud_plane.services.clock import utc_now
from cloud_plane.services.consultation import _doctor_context
from cloud_plane.services.models import VisitDetail, VisitStatus
from cloud_plane.services.orders import insert_order_rows, next_ordinal
from cloud_plane.services.visit_context import detail, items

GENERAL_MAX_DAYS = 7  # 一般處方 ≤ 7 天; longer is claimed as a chronic prescription
_DONE = (VisitStatus.TO_BILL.value, VisitStatus.BILLED.value, VisitStatus.DISPENSED.value)
_FEE_KINDS = ("consult_fee", "pharmacy_fee")


def age_in_years(born: date, on: date) -> int:
    """Completed years of age on ``on``."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


_DELETE_FEES = delete(orders).where(
    orders.c.visit_id == bindparam("visit_id"), orders.c.kind.in_(_FEE_KINDS)
)
_UPDATE_VISIT = update(visits).where(visits.c.id == bindparam("visit_id"))
# The visit's place in its doctor's day (for the 診察費 tier) and the pharmacy-fee visits of the
# clinic's day so far (for the 藥事服務費 tier), in one round trip.
_DAY_COUNTS = select(
    select(func.count())
    .where(
        visits.c.tenant_id == bindparam("tenant_id"),
        visits.c.doctor_id == bindparam("doctor_id"),
        visits.c.visit_date == bindparam("visit_date"),
        visits.c.status.in_(_DONE),
        visits.c.id != bindparam("visit_id"),
    )
    .scalar_subquery()
    .label("done"),
    select(func.count(func.distinct(orders.c.visit_id)))
    .select_from(orders.join(visits, visits.c.id == orders.c.visit_id))
    .where(
        orders.c.tenant_id == bindparam("tenant_id"),
        orders.c.kind == "pharmacy_fee",
        # the same tenant on the visit side lets the day's visits come from ix_visits_tenant_date
        # instead of a scan of every order the clinic ever wrote
        visits.c.tenant_id == bindparam("tenant_id"),
        visits.c.visit_date == bindparam("visit_date"),
    )
    .scalar_subquery()
    .label("dispensed"),
)


async def fee_order_values(
    conn: AsyncConnection, on: date, code: str, kind: str, ratio: Decimal = Decimal(100)
) -> dict[str, Any]:
    """The order values of fee ``code`` as of ``on`` (points × ``ratio`` %)."""
    ref = await refcache.fee_row(conn, code, on)
    if ref is None:
        raise Conflict("error.fee.not_in_schedule", code=code, on=on.isoformat())
    unit = (Decimal(ref.points) * ratio / 100).quantize(Decimal("0.01"))
    return {
        "kind": kind,
        "code": code,
        "name": ref.name_zh,
        "total_quantity": Decimal(1),
        "unit_points": unit,
        "amount_points": int(unit.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        "self_pay": False,
    }


async def finish_consultation(conn: AsyncConnection, actor: Actor, visit_id: int) -> VisitDetail:
    """Add the fee orders and move the visit to ``to_bill``. Needs at least one diagnosis."""
    v = await _doctor_context(conn, actor, visit_id)
    dx, all_orders = await items(conn, visit_id)
    if not dx:
        raise ValidationFailed("error.visit.no_diagnosis", field="diagnoses")
    kept = [r for r in all_orders if r.kind not in _FEE_KINDS]
    if len(kept) != len(all_orders):
        await conn.execute(_DELETE_FEES, {"visit_id": visit_id})
    drug_rows = [r for r in kept if r.kind == "drug" and not r.self_pay]
    dispensing: Dispensing = (
        "none" if not drug_rows else "delegated" if v.t_dispensing == "deliver" else "self"
    )
    counts = (
        await conn.execute(
            _DAY_COUNTS,
            {
                "tenant_id": actor.tenant_id,
                "doctor_id": v.doctor_id,
                "visit_date": v.visit_date,
                "visit_id": visit_id,
            },
        )
    ).one()
    ordinal = 1 + counts.done
    age = age_in_years(v.p_birth_date, v.visit_date)
    fee = consultation_fee_code(v.visit_date, ordinal, dispensing, age)
    fees = [await fee_order_values(conn, v.visit_date, fee.code, "consult_fee", fee.ratio_p8)]
    max_days = max((r.days or 1 for r in drug_rows), default=0)
    chronic = max_days > GENERAL_MAX_DAYS
    if dispensing == "self":
        code = pharmacy_service_fee_code(
            v.visit_date,
            "clinic_pharmacist",
            "chronic" if chronic else "general",
            max_days,
            counts.dispensed + 1,
        )
        if code is not None:
            fees.append(await fee_order_values(conn, v.visit_date, code, "pharmacy_fee"))
    first = next_ordinal(kept)
    added = await insert_order_rows(
        conn, actor, visit_id, [{**f, "ordinal": first + i} for i, f in enumerate(fees)]
    )
    now = utc_now()
    case_type = western_case_type(chronic_only=chronic)
    await conn.execute(
        _UPDATE_VISIT,
        {
            "visit_id": visit_id,
            "status": VisitStatus.TO_BILL.value,
            "case_type": case_type,
            "finished_at": now,
            "updated_at": now,
        },
    )
    await audit.record(
        conn,
        actor,
        "update",
        "visit",
        visit_id,
        patient_id=v.patient_id,
        status="to_bill",
        consult_fee=fee.code,
        ordinal=ordinal,
    )
    return detail(
        v,
        dx,
        [*kept, *added],
        status=VisitStatus.TO_BILL,
        case_type=case_type,
        finished_at=now,
    )
