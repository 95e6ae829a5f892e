"""The clinic administrator's review list of offline-work conflicts (tenant-scoped, audited by
their own rows: each conflict is itself the record of what happened)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import NotFound
from cloud_plane.db.tables_continuity import continuity_conflicts as C
from cloud_plane.services.actor import Actor, Role, require_role
from cloud_plane.services.clock import utc_now

__all__ = ["Conflict", "list_conflicts", "resolve_conflict"]


@dataclass(frozen=True, slots=True)
class Conflict:
    id: int
    box_id: str
    entity: str
    cloud_id: int | None
    kind: str
    rule: str
    status: str
    cloud_value: Any
    offline_value: Any
    created_at: datetime

    @property
    def cloud_text(self) -> str:
        return json.dumps(self.cloud_value, ensure_ascii=False, indent=1)[:2000]

    @property
    def offline_text(self) -> str:
        return json.dumps(self.offline_value, ensure_ascii=False, indent=1)[:2000]


async def list_conflicts(
    conn: AsyncConnection, actor: Actor, *, include_done: bool = False, limit: int = 200
) -> list[Conflict]:
    """Open items first (oldest first), then, with ``include_done``, the settled ones."""
    require_role(actor, Role.CLINIC_ADMIN)
    stmt = select(C).where(C.c.tenant_id == actor.tenant_id)
    if not include_done:
        stmt = stmt.where(C.c.status == "open")
    rows = (await conn.execute(stmt.order_by(C.c.status != "open", C.c.id).limit(limit))).all()
    return [
        Conflict(
            r.id,
            r.box_id,
            r.entity,
            r.cloud_id,
            r.kind,
            r.rule,
            r.status,
            r.cloud_value,
            r.offline_value,
            r.created_at,
        )
        for r in rows
    ]


async def resolve_conflict(conn: AsyncConnection, actor: Actor, conflict_id: int) -> None:
    """Mark an item handled (the administrator corrected the record by hand if needed)."""
    require_role(actor, Role.CLINIC_ADMIN)
    done = await conn.execute(
        update(C)
        .where(C.c.id == conflict_id, C.c.tenant_id == actor.tenant_id, C.c.status == "open")
        .values(status="resolved", resolved_at=utc_now(), resolved_by=actor.staff_id)
    )
    if done.rowcount == 0:
        raise NotFound("error.continuity.conflict_not_found", id=conflict_id)
