"""Per-tenant sequences (chart numbers, 看診號) bumped atomically on SQLite and PostgreSQL.

``INSERT ... ON CONFLICT DO UPDATE SET value = value + 1 RETURNING value`` takes the row lock on
PostgreSQL and the write lock on SQLite, so two concurrent registrations never get the same
number, and a rolled-back registration does not hand out a number twice.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from cloud_plane.db.tables_clinic import counters


async def next_value(conn: AsyncConnection, tenant_id: int, name: str) -> int:
    """The next value (1, 2, ...) of the sequence ``name`` of ``tenant_id``."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(counters).values(tenant_id=tenant_id, name=name, value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[counters.c.tenant_id, counters.c.name],
        set_={"value": counters.c.value + 1},
    ).returning(counters.c.value)
    return int((await conn.execute(stmt)).scalar_one())
