"""組套 (a doctor's saved sets of diagnoses and orders) and "repeat last prescription".

A set is saved from the visit on screen (its diagnoses and its non-fee orders) under a name,
per doctor. Applying a set, or repeating the patient's last prescription, enters each line
through the same service as typing it (:mod:`.orders`, :mod:`.orders_tcm`,
:mod:`.consultation`), so every line is validated as of *this* visit's date: a drug delisted
since the set was saved is refused with its code named, and nothing of the set is applied.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict, NotFound, ValidationFailed
from cloud_plane.db.tables_clinic import order_sets, orders, visits
from cloud_plane.services import audit
from cloud_plane.services.actor import Actor, Role, require_role
from cloud_plane.services.clock import utc_now
from cloud_plane.services.consultation import _doctor_context, add_diagnosis
from cloud_plane.services.models import VisitDetail, VisitStatus
from cloud_plane.services.orders import add_drug_order, add_procedure_order
from cloud_plane.services.orders_tcm import add_herb_order
from cloud_plane.services.visit_context import detail, items

__all__ = [
    "OrderSetEntry",
    "apply_order_set",
    "list_order_sets",
    "repeat_last_prescription",
    "save_order_set",
]

MAX_NAME = 40
_DONE = (VisitStatus.TO_BILL.value, VisitStatus.BILLED.value, VisitStatus.DISPENSED.value)

OrderSetEntry = tuple[int, str, int]  # id, name, number of lines

_SETS = (
    select(order_sets.c.id, order_sets.c.name, order_sets.c.body)
    .where(
        order_sets.c.tenant_id == bindparam("tenant_id"),
        order_sets.c.doctor_id == bindparam("doctor_id"),
    )
    .order_by(order_sets.c.name)
)
_SET = select(order_sets).where(
    order_sets.c.id == bindparam("set_id"),
    order_sets.c.tenant_id == bindparam("tenant_id"),
    order_sets.c.doctor_id == bindparam("doctor_id"),
)
_LAST_RX_VISIT = (
    select(visits.c.id)
    .where(
        visits.c.tenant_id == bindparam("tenant_id"),
        visits.c.patient_id == bindparam("patient_id"),
        visits.c.id != bindparam("visit_id"),
        visits.c.status.in_(_DONE),
        visits.c.id.in_(select(orders.c.visit_id).where(orders.c.kind == "drug")),
    )
    .order_by(visits.c.visit_date.desc(), visits.c.id.desc())
    .limit(1)
)


def _line(r: Any) -> dict[str, Any] | None:
    """The part of an order row a set keeps (fee rows and the TCM 每日藥費 are not kept)."""
    if r.kind == "drug" and r.amount_points == 0 and r.dose_per == "D":
        return {"kind": "herb", "code": r.code, "dose": str(r.dose), "days": r.days,
                "frequency": r.frequency}  # fmt: skip
    if r.kind == "drug" and r.unit_points and r.dose is not None:
        return {"kind": "drug", "code": r.code, "dose": str(r.dose), "frequency": r.frequency,
                "route": r.route, "days": r.days, "self_pay": bool(r.self_pay)}  # fmt: skip
    if r.kind == "procedure":
        return {"kind": "procedure", "code": r.code, "tooth": r.position or ""}
    return None


def _tooth_text(position: str) -> str:
    return " ".join(position[i : i + 2] for i in range(0, len(position), 2))


async def save_order_set(conn: AsyncConnection, actor: Actor, visit_id: int, name: str) -> int:
    """Save the visit's diagnoses and orders as the doctor's set ``name`` (replacing one of the
    same name); the set's id."""
    ctx = await _doctor_context(conn, actor, visit_id)
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationFailed("error.order_set.bad_name", field="set_name", max=MAX_NAME)
    dx, ox = await items(conn, visit_id)
    lines = [line for r in ox if (line := _line(r)) is not None]
    if not dx and not lines:
        raise ValidationFailed("error.order_set.empty", field="set_name")
    body = {"diagnoses": [d.code for d in dx], "orders": lines}
    existing = (
        await conn.execute(
            select(order_sets.c.id).where(
                order_sets.c.tenant_id == actor.tenant_id,
                order_sets.c.doctor_id == actor.staff_id,
                order_sets.c.name == name,
            )
        )
    ).scalar()
    if existing is not None:
        await conn.execute(order_sets.update().where(order_sets.c.id == existing).values(body=body))
        set_id = int(existing)
    else:
        set_id = int(
            (
                await conn.execute(
                    order_sets.insert()
                    .values(
                        tenant_id=actor.tenant_id,
                        doctor_id=actor.staff_id,
                        name=name,
                        body=body,
                        created_at=utc_now(),
                    )
                    .returning(order_sets.c.id)
                )
            ).scalar_one()
        )
    await audit.record(
        conn, actor, "create", "order_set", set_id, patient_id=ctx.patient_id, name=name
    )
    return set_id


