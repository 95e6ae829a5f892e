"""Finishing a consultation: the 診察費 and 藥事服務費 orders picked by the NHI rules
(:mod:`clinicbox_core.nhi.consult_fee`), the 案件分類, and the move to ``to_bill``."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.tcm import TCM_DAILY_DRUG_FEE
from cloud_plane.db.tables_clinic import orders, visits
from cloud_plane.services import audit, mappers
from cloud_plane.services.actor import Actor
from cloud_plane.services.chronic import check_slip_drug_days
from cloud_plane.services.clock import utc_now
from cloud_plane.services.consultation import _doctor_context
from cloud_plane.services.fees_by_clinic import GENERAL_MAX_DAYS, fee_order_values, plan_fees
from cloud_plane.services.models import VisitDetail, VisitStatus
from cloud_plane.services.orders import insert_order_rows, next_ordinal
from cloud_plane.services.visit_context import detail, items

__all__ = [
    "GENERAL_MAX_DAYS",
    "age_in_years",
    "fee_order_values",
    "finish_consultation",
    "is_fee_row",
]

_DONE = (VisitStatus.TO_BILL.value, VisitStatus.BILLED.value, VisitStatus.DISPENSED.value)
_FEE_KINDS = ("consult_fee", "pharmacy_fee")


def age_in_years(born: date, on: date) -> int:
    """Completed years of age on ``on``."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


_DELETE_FEES = delete(orders).where(
    orders.c.visit_id == bindparam("visit_id"),
    or_(orders.c.kind.in_(_FEE_KINDS), orders.c.code == TCM_DAILY_DRUG_FEE),
)


def is_fee_row(r: object) -> bool:
    """Rows finishing adds (and removes again on reopen): fees and the TCM 每日藥費."""
    return getattr(r, "kind", None) in _FEE_KINDS or getattr(r, "code", None) == TCM_DAILY_DRUG_FEE


_UPDATE_VISIT = update(visits).where(visits.c.id == bindparam("visit_id"))
_RECODE = (
    update(orders)
    .where(orders.c.id == bindparam("order_id"))
    .values(
        code=bindparam("b_code"),
        name=bindparam("b_name"),
        unit_points=bindparam("b_unit_points", type_=orders.c.unit_points.type),
        amount_points=bindparam("b_amount_points"),
    )
)
# Visits of the clinic's day (``visit_date``) that already claim a 藥事服務費: the fee's daily
# tier (also used by the pharmacy's dispensing, cloud_plane.pharmacy.dispense).
PHARMACY_FEES_OF_DAY = (
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
)
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
    PHARMACY_FEES_OF_DAY.scalar_subquery().label("dispensed"),
)


async def finish_consultation(conn: AsyncConnection, actor: Actor, visit_id: int) -> VisitDetail:
    """Add the fee orders and move the visit to ``to_bill``. Needs at least one diagnosis."""
    v = await _doctor_context(conn, actor, visit_id)
    dx, all_orders = await items(conn, visit_id)
    if not dx:
        raise ValidationFailed("error.visit.no_diagnosis", field="diagnoses")
    kept = [r for r in all_orders if not is_fee_row(r)]
    if len(kept) != len(all_orders):
        await conn.execute(_DELETE_FEES, {"visit_id": visit_id})
    if v.refill_fills:
        check_slip_drug_days(v.refill_days, [mappers.order(r) for r in kept])
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
    plan = await plan_fees(
        conn, v, kept, ordinal=ordinal, dispensed_today=counts.dispensed, age=age
    )
    if plan.recode:
        await conn.execute(
            _RECODE,
            [
                {"order_id": k, **{f"b_{n}": x for n, x in val.items()}}
                for k, val in plan.recode.items()
            ],
        )
        kept = list((await items(conn, visit_id))[1])
    fees = plan.fees
    first = next_ordinal(kept)
    added = await insert_order_rows(
        conn, actor, visit_id, [{**f, "ordinal": first + i} for i, f in enumerate(fees)]
    )
    case_type = plan.case_type
    now = utc_now()
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
        consult_fee=plan.consult_code,
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
