"""Ships offline work: everything done on the box's pages goes to the outbox as
:class:`ContinuityRecord` events, in the order it was done.

Every change the cloud's services make writes an audit row in the same transaction (the box
runs the same services), so the collector reads the box's audit trail after its cursor, takes
the patients that changed, and for each one ships every visit of theirs from the earliest
changed day on whose content differs from what was last shipped or received (a patient alone
when no visit changed). A record is appended to the outbox (durable) before the cursor moves;
after a crash in between the same state is shipped again, which the cloud applies as a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.contracts import ContinuityRecord
from cloud_plane.continuity.rowcodec import JsonRow
from cloud_plane.db.tables_clinic import audit_log, visits
from cloud_plane.services.clock import clinic_day
from edge_agent.continuity.digests import (
    patient_digest,
    patient_rows,
    ship_digest,
    visit_bundles,
)
from edge_agent.continuity.store import WorkingSetStore
from edge_agent.continuity.tables import ws_base, ws_sent, ws_shipped
from edge_agent.outbox import AsyncOutbox

log = logging.getLogger(__name__)
BATCH = 500


async def _lookup(conn: AsyncConnection, table: object, entity: str) -> dict[int, JsonRow]:
    assert table is ws_base or table is ws_sent
    rows = await conn.execute(select(table).where(table.c.entity == entity))
    return {int(r.id): dict(r._mapping) for r in rows.all()}


class Collector:
    def __init__(
        self, store: WorkingSetStore, outbox: AsyncOutbox, notify: Callable[[], None]
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.notify = notify
        self.shipped = 0

    async def _plan(self) -> tuple[int, list[tuple[ContinuityRecord, list[tuple[str, int, str]]]]]:
        async with self.store.engine.connect() as conn:
            cursor = int((await self.store.meta(conn)).get("audit_cursor", "0"))
            changes = (
                await conn.execute(
                    select(audit_log.c.id, audit_log.c.patient_id, audit_log.c.at)
                    .where(audit_log.c.id > cursor, audit_log.c.action != "read")
                    .order_by(audit_log.c.id)
                    .limit(BATCH)
                )
            ).all()
            if not changes:
                return -1, []
            upto = int(changes[-1].id)
            order: list[int] = []
            for c in changes:
                if c.patient_id is not None and int(c.patient_id) not in order:
                    order.append(int(c.patient_id))
            since = min(clinic_day(c.at) for c in changes) - timedelta(days=1)
            visit_rows = (
                await conn.execute(
                    select(visits.c.id, visits.c.patient_id)
                    .where(visits.c.patient_id.in_(order), visits.c.visit_date >= since)
                    .order_by(visits.c.id)
                )
            ).all()
            bundles = await visit_bundles(conn, [int(v.id) for v in visit_rows])
            people = await patient_rows(conn, order)
            base_p = await _lookup(conn, ws_base, "patient")
            base_v = await _lookup(conn, ws_base, "visit")
            sent_p = await _lookup(conn, ws_sent, "patient")
            sent_v = await _lookup(conn, ws_sent, "visit")
        plan: list[tuple[ContinuityRecord, list[tuple[str, int, str]]]] = []
        for pid in order:
            patient = people.get(pid)
            if patient is None:
                continue
            p_digest = patient_digest(patient)
            common = {
                "patient": patient,
                "patient_origin": "cloud" if pid in base_p else "box",
                "patient_base": base_p[pid]["row"] if pid in base_p else None,
            }
            marks = [("patient", pid, p_digest)]
            any_visit = False
            for v in (v for v in visit_rows if int(v.patient_id) == pid):
                bundle = bundles[int(v.id)]
                digest_now = ship_digest(bundle)
                if sent_v.get(int(v.id), {}).get("digest") == digest_now:
                    continue
                any_visit = True
                record = ContinuityRecord(
                    **common,
                    visit=bundle["visit"][0],
                    visit_origin="cloud" if int(v.id) in base_v else "box",
                    visit_base_digest=base_v.get(int(v.id), {}).get("digest"),
                    diagnoses=bundle["diagnoses"],
                    orders=bundle["orders"],
                    bill=bundle["bills"][0] if bundle["bills"] else None,
                    print_jobs=bundle["print_jobs"],
                )
                plan.append((record, [*marks, ("visit", int(v.id), digest_now)]))
            if not any_visit and sent_p.get(pid, {}).get("digest") != p_digest:
                plan.append((ContinuityRecord(**common), marks))
        return upto, plan

    async def run_once(self) -> int:
        """Ship what changed since the cursor; the number of records appended."""
        upto, plan = await self._plan()
        if upto < 0:
            return 0
        for record, marks in plan:
            event = await self.outbox.append(record)
            async with self.store.engine.begin() as conn:
                await conn.execute(sqlite_insert(ws_shipped).values(seq=event.seq))
                for entity, key, value in marks:
                    stmt = sqlite_insert(ws_sent).values(entity=entity, id=key, digest=value)
                    await conn.execute(
                        stmt.on_conflict_do_update(
                            index_elements=["entity", "id"], set_={"digest": value}
                        )
                    )
        async with self.store.engine.begin() as conn:
            await self.store.set_meta(conn, audit_cursor=upto)
        if plan:
            self.shipped += len(plan)
            log.info("continuity: %d offline records queued for the cloud", len(plan))
            self.notify()
        return len(plan)
