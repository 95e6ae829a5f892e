"""The daily IC upload, running by itself in every cloud process (the 24-hour rule).

Nothing is kept in memory between runs: each tick derives the due work from the database —
clinic days with billed / dispensed visits that have no upload record yet, or records still
pending / corrected and not backing off (cloud_plane.nhiops.holds) — and uploads those days
(:func:`.ic_run.run_ic_upload`), after finishing any batch a crashed process left without a
verdict (:func:`.ic_run.recover_batches`). A restarted process therefore picks up exactly where
the last one stopped.

Several cloud processes run the scheduler; a lease row per clinic (``job_leases``, taken in a
transaction, expiring after :data:`LEASE` so a dead holder does not block the job) makes one of
them do a clinic's upload at a time. The tick interval is ``nhi.ic_upload_interval_s``: with the
default ten minutes a billed visit is uploaded well within its 24 hours.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date, datetime, timedelta

import aiohttp
from sqlalchemy import or_, select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox_core.nhi.ic_upload.fields import Version
from clinicbox_core.nhi.ic_upload.status import Status
from cloud_plane.db.tables_clinic import tenants, visits
from cloud_plane.db.tables_icupload import ic_upload_records
from cloud_plane.db.tables_nhiops import job_leases
from cloud_plane.icupload.assemble import UPLOADABLE_VISIT_STATUSES
from cloud_plane.nhiops.ic_run import IcRunOutcome, recover_batches, run_ic_upload
from cloud_plane.nhiops.settings import NhiCloudSettings
from cloud_plane.services.clock import utc_now

__all__ = ["LEASE", "IcUploadScheduler", "acquire_lease", "due_days", "release_lease"]

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=15)
R = ic_upload_records


async def due_days(
    conn: AsyncConnection, tenant_id: int, now: datetime | None = None
) -> list[date]:
    """Clinic days of ``tenant_id`` with IC upload work, oldest first. With ``now``, a record
    held back is work only once its ``retry_at`` has come (cloud_plane.nhiops.holds)."""
    unqueued = select(visits.c.visit_date.label("day")).where(
        visits.c.tenant_id == tenant_id,
        visits.c.status.in_(UPLOADABLE_VISIT_STATUSES),
        visits.c.id.not_in(select(R.c.visit_id).where(R.c.tenant_id == tenant_id)),
    )
    waiting = (
        select(R.c.visit_date.label("day"))
        .join(visits, visits.c.id == R.c.visit_id)
        .where(
            R.c.tenant_id == tenant_id,
            R.c.status.in_((Status.PENDING.value, Status.CORRECTED.value)),
            visits.c.status.in_(UPLOADABLE_VISIT_STATUSES),
        )
    )
    if now is not None:
        waiting = waiting.where(or_(R.c.retry_at.is_(None), R.c.retry_at <= now))
    both = union(unqueued, waiting).subquery()
    rows = await conn.execute(select(both.c.day).distinct().order_by(both.c.day))
    return [r.day for r in rows]


async def acquire_lease(engine: AsyncEngine, name: str, holder: str, now: datetime) -> bool:
    """Take (or renew) the lease ``name`` unless another holder has it and it has not expired."""
    try:
        async with engine.begin() as conn:
            stmt = select(job_leases).where(job_leases.c.name == name)
            if conn.dialect.name == "postgresql":
                stmt = stmt.with_for_update()
            row = (await conn.execute(stmt)).first()
            if row is None:
                await conn.execute(
                    job_leases.insert().values(name=name, holder=holder, until=now + LEASE)
                )
                return True
            if row.holder != holder and row.until > now:
                return False
            await conn.execute(
                update(job_leases)
                .where(job_leases.c.name == name)
                .values(holder=holder, until=now + LEASE)
            )
            return True
    except IntegrityError:  # another process inserted it first
        return False


async def release_lease(engine: AsyncEngine, name: str, holder: str, now: datetime) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(job_leases)
            .where(job_leases.c.name == name, job_leases.c.holder == holder)
            .values(until=now)
        )


class IcUploadScheduler:
    """Uploads every connected clinic's due days each tick (see the module docstring)."""

    def __init__(
        self,
        engine: AsyncEngine,
        settings: NhiCloudSettings,
        session: aiohttp.ClientSession,
        holder: str,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.session = session
        self.holder = holder
        self.version = Version(settings.ic_upload_version)

    async def tick(self, now: datetime | None = None) -> list[IcRunOutcome]:
        now = now or utc_now()
        async with self.engine.connect() as conn:
            clinics = (await conn.execute(select(tenants.c.id, tenants.c.nhi_code))).all()
        outcomes: list[IcRunOutcome] = []
        for clinic in clinics:
            nhi = self.settings.for_hospital(clinic.nhi_code)
            name = f"ic_upload:{clinic.id}"
            if nhi is None or not await acquire_lease(self.engine, name, self.holder, now):
                continue
            try:
                await recover_batches(self.engine, self.session, nhi, clinic.id, now)
                async with self.engine.connect() as conn:
                    days = await due_days(conn, clinic.id, now)
                for day in days:
                    outcomes.append(
                        await run_ic_upload(
                            self.engine, self.session, nhi, clinic.id, day, version=self.version,
                            now=now,
                        )
                    )  # fmt: skip
            finally:
                await release_lease(self.engine, name, self.holder, utc_now())
        return outcomes

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until ``stop`` is set; a failed tick is logged and retried next interval."""
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("IC upload tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.ic_upload_interval_s)
