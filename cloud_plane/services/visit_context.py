"""One round trip for what most visit steps read first: the visit with its patient, doctor and
clinic settings (or with its bill), and one more for the visit's diagnoses and orders together.

The joined row holds the ``visits`` columns under their own names and the other tables'
columns prefixed (``p_`` patient, ``d_`` doctor, ``t_`` tenant); :class:`.mappers.Prefixed`
reads one table back out so the ordinary mappers apply. With ``for_update`` the visit row (only
it: ``FOR UPDATE OF visits``) is locked on PostgreSQL, as :func:`.visit_state.load_visit` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, literal_column, null, select, type_coerce, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import NotFound
from cloud_plane.db.tables_clinic import (
    bills,
    diagnoses,
    orders,
    patients,
    staff,
    tenants,
    visits,
)
from cloud_plane.services import mappers
from cloud_plane.services.actor import Actor
from cloud_plane.services.mappers import Prefixed
from cloud_plane.services.models import Diagnosis, Order, VisitDetail

_STAFF_COLUMNS = ("id", "username", "display_name", "roles", "national_id", "active")
# What the steps use: the printed clinic header, the dispensing mode, the billing settings.
_TENANT_COLUMNS = (
    "nhi_code", "name", "address", "phone", "clinic_type", "dispensing", "nurse_present",
)  # fmt: skip
_BILLING_TENANT_COLUMNS = ("clinic_type", "registration_fee")

_CONTEXT = (
    select(
        visits,
        *(c.label(f"p_{c.name}") for c in patients.c),
        *(staff.c[n].label(f"d_{n}") for n in _STAFF_COLUMNS),
        *(tenants.c[n].label(f"t_{n}") for n in _TENANT_COLUMNS),
    )
    .join(patients, patients.c.id == visits.c.patient_id)
    .join(staff, staff.c.id == visits.c.doctor_id)
    .join(tenants, tenants.c.id == visits.c.tenant_id)
    .where(visits.c.id == bindparam("visit_id"), visits.c.tenant_id == bindparam("tenant_id"))
)
_CONTEXT_LOCKED = _CONTEXT.with_for_update(of=visits)

_BILLING = (
    select(
        visits,
        *(tenants.c[n].label(f"t_{n}") for n in _BILLING_TENANT_COLUMNS),
        *(c.label(f"b_{c.name}") for c in bills.c),
    )
    .join(tenants, tenants.c.id == visits.c.tenant_id)
    .outerjoin(bills, (bills.c.visit_id == visits.c.id) & (bills.c.tenant_id == visits.c.tenant_id))
    .where(visits.c.id == bindparam("visit_id"), visits.c.tenant_id == bindparam("tenant_id"))
)
_BILLING_LOCKED = _BILLING.with_for_update(of=visits)

DIAGNOSES = (
    select(diagnoses)
    .where(diagnoses.c.visit_id == bindparam("visit_id"))
    .order_by(diagnoses.c.ordinal)
)
ORDERS = select(orders).where(orders.c.visit_id == bindparam("visit_id")).order_by(orders.c.ordinal)

# Orders and diagnoses of a visit in one statement: orders first (their column types drive the
# result processing), diagnoses padded with NULLs for the order-only columns.
_ORDER_ONLY = (
    "kind",
    "dose",
    "frequency",
    "route",
    "days",
    "total_quantity",
    "unit_points",
    "amount_points",
    "self_pay",
    "position",
    "dose_per",
)
_ITEMS = union_all(
    select(
        literal_column("'o'").label("src"),
        orders.c.id,
        orders.c.ordinal,
        orders.c.code,
        orders.c.name,
        *(orders.c[n] for n in _ORDER_ONLY),
    ).where(orders.c.visit_id == bindparam("visit_id")),
    select(
        literal_column("'d'").label("src"),
        diagnoses.c.id,
        diagnoses.c.ordinal,
        diagnoses.c.code,
        diagnoses.c.name,
        *(type_coerce(null(), orders.c[n].type).label(n) for n in _ORDER_ONLY),
    ).where(diagnoses.c.visit_id == bindparam("visit_id")),
).order_by(literal_column("src"), literal_column("ordinal"))


async def load_context(
    conn: AsyncConnection, actor: Actor, visit_id: int, *, for_update: bool = False
) -> Row[Any]:
    """The visit of the actor's tenant joined with its patient, doctor and tenant."""
    locked = for_update and conn.dialect.name == "postgresql"
    stmt = _CONTEXT_LOCKED if locked else _CONTEXT
    row = (await conn.execute(stmt, {"visit_id": visit_id, "tenant_id": actor.tenant_id})).first()
    if row is None:
        raise NotFound("error.visit.not_found", id=visit_id)
    return row


async def load_billing(
    conn: AsyncConnection, actor: Actor, visit_id: int, *, for_update: bool = False
) -> Row[Any]:
    """The visit of the actor's tenant with its clinic's billing settings (``t_``) and its bill
    (``b_`` columns, all None when there is none yet)."""
    locked = for_update and conn.dialect.name == "postgresql"
    stmt = _BILLING_LOCKED if locked else _BILLING
    row = (await conn.execute(stmt, {"visit_id": visit_id, "tenant_id": actor.tenant_id})).first()
    if row is None:
        raise NotFound("error.visit.not_found", id=visit_id)
    return row


async def items(conn: AsyncConnection, visit_id: int) -> tuple[list[Row[Any]], list[Row[Any]]]:
    """The visit's diagnoses and orders (each by ordinal) in one round trip."""
    dx: list[Row[Any]] = []
    ox: list[Row[Any]] = []
    for r in (await conn.execute(_ITEMS, {"visit_id": visit_id})).all():
        (ox if r.src == "o" else dx).append(r)
    return dx, ox


async def diagnosis_rows(conn: AsyncConnection, visit_id: int) -> Sequence[Row[Any]]:
    return (await conn.execute(DIAGNOSES, {"visit_id": visit_id})).all()


async def order_rows(conn: AsyncConnection, visit_id: int) -> Sequence[Row[Any]]:
    return (await conn.execute(ORDERS, {"visit_id": visit_id})).all()


def detail(
    ctx: Row[Any],
    dx: Sequence[Row[Any]] | Sequence[Diagnosis],
    ox: Sequence[Row[Any]] | Sequence[Order],
    **visit_changes: Any,
) -> VisitDetail:
    """The detail from a context row, with the visit fields this transaction set itself."""
    visit = mappers.visit(ctx)
    if visit_changes:
        visit = visit.model_copy(update=visit_changes)
    return VisitDetail(
        visit=visit,
        patient=mappers.patient(Prefixed(ctx, "p_")),
        doctor=mappers.staff(Prefixed(ctx, "d_")),
        diagnoses=tuple(d if isinstance(d, Diagnosis) else mappers.diagnosis(d) for d in dx),
        orders=tuple(o if isinstance(o, Order) else mappers.order(o) for o in ox),
    )
