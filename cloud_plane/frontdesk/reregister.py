"""退掛 and 改掛 with their NHI consequences.

A visit that obtained a 就醫序號 from the patient's card has used one of the card's visits. Two
cases (csHis 1.x: ``csUnGetSeqNumber`` undoes a 序號 within 24 hours, return code 5081 after):

* 退掛 (the patient leaves): the visit is cancelled, and the 序號 must be returned on the card at
  the box; the cancellation is recorded with ``seq_action = "return_due"`` and shown on the desk
  until it is done. A cancelled visit never gets an IC upload record.
* 改掛 (another doctor or session, same day): the new visit takes over the 序號 (or the
  異常就醫代碼) of the old one, so the card's visit is counted once and the IC record belongs to
  the visit that really happened; ``seq_action = "moved"``.

A visit registered with an 異常就醫代碼 and no 序號 has nothing to return (``"none"``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from cloud_plane.db.tables_frontdesk import visit_cancellations
from cloud_plane.services.actor import Actor
from cloud_plane.services.clock import utc_now
from cloud_plane.services.models import Session, Visit
from cloud_plane.services.registration import cancel_visit, register
from cloud_plane.services.visit_state import load_visit


class Cancellation(BaseModel):
    model_config = ConfigDict(frozen=True)
    visit_id: int
    nhi_seq: str | None
    seq_action: str
    new_visit_id: int | None


async def _record(
    conn: AsyncConnection, actor: Actor, old: Any, action: str, new_visit_id: int | None,
    now: datetime,
) -> Cancellation:  # fmt: skip
    await conn.execute(
        insert(visit_cancellations).values(
            visit_id=old.id, tenant_id=actor.tenant_id, cancelled_by=actor.staff_id,
            cancelled_at=now, nhi_seq=old.nhi_seq, seq_action=action, new_visit_id=new_visit_id,
        )
    )  # fmt: skip
    return Cancellation(
        visit_id=old.id, nhi_seq=old.nhi_seq, seq_action=action, new_visit_id=new_visit_id
    )


async def cancel(
    conn: AsyncConnection, actor: Actor, visit_id: int, *, now: datetime | None = None
) -> tuple[Visit, Cancellation]:
    """退掛: cancel the visit and record whether its 就醫序號 must be returned on the card."""
    now = now or utc_now()
    old = await load_visit(conn, actor, visit_id, for_update=True)
    visit = await cancel_visit(conn, actor, visit_id)
    action = "return_due" if old.nhi_seq else "none"
    return visit, await _record(conn, actor, old, action, None, now)


async def reregister(
    conn: AsyncConnection,
    actor: Actor,
    visit_id: int,
    *,
    doctor_id: int,
    session: Session | None,
    department: str,
    now: datetime | None = None,
) -> tuple[Visit, Visit, Cancellation]:
    """改掛: cancel the visit and register the patient again, keeping its 序號 / 異常就醫代碼."""
    now = now or utc_now()
    old = await load_visit(conn, actor, visit_id, for_update=True)
    cancelled = await cancel_visit(conn, actor, visit_id)
    new = await register(
        conn,
        actor,
        old.patient_id,
        doctor_id=doctor_id,
        department=department,
        visit_type=old.visit_type,
        session=session,
        abnormal_code=old.abnormal_code,
        source=old.source,
        nhi_seq=old.nhi_seq,
        now=now,
    )
    action = "moved" if old.nhi_seq or old.abnormal_code else "none"
    return cancelled, new, await _record(conn, actor, old, action, new.id, now)


async def seq_returns_due(conn: AsyncConnection, actor: Actor) -> dict[int, str]:
    """Cancelled visits whose 就醫序號 still has to be returned on the card: visit id → 序號."""
    stmt = select(visit_cancellations.c.visit_id, visit_cancellations.c.nhi_seq).where(
        visit_cancellations.c.tenant_id == actor.tenant_id,
        visit_cancellations.c.seq_action == "return_due",
    )
    return {r.visit_id: str(r.nhi_seq) for r in (await conn.execute(stmt)).all()}
