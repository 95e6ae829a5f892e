"""The fleet audit trail: one append-only row per remote action on a box (who, when, which box,
what, result). Written in the same transaction as the action it records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from cloud_plane.db.tables_fleet import fleet_audit
from cloud_plane.services.clock import utc_now


async def record(
    conn: AsyncConnection,
    actor: str,
    action: str,
    box_id: str | None,
    result: str,
    *,
    command_id: str | None = None,
    **detail: Any,
) -> None:
    await conn.execute(
        insert(fleet_audit).values(
            at=utc_now(),
            actor=actor,
            action=action,
            box_id=box_id,
            command_id=command_id,
            result=result,
            detail=detail,
        )
    )


async def trail(conn: AsyncConnection, box_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """Newest first: every audited action on ``box_id``."""
    stmt = (
        select(fleet_audit)
        .where(fleet_audit.c.box_id == box_id)
        .order_by(fleet_audit.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in (await conn.execute(stmt)).all()]
