"""The logged-in clinic's boxes and whether each is online (the front desk's indicator).

Reads ``box_status``, which the box link keeps from each box's retained ``reported`` message;
the same link publishes ``box.status`` live events when it changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from cloud_plane.db.tables_boxlink import box_status


@dataclass(frozen=True, slots=True)
class BoxState:
    box_id: str
    online: bool
    updated_at: datetime
    disk_state: str = "ok"  # ok / low / full, from the box's reported state
    disk_free_bytes: int | None = None


async def tenant_boxes(conn: AsyncConnection, tenant_slug: str) -> list[BoxState]:
    stmt = (
        select(
            box_status.c.box_id,
            box_status.c.online,
            box_status.c.updated_at,
            box_status.c.reported,
        )
        .where(box_status.c.tenant_slug == tenant_slug)
        .order_by(box_status.c.box_id)
    )
    rows = (await conn.execute(stmt)).all()
    return [
        BoxState(
            r.box_id,
            bool(r.online),
            r.updated_at,
            str((r.reported or {}).get("disk_state", "ok")),
            (r.reported or {}).get("disk_free_bytes"),
        )
        for r in rows
    ]
