"""Tenant scoping for single-row look-ups.

``get_row`` turns "no such row *for this tenant*" into ``NotFound``: a row of another tenant
looks exactly like a missing one, so its existence never leaks. List queries filter on
``tenant_id == actor.tenant_id`` themselves; tests/cloud_db/test_isolation.py calls every
service function with another tenant's ids to prove that nothing slips through.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import NotFound
from cloud_plane.services.actor import Actor


async def get_row(
    conn: AsyncConnection, actor: Actor, table: Table, row_id: int, *, key: str
) -> Row[Any]:
    """The row ``row_id`` of ``table`` in the actor's tenant, else ``NotFound(key)``."""
    stmt = select(table).where(table.c.id == row_id, table.c.tenant_id == actor.tenant_id)
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound(key, id=row_id)
    return row
