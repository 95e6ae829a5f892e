"""The audit trail: who read or changed which patient's data, written in the same transaction.

``audit_log`` is append-only: this module only inserts, and :func:`audit_trail` reads it for a
clinic administrator (reading the trail is itself audited).
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from cloud_plane.db.tables_clinic import audit_log, patients
from cloud_plane.services.actor import Actor, Role, require_role
from cloud_plane.services.clock import utc_now
from cloud_plane.services.models import AuditEntry
from cloud_plane.services.tenancy import get_row

Action = Literal["read", "create", "update", "delete"]

_INSERT = insert(audit_log)  # built once: the compiled form is cached per column set


async def record(
    conn: AsyncConnection,
    actor: Actor,
    action: Action,
    entity: str,
    entity_id: int | str,
    *,
    patient_id: int | None,
    **detail: Any,
) -> None:
    """Append one audit row for the actor's tenant."""
    await conn.execute(
        _INSERT,
        {
            "tenant_id": actor.tenant_id,
            "staff_id": actor.staff_id,
            "box_id": actor.box_id,
            "action": action,
            "entity": entity,
            "entity_id": str(entity_id),
            "patient_id": patient_id,
            "at": utc_now(),
            "detail": detail,
        },
    )


async def record_reads(
    conn: AsyncConnection,
    actor: Actor,
    entity: str,
    reads: list[tuple[int | str, int | None]],
    **detail: Any,
) -> None:
    """One ``read`` row per (entity id, patient id) in a single executemany round trip (a queue
    or a search result shows many patients at once)."""
    if not reads:
        return
    at = utc_now()
    await conn.execute(
        _INSERT,
        [
            {
                "tenant_id": actor.tenant_id,
                "staff_id": actor.staff_id,
                "box_id": actor.box_id,
                "action": "read",
                "entity": entity,
                "entity_id": str(entity_id),
                "patient_id": patient_id,
                "at": at,
                "detail": detail,
            }
            for entity_id, patient_id in reads
        ],
    )


async def audit_trail(
    conn: AsyncConnection, actor: Actor, patient_id: int, limit: int = 200
) -> list[AuditEntry]:
    """Newest first: every access to ``patient_id``'s data. Clinic administrators only."""
    require_role(actor, Role.CLINIC_ADMIN)
    await get_row(conn, actor, patients, patient_id, key="error.patient.not_found")
    stmt = (
        select(audit_log)
        .where(audit_log.c.tenant_id == actor.tenant_id, audit_log.c.patient_id == patient_id)
        .order_by(audit_log.c.id.desc())
        .limit(limit)
    )
    rows = (await conn.execute(stmt)).all()
    await record(conn, actor, "read", "audit_trail", patient_id, patient_id=patient_id)
    return [
        AuditEntry(
            id=r.id,
            staff_id=r.staff_id,
            box_id=r.box_id,
            action=r.action,
            entity=r.entity,
            entity_id=r.entity_id,
            patient_id=r.patient_id,
            at=r.at,
            detail=dict(r.detail or {}),
        )
        for r in rows
    ]
