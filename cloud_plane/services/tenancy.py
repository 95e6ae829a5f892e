"""Tenant scoping for single-row look-ups.

``get_row`` turns "no such row *for this tenant*" into ``NotFound``: a row of another tenant
looks exactly like a missing one, so its existence never leaks. List queries filter on
``tenant_id == actor.tenant_id`` themselves; tests/cloud_db/test_isolation.py calls every
service function with another tenant's ids to prove that nothing slips through.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, Select, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import NotFound
from cloud_plane.services.actor import Actor

_BY_ID: dict[Table, Select[Any]] = {}


def _by_id(table: Table) -> Select[Any]:
    """One prebuilt statement per table, so SQLAlchemy's compiled cache is hit directly."""
    stmt = _BY_ID.get(table)
    if stmt is None:
        stmt = _BY_ID[table] = select(table).where(
            table.c.id == bindparam("row_id"), table.c.tenant_id == bindparam("tenant_id")
        )
    return stmt


async def get_row(
    conn: AsyncConnection, actor: Actor, table: Table, row_id: int, *, key: str
) -> Row[Any]:
    """The row ``row_id`` of ``table`` in the actor's tenant, else ``NotFound(key)``."""
    params = {"row_id": row_id, "tenant_id": actor.tenant_id}
    row: Row[Any] | None = (await conn.execute(_by_id(table), params)).first()
    if row is None:
        raise NotFound(key, id=row_id)
    return row
