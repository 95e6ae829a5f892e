"""The patient's history on the doctor's screen: past visits with their diagnoses and orders,
the allergies, and which of this visit's orders conflict with an allergy.

Allergies are free text on the patient (one entry per line or separated by 、,;). A drug order
conflicts when an allergy entry (two characters or more) appears, case-insensitively, in the
order's code, its name on the order (the clinic's zh name) or its NHI English product name
(which carries the ingredient, e.g. "AMOXICILLIN CAPSULES 500MG"). Matching is by text, not by
drug class: an allergy to "penicillin" does not flag amoxicillin; enter the ingredient.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import ValidationFailed
from cloud_plane.db.tables_clinic import diagnoses, orders, patients, staff, visits
from cloud_plane.services import audit
from cloud_plane.services.actor import Actor, Role, require_role
from cloud_plane.services.clock import utc_now
from cloud_plane.services.mappers import order as order_of
from cloud_plane.services.models import Order, VisitStatus

__all__ = [
    "HISTORY_VISITS",
    "MAX_ALLERGIES",
    "PastVisit",
    "allergy_conflicts",
    "allergy_entries",
    "patient_history",
    "set_allergies",
]

HISTORY_VISITS = 10
MAX_ALLERGIES = 500
_DONE = (VisitStatus.TO_BILL.value, VisitStatus.BILLED.value, VisitStatus.DISPENSED.value)


class PastVisit(BaseModel):
    model_config = ConfigDict(frozen=True)

    visit_id: int
    visit_date: date
    doctor_name: str
    case_type: str
    chief_complaint: str
    diagnoses: tuple[tuple[str, str], ...]  # (code, name)
    orders: tuple[Order, ...]
    refill_fills: int | None
    refill_days: int | None


_VISITS = (
    select(
        visits.c.id,
        visits.c.visit_date,
        visits.c.case_type,
        visits.c.chief_complaint,
        visits.c.refill_fills,
        visits.c.refill_days,
        staff.c.display_name,
    )
    .join(staff, staff.c.id == visits.c.doctor_id)
    .where(
        visits.c.tenant_id == bindparam("tenant_id"),
        visits.c.patient_id == bindparam("patient_id"),
        visits.c.id != bindparam("except_visit"),
        visits.c.status.in_(_DONE),
    )
    .order_by(visits.c.visit_date.desc(), visits.c.id.desc())
    .limit(bindparam("limit"))
)
_DX = (
    select(diagnoses.c.visit_id, diagnoses.c.code, diagnoses.c.name)
    .where(diagnoses.c.visit_id.in_(bindparam("ids", expanding=True)))
    .order_by(diagnoses.c.visit_id, diagnoses.c.ordinal)
)
_ORDERS = (
    select(orders)
    .where(orders.c.visit_id.in_(bindparam("ids", expanding=True)))
    .order_by(orders.c.visit_id, orders.c.ordinal)
)


async def patient_history(
    conn: AsyncConnection, actor: Actor, patient_id: int, *, except_visit: int = 0
) -> list[PastVisit]:
    """The patient's last :data:`HISTORY_VISITS` finished visits at this clinic, newest first."""
    require_role(actor, Role.DOCTOR, Role.PHARMACIST, Role.CLINIC_ADMIN)
    rows = (
        await conn.execute(
            _VISITS,
            {
                "tenant_id": actor.tenant_id,
                "patient_id": patient_id,
                "except_visit": except_visit,
                "limit": HISTORY_VISITS,
            },
        )
    ).all()
    ids = [r.id for r in rows]
    dx: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    ox: dict[int, list[Order]] = {i: [] for i in ids}
    if ids:
        for d in (await conn.execute(_DX, {"ids": ids})).all():
            dx[d.visit_id].append((d.code, d.name))
        for o in (await conn.execute(_ORDERS, {"ids": ids})).all():
            ox[o.visit_id].append(order_of(o))
    await audit.record(conn, actor, "read", "history", patient_id, patient_id=patient_id)
    return [
        PastVisit(
            visit_id=r.id,
            visit_date=r.visit_date,
            doctor_name=r.display_name,
            case_type=r.case_type,
            chief_complaint=r.chief_complaint,
            diagnoses=tuple(dx[r.id]),
            orders=tuple(ox[r.id]),
            refill_fills=r.refill_fills,
            refill_days=r.refill_days,
        )
        for r in rows
    ]


def allergy_entries(allergies: str) -> list[str]:
    """The entries of the free-text allergy field (lines or 、,;，； separated)."""
    return [a.strip() for a in re.split(r"[\n、,;，；]+", allergies) if len(a.strip()) >= 2]


def allergy_conflicts(
    allergies: str, ox: Sequence[Order], other_names: Mapping[str, str] | None = None
) -> dict[int, str]:
    """``{order id: allergy entry}`` for each drug order an allergy entry names;
    ``other_names`` maps a drug code to more names to search (the NHI English name)."""
    entries = allergy_entries(allergies)
    found: dict[int, str] = {}
    extra = other_names or {}
    for o in ox:
        if o.kind != "drug":
            continue
        haystack = f"{o.code} {o.name} {extra.get(o.code, '')}".casefold()
        for entry in entries:
            if entry.casefold() in haystack:
                found[o.id] = entry
                break
    return found


async def set_allergies(conn: AsyncConnection, actor: Actor, visit_id: int, text: str) -> None:
    """The doctor records the patient's allergies (free text) from the visit being consulted."""
    from cloud_plane.services.consultation import _doctor_context

    ctx = await _doctor_context(conn, actor, visit_id)
    if len(text) > MAX_ALLERGIES:
        raise ValidationFailed("error.allergies.too_long", field="allergies", max=MAX_ALLERGIES)
    await conn.execute(
        update(patients)
        .where(patients.c.id == ctx.patient_id, patients.c.tenant_id == actor.tenant_id)
        .values(allergies=text.strip(), updated_at=utc_now())
    )
    await audit.record(
        conn, actor, "update", "patient", ctx.patient_id, patient_id=ctx.patient_id,
        fields=["allergies"],
    )  # fmt: skip
