"""The pharmacist's last step: a billed visit's drugs are handed over (billed → dispensed),
taken out of the clinic's stock when it keeps stock of them (cloud_plane.pharmacy.stock)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from cloud_plane.db.tables_clinic import visits
from cloud_plane.pharmacy.stock import deduct_visit_drugs
from cloud_plane.services import audit, mappers
from cloud_plane.services.actor import Actor, Role, require_role
from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.services.models import Visit, VisitStatus
from cloud_plane.services.visit_state import check_transition, load_visit


async def mark_dispensed(conn: AsyncConnection, actor: Actor, visit_id: int) -> Visit:
    require_role(actor, Role.PHARMACIST, Role.CLINIC_ADMIN)
    row = await load_visit(conn, actor, visit_id, for_update=True)
    check_transition(VisitStatus(row.status), VisitStatus.DISPENSED)
    await deduct_visit_drugs(conn, actor, visit_id, row.patient_id, clinic_day(utc_now()))
    await conn.execute(
        update(visits)
        .where(visits.c.id == visit_id)
        .values(status=VisitStatus.DISPENSED.value, updated_at=utc_now())
    )
    await audit.record(
        conn, actor, "update", "visit", visit_id, patient_id=row.patient_id, status="dispensed"
    )
    return mappers.visit(await load_visit(conn, actor, visit_id))
