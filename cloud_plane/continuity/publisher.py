"""Keeps each box's working set current: reacts to the box's ``reported`` state.

The box reports its working-set version every few seconds (``BoxReported.working_set``). The
cloud process that receives the report (one per message: shared subscription) answers with:

* nothing, while the box still has offline records the cloud has not acknowledged (the box
  applies no download before its own writes are in: PowerSync's "write checkpoint" rule);
* a **rebuild** when the box has nothing (version 0, e.g. after a resync or a refused delta),
  is ahead of the cloud (a restored database), or is more than ``max_delta_patients`` patients
  behind; at most once per ``rebuild_retry_s`` per box from one process;
* a **delta** with the patients changed since the box's version, re-reading the last
  :data:`OVERLAP` audit ids as well (on PostgreSQL ids can commit out of order; rows are full
  state, so sending one twice is harmless); the reference tables ride along only when their
  digest differs from the box's, checked at least every ``ref_check_s`` (such a check also
  sends a small delta with the counters: the box's ``synced_at``, hence its reported
  staleness, advances at least that often while it is online); the shared NHI tables only
  when the box's digest of them differs.

Each build goes out as :class:`WorkingSetPart` commands of at most ``max_rows`` rows.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Final, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox_core.contracts import BoxReported, Command, WorkingSetPart, WorkingSetState
from cloud_plane.continuity import working_set as ws
from cloud_plane.db.tables_clinic import tenants
from cloud_plane.services.clock import clinic_day, utc_now

log = logging.getLogger(__name__)

OVERLAP: Final = 256


class CommandSender(Protocol):
    async def send_command(self, tenant: str, box_id: str, command: Command) -> None: ...


class WorkingSetPublisher:
    def __init__(
        self,
        engine: AsyncEngine,
        sender: CommandSender,
        *,
        max_rows: int = 2000,
        max_delta_patients: int = 2000,
        rebuild_retry_s: float = 60.0,
        ref_check_s: float = 300.0,
    ) -> None:
        self.engine = engine
        self.sender = sender
        self.max_rows = max_rows
        self.max_delta_patients = max_delta_patients
        self.rebuild_retry_s = rebuild_retry_s
        self.ref_check_s = ref_check_s
        self._rebuilt_at: dict[str, float] = {}
        self._ref_checked_at: dict[str, float] = {}
        self.sent_parts = 0
        self._busy: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def on_reported(self, tenant: str, reported: BoxReported) -> None:
        """Answer in the background (one build at a time per box): the inbox keeps consuming."""
        box = reported.box_id
        if reported.working_set is None or box in self._busy:
            return
        self._busy.add(box)
        task = asyncio.create_task(self._answer(tenant, reported))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._busy.discard(box))

    async def _answer(self, tenant: str, reported: BoxReported) -> None:
        try:
            await self.answer(tenant, reported)
        except Exception:
            log.exception("working set for %s failed", reported.box_id)

    async def answer(self, tenant: str, reported: BoxReported) -> None:
        """Send what the box needs now, if anything (awaits every part's PUBACK)."""
        state = reported.working_set
        if state is None or not reported.online or state.pending_records > 0:
            return
        box = reported.box_id
        async with self.engine.connect() as conn:
            tenant_id = (
                await conn.execute(select(tenants.c.id).where(tenants.c.slug == tenant))
            ).scalar_one_or_none()
            if tenant_id is None:
                return
            version = await ws.current_version(conn)
            build = await self._plan(conn, box, int(tenant_id), state, version)
        if build is None:
            return
        mode, from_version, built = build
        await self._send(tenant, box, mode, from_version, built)

    async def _plan(
        self,
        conn: AsyncConnection,
        box: str,
        tenant_id: int,
        state: WorkingSetState,
        version: int,
    ) -> tuple[str, int, ws.WorkingSet] | None:
        today = clinic_day(utc_now())
        have, have_ref = state.version, state.ref_hash
        shared = state.global_hash != await ws.global_hash(conn)
        now = time.monotonic()
        rebuild = have == 0 or have > version
        ids: list[int] = []
        if not rebuild and version > have:
            after = max(0, have - 1 - OVERLAP)
            ids = await ws.touched_patients(conn, tenant_id, after, version - 1)
            rebuild = len(ids) > self.max_delta_patients
        if rebuild:
            if now - self._rebuilt_at.get(box, -1e9) < self.rebuild_retry_s:
                return None
            self._rebuilt_at[box] = now
            built = await ws.build(conn, tenant_id, today, version=version, include_global=shared)
            return "rebuild", 0, built
        ref_due = now - self._ref_checked_at.get(box, -1e9) >= self.ref_check_s
        if not ids and not ref_due and not shared:
            return None
        self._ref_checked_at[box] = now
        built = await ws.build(
            conn, tenant_id, today, patient_ids=ids, version=version, include_global=shared
        )
        if built.ref_hash == have_ref:
            for table in ws.REF_TABLES:
                built.tables.pop(table.name, None)
        return "delta", have, built

    async def _send(
        self, tenant: str, box: str, mode: str, from_version: int, built: ws.WorkingSet
    ) -> None:
        parts = ws.split(built.tables, self.max_rows)
        build_id = uuid.uuid4()
        for number, tables in enumerate(parts, start=1):
            body = WorkingSetPart(
                mode="rebuild" if mode == "rebuild" else "delta",
                build_id=build_id,
                from_version=from_version,
                version=built.version,
                part=number,
                parts=len(parts),
                ref_hash=built.ref_hash,
                global_hash=built.global_hash,
                tables=tables,
            )
            await self.sender.send_command(tenant, box, Command(body=body))
            self.sent_parts += 1
        log.info(
            "working set %s for %s: version %d, %d rows in %d parts",
            mode, box, built.version, built.rows, len(parts),
        )  # fmt: skip
