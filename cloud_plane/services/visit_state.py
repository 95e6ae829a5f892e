"""The visit life cycle and the one place that checks a status change is allowed.

registered ─► in_consultation ─► to_bill ─► billed ─► dispensed
    │               │              │
    └──► cancelled ◄┘              └──► in_consultation (doctor reopens before billing)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict, NotFound
from cloud_plane.db.tables_clinic import visits
from cloud_plane.services.actor import Actor
from cloud_plane.services.models import VisitStatus as S

ALLOWED: dict[S, frozenset[S]] = {
    S.REGISTERED: frozenset({S.IN_CONSULTATION, S.CANCELLED}),
    S.IN_CONSULTATION: frozenset({S.TO_BILL, S.CANCELLED}),
    S.TO_BILL: frozenset({S.BILLED, S.IN_CONSULTATION}),
    S.BILLED: frozenset({S.DISPENSED}),
    S.DISPENSED: frozenset(),
    S.CANCELLED: frozenset(),
}
OPEN = frozenset({S.REGISTERED, S.IN_CONSULTATION})

_LOAD = select(visits).where(
    visits.c.id == bindparam("visit_id"), visits.c.tenant_id == bindparam("tenant_id")
)
_LOAD_LOCKED = _LOAD.with_for_update()


def check_transition(current: S, target: S) -> None:
    if target not in ALLOWED[current]:
        raise Conflict("error.visit.bad_status", status=current.value, target=target.value)


def require_status(current: S, *allowed: S) -> None:
    if current not in allowed:
        raise Conflict(
            "error.visit.bad_status", status=current.value, allowed=[a.value for a in allowed]
        )


async def load_visit(
    conn: AsyncConnection, actor: Actor, visit_id: int, *, for_update: bool = False
) -> Row[Any]:
    """The visit row of the actor's tenant (row-locked on PostgreSQL when ``for_update``)."""
    stmt = _LOAD_LOCKED if for_update and conn.dialect.name == "postgresql" else _LOAD
    row = (await conn.execute(stmt, {"visit_id": visit_id, "tenant_id": actor.tenant_id})).first()
    if row is None:
        raise NotFound("error.visit.not_found", id=visit_id)
    return row
