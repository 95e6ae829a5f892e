"""Tenant scoping that cannot be forgotten: every per-tenant read and write goes through here.

``where_tenant`` adds ``tenant_id = actor.tenant_id``; ``get_row`` turns "no such row *for this
tenant*" into ``NotFound`` (a row of another tenant looks exactly like a missing one);
``insert_row`` stamps the actor's tenant on new rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, Select, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import NotFound
from cloud_plane.services.actor import Actor


def where_tenant(stmt: Select[Any], actor: Actor, *tables: Table) -> Select[Any]:
    for table in tables:
        stmt = stmt.where(table.c.tenant_id == actor.tenant_id)
    return stmt


async def get_row(
    conn: AsyncConnection, actor: Actor, table: Table, row_id: int, *, key: str
) -> Row[Any]:
    """The row ``row_id`` of ``table`` in the actor's tenant, else ``NotFound(key)``."""
    stmt = select(table).where(table.c.id == row_id, table.c.tenant_id == actor.tenant_id)
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound(key, id=row_id)
    return row


async def insert_row(conn: AsyncConnection, actor: Actor, table: Table, **values: Any) -> int:
    """Insert into ``table`` for the actor's tenant; the new primary key."""
    result = await conn.execute(
        insert(table).values(tenant_id=actor.tenant_id, **values).returning(table.c.id)
    )
    return int(result.scalar_one())


async def update_row(
    conn: AsyncConnection, actor: Actor, table: Table, row_id: int, *, key: str, **values: Any
) -> None:
    """Update one row of the actor's tenant, ``NotFound(key)`` when it is not there."""
    result = await conn.execute(
        update(table)
        .where(table.c.id == row_id, table.c.tenant_id == actor.tenant_id)
        .values(**values)
    )
    if result.rowcount != 1:
        raise NotFound(key, id=row_id)