async def list_order_sets(conn: AsyncConnection, actor: Actor) -> list[OrderSetEntry]:
    """The logged-in doctor's sets: (id, name, number of lines)."""
    require_role(actor, Role.DOCTOR)
    rows = (
        await conn.execute(_SETS, {"tenant_id": actor.tenant_id, "doctor_id": actor.staff_id})
    ).all()
    return [
        (r.id, r.name, len(r.body.get("diagnoses", [])) + len(r.body.get("orders", [])))
        for r in rows
    ]


async def _apply(
    conn: AsyncConnection, actor: Actor, visit_id: int, body: dict[str, Any]
) -> VisitDetail:
    dx, _ = await items(conn, visit_id)
    have = {d.code for d in dx}
    for code in body.get("diagnoses", []):
        if code not in have:
            await add_diagnosis(conn, actor, visit_id, code)
            have.add(code)
    for line in body.get("orders", []):
        kind = line.get("kind")
        if kind == "drug":
            await add_drug_order(
                conn,
                actor,
                visit_id,
                drug_code=line["code"],
                dose=Decimal(line["dose"]),
                frequency=line["frequency"],
                route=line["route"],
                days=int(line["days"]),
                self_pay=bool(line.get("self_pay")),
            )
        elif kind == "herb":
            await add_herb_order(
                conn,
                actor,
                visit_id,
                code=line["code"],
                grams_per_day=Decimal(line["dose"]),
                days=int(line["days"]),
                frequency=line.get("frequency") or "TID",
            )
        elif kind == "procedure":
            tooth = _tooth_text(line.get("tooth") or "")
            await add_procedure_order(conn, actor, visit_id, line["code"], tooth=tooth or None)
    ctx = await _doctor_context(conn, actor, visit_id)
    return detail(ctx, *await items(conn, visit_id))


async def apply_order_set(
    conn: AsyncConnection, actor: Actor, visit_id: int, set_id: int
) -> VisitDetail:
    """Enter every line of set ``set_id`` on the visit (all or nothing)."""
    ctx = await _doctor_context(conn, actor, visit_id)
    row = (
        await conn.execute(
            _SET,
            {"set_id": set_id, "tenant_id": actor.tenant_id, "doctor_id": actor.staff_id},
        )
    ).first()
    if row is None:
        raise NotFound("error.order_set.not_found", id=set_id)
    result = await _apply(conn, actor, visit_id, row.body)
    await audit.record(
        conn, actor, "update", "visit", visit_id, patient_id=ctx.patient_id, order_set=set_id
    )
    return result


async def repeat_last_prescription(
    conn: AsyncConnection, actor: Actor, visit_id: int
) -> VisitDetail:
    """Enter the drugs (and diagnoses) of the patient's last finished visit with drugs."""
    ctx = await _doctor_context(conn, actor, visit_id)
    last = (
        await conn.execute(
            _LAST_RX_VISIT,
            {"tenant_id": actor.tenant_id, "patient_id": ctx.patient_id, "visit_id": visit_id},
        )
    ).scalar()
    if last is None:
        raise Conflict("error.order_set.no_last_prescription", field="repeat")
    dx, ox = await items(conn, int(last))
    lines = [line for r in ox if (line := _line(r)) is not None and line["kind"] != "procedure"]
    result = await _apply(conn, actor, visit_id, {"diagnoses": [d.code for d in dx],
                                                   "orders": lines})  # fmt: skip
    await audit.record(
        conn, actor, "update", "visit", visit_id, patient_id=ctx.patient_id, repeated_from=last
    )
    return result
