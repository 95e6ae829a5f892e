"""Continuity mode on the box: keeps the working set, serves the clinic's pages, ships offline
work, and reports what it holds.

Runs four loops next to the rest of the daemon: the cloud health probe (:mod:`.health`), the
collector (:mod:`.collector`, offline work → outbox), the reporter (working-set size and
staleness in ``reported``, which is also how the box asks the cloud for changes) and the page
server (:mod:`.server`). Once every offline record is confirmed and the cloud is usable again,
the box asks for a rebuild, which replaces the rows it created with the cloud's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import select

from clinicbox_core.contracts import CardInserted, WorkingSetPart, WorkingSetState
from clinicbox_core.nhi.continuity_codes import continuity_abnormal_code
from cloud_plane.services.registration import register_from_card
from edge_agent.config import BoxSettings
from edge_agent.continuity.collector import Collector
from edge_agent.continuity.health import CloudHealth
from edge_agent.continuity.server import LocalPrinter, box_app
from edge_agent.continuity.store import WorkingSetStore
from edge_agent.continuity.tables import ws_base
from edge_agent.outbox import AsyncOutbox

log = logging.getLogger(__name__)
_VISIT_PATH = re.compile(r"^/visits/(\d+)")


def key_file(settings: BoxSettings) -> Path:
    """Where the working set's key lives: configured, or next to (not in) the data dir."""
    configured = settings.continuity.key_file
    return configured or settings.data_dir.parent / f"{settings.data_dir.name}.continuity.key"


class ContinuityService:
    def __init__(
        self,
        settings: BoxSettings,
        outbox: AsyncOutbox,
        *,
        printer: LocalPrinter,
        link_up: Callable[[], bool],
        report: Callable[[], Awaitable[None]],
        notify: Callable[[], None],
    ) -> None:
        self.settings = settings
        self.cs = settings.continuity
        self.outbox = outbox
        self.printer = printer
        self.report = report
        self.notify = notify
        self.health = CloudHealth(self.cs, link_up)
        self.state = WorkingSetState()
        self._store: WorkingSetStore | None = None
        self._collector: Collector | None = None
        self._runner: web.AppRunner | None = None
        self._stop = asyncio.Event()

    @property
    def store(self) -> WorkingSetStore:
        assert self._store is not None, "start() first"
        return self._store

    @property
    def public_url(self) -> str:
        return self.cs.public_url or f"http://{self.cs.http_host}:{self.cs.http_port}"

    # ---- ContinuityView (what the pages see) --------------------------------------------------

    @property
    def active(self) -> bool:
        return self.health.continuity

    @property
    def cloud_url(self) -> str | None:
        return self.cs.cloud_url

    def abnormal_code(self) -> str | None:
        outage = self.health.outage
        return continuity_abnormal_code(outage) if outage is not None else None

    async def status(self, path: str) -> dict[str, Any]:
        acked = await self.outbox.acked_seq()
        pending = await self.store.pending(acked)
        back = None
        if self.cloud_url:
            back = self.cloud_url.rstrip("/") + (await self._cloud_path(path))
        return {
            "continuity": self.active,
            "cloud_ok": self.health.cloud_ok,
            "pending": pending,
            "back_url": back,
            "abnormal_code": self.abnormal_code(),
        }

    async def _cloud_path(self, path: str) -> str:
        """The same page in the cloud, or the front desk for a visit made here (other id)."""
        match = _VISIT_PATH.match(path)
        if match is None:
            return path
        async with self.store.engine.connect() as conn:
            known = (
                await conn.execute(
                    select(ws_base.c.id).where(
                        ws_base.c.entity == "visit", ws_base.c.id == int(match.group(1))
                    )
                )
            ).first()
        return path if known is not None else "/desk"

    # ---- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        path = self.settings.data_dir / "continuity" / "clinic.db"
        self._store = await WorkingSetStore.open(path, key_file(self.settings))
        self._collector = Collector(self._store, self.outbox, self.notify)
        app = box_app(
            engine=self._store.engine,
            printer=self.printer,
            view=self,
            http_host=self.cs.http_host,
            http_port=self.cs.http_port,
            session_secret=self.cs.session_secret,
            client_id=self.settings.box_id,
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.cs.http_host, self.cs.http_port).start()
        await self.refresh_state()
        log.info("continuity pages on %s", self.public_url)

    async def stop(self) -> None:
        self._stop.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._store is not None:
            await self._store.close()

    async def run(self) -> None:
        await asyncio.gather(
            self.health.run(self._stop),
            self._every(self._collect_period, self.collect_once, self.health.subscribe()),
            self._every(
                lambda: self.cs.report_interval_s, self.report_once, self.health.subscribe()
            ),
        )

    def _collect_period(self) -> float:
        """While the cloud is away nothing can be sent: collect less often, so the many small
        edits of one visit leave as few records (the work itself is saved on the box as entered,
        and leaving continuity mode collects at once)."""
        return self.cs.offline_collect_interval_s if self.active else self.cs.collect_interval_s

    async def _every(
        self,
        period: Callable[[], float],
        job: Callable[[], Awaitable[object]],
        wake: asyncio.Event | None = None,
    ) -> None:
        while not self._stop.is_set():
            try:
                await job()
            except Exception:
                log.exception("continuity job %s failed", getattr(job, "__name__", job))
            waits = [asyncio.ensure_future(self._stop.wait())]
            if wake is not None:
                waits.append(asyncio.ensure_future(wake.wait()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.wait(waits, return_when="FIRST_COMPLETED"), period())
            for w in waits:
                w.cancel()
            if wake is not None:
                wake.clear()

    # ---- jobs ---------------------------------------------------------------------------------

    async def collect_once(self) -> int:
        assert self._collector is not None
        return await self._collector.run_once()

    async def refresh_state(self) -> WorkingSetState:
        acked = await self.outbox.acked_seq()
        self.state = await self.store.state(acked, continuity=self.active)
        return self.state

    async def report_once(self) -> None:
        state = await self.refresh_state()
        if (
            not self.active
            and self.health.cloud_ok
            and state.pending_records == 0
            and state.version != 0
            and await self.store.has_local_work()
        ):
            log.info("offline work confirmed by the cloud: asking for a fresh working set")
            await self.store.request_rebuild()
            state = await self.refresh_state()
        await self.report()

    def reported_extras(self) -> dict[str, Any]:
        return {"continuity_url": self.public_url, "working_set": self.state}

    async def on_part(self, part: WorkingSetPart) -> str:
        outcome = await self.store.receive(part, await self.outbox.acked_seq())
        if outcome != "staged":
            log.info("working set: %s", outcome)
            await self.refresh_state()
        return outcome

    async def resync(self) -> None:
        """Drop the working set's version: the next report gets a full rebuild."""
        await self.store.request_rebuild()
        await self.report_once()

    async def card_inserted(self, body: CardInserted) -> int:
        """Card check-in while in continuity mode: registered here, shipped like any work."""
        tenant = self.settings.tenant
        assert tenant is not None, "the daemon runs on provisioned settings"
        async with self.store.engine.begin() as conn:
            visit = await register_from_card(
                conn,
                tenant,
                self.settings.box_id,
                body.card,
                abnormal_code=self.abnormal_code(),
            )
        return visit.id
