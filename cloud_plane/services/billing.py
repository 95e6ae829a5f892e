"""The bill of a visit: NHI points, registration fee, 部分負擔 (by
:func:`clinicbox_core.nhi.copay.compute_copay` as of the visit date), self-pay items, settling."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.copay import CopayInput, InstitutionLevel, VisitKind, compute_copay
from cloud_plane.db.tables_clinic import bills, visits
from cloud_plane.services import audit
from cloud_plane.services.actor import Actor, Role, require_role
from cloud_plane.services.clock import utc_now
from cloud_plane.services.mappers import Prefixed, RowLike
from cloud_plane.services.models import Bill, VisitStatus
from cloud_plane.services.visit_context import load_billing, order_rows
from cloud_plane.services.visit_state import check_transition, require_status

LEVEL_OF_CLINIC = {
    "western": InstitutionLevel.WESTERN_PRIMARY,
    "dental": InstitutionLevel.DENTAL_PRIMARY,
    "tcm": InstitutionLevel.TCM_PRIMARY,
    "pharmacy": InstitutionLevel.PHARMACY,
}
EMERGENCY_VISIT_TYPE = "04"
_BILL_ROLES = (Role.FRONT_DESK, Role.CLINIC_ADMIN)


def _bill(r: RowLike) -> Bill:
    return Bill(
        visit_id=r.visit_id,
        registration_fee=r.registration_fee,
        copay=r.copay,
        copay_basic=r.copay_basic,
        copay_drug=r.copay_drug,
        copay_code=r.copay_code,
        nhi_points=r.nhi_points,
        self_pay_total=r.self_pay_total,
        amount_due=r.amount_due,
        paid=r.paid,
        change=None if r.paid is None else r.paid - r.amount_due,
        computed_at=r.computed_at,
        settled_at=r.settled_at,
    )


_STORED = select(bills).where(
    bills.c.visit_id == bindparam("visit_id"), bills.c.tenant_id == bindparam("tenant_id")
)
_INSERT_BILL = bills.insert().returning(*bills.c)
_UPDATE_BILL = update(bills).where(bills.c.id == bindparam("bill_id")).returning(*bills.c)
_SETTLE_BILL = (
    update(bills)
    .where(bills.c.visit_id == bindparam("of_visit"), bills.c.tenant_id == bindparam("of_tenant"))
    .returning(*bills.c)
)
_UPDATE_VISIT = update(visits).where(visits.c.id == bindparam("visit_id"))


async def _stored(conn: AsyncConnection, actor: Actor, visit_id: int) -> Row[Any] | None:
    params = {"visit_id": visit_id, "tenant_id": actor.tenant_id}
    return (await conn.execute(_STORED, params)).first()


async def _compute(
    conn: AsyncConnection, visit: Row[Any], exemption_code: str | None
) -> dict[str, Any]:
    """The bill's amounts; ``visit`` is a :func:`.visit_context.load_billing` row."""
    rows = await order_rows(conn, visit.id)
    nhi_points = sum(r.amount_points for r in rows if not r.self_pay)
    drug_points = sum(r.amount_points for r in rows if not r.self_pay and r.kind == "drug")
    self_pay_total = sum(r.amount_points for r in rows if r.self_pay)
    copay = compute_copay(
        CopayInput(
            on=visit.visit_date,
            institution_level=LEVEL_OF_CLINIC[visit.t_clinic_type],
            visit_kind=(
                VisitKind.EMERGENCY
                if visit.visit_type == EMERGENCY_VISIT_TYPE
                else VisitKind.GENERAL
            ),
            drug_points=drug_points,
            exemption_code=exemption_code,
        )
    )
    return {
        "registration_fee": visit.t_registration_fee,
        "copay": copay.total,
        "copay_basic": copay.basic,
        "copay_drug": copay.drug,
        "copay_code": copay.code_d15,
        "nhi_points": nhi_points,
        "self_pay_total": self_pay_total,
        "amount_due": visit.t_registration_fee + copay.total + self_pay_total,
    }


async def compute_bill(
    conn: AsyncConnection, actor: Actor, visit_id: int, *, exemption_code: str | None = None
) -> Bill:
    """(Re)compute the bill of a finished consultation; a settled bill is returned as stored.
    ``exemption_code``: a 部分負擔 exemption (001 重大傷病, 003 低收 ...) when it applies."""
    require_role(actor, *_BILL_ROLES)
    visit = await load_billing(conn, actor, visit_id, for_update=True)
    status = VisitStatus(visit.status)
    stored = Prefixed(visit, "b_") if visit.b_id is not None else None
    if stored is not None and stored.settled_at is not None:
        await audit.record(conn, actor, "read", "bill", stored.id, patient_id=visit.patient_id)
        return _bill(stored)
    require_status(status, VisitStatus.TO_BILL)
    values = await _compute(conn, visit, exemption_code)
    now = utc_now()
    action: audit.Action
    if stored is None:
        params = {"tenant_id": actor.tenant_id, "visit_id": visit_id, "computed_at": now}
        row = (await conn.execute(_INSERT_BILL, {**params, **values})).one()
        action = "create"
    else:
        params = {"bill_id": stored.id, "computed_at": now}
        row = (await conn.execute(_UPDATE_BILL, {**params, **values})).one()
        action = "update"
    await conn.execute(
        _UPDATE_VISIT,
        {"visit_id": visit_id, "copay_code": values["copay_code"], "updated_at": now},
    )
    await audit.record(
        conn,
        actor,
        action,
        "bill",
        row.id,
        patient_id=visit.patient_id,
        amount_due=values["amount_due"],
    )
    return _bill(row)


async def settle(
    conn: AsyncConnection, actor: Actor, visit_id: int, paid: int, *, now: datetime | None = None
) -> Bill:
    """Record the payment (元) of the current bill; the visit becomes ``billed``."""
    require_role(actor, *_BILL_ROLES)
    visit = await load_billing(conn, actor, visit_id, for_update=True)
    check_transition(VisitStatus(visit.status), VisitStatus.BILLED)
    stored = Prefixed(visit, "b_") if visit.b_id is not None else None
    bill = await compute_bill(conn, actor, visit_id) if stored is None else _bill(stored)
    if paid < bill.amount_due:
        raise ValidationFailed(
            "error.bill.underpaid", field="paid", amount_due=bill.amount_due, paid=paid
        )
    now = now or utc_now()
    params = {"of_visit": visit_id, "of_tenant": actor.tenant_id, "paid": paid, "settled_at": now}
    row = (await conn.execute(_SETTLE_BILL, params)).one()
    await conn.execute(
        _UPDATE_VISIT,
        {"visit_id": visit_id, "status": VisitStatus.BILLED.value, "updated_at": now},
    )
    await audit.record(
        conn, actor, "update", "bill", row.id, patient_id=visit.patient_id, paid=paid
    )
    return _bill(row)
