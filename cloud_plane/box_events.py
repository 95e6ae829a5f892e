"""What the cloud does with each event a box sends, and with each box's reported state.

Handlers run inside the box inbox's transaction (see :mod:`cloud_plane.boxlink.store`), so the
event's effect and its ``box_inbox`` row commit together; live page updates are sent only after
that commit (:func:`~cloud_plane.boxlink.after_commit`).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox_core.contracts import BoxReported, CardInserted, Event, PrintResult, ScanRead
from cloud_plane.boxlink import EventHandler, after_commit
from cloud_plane.boxlink.store import txn_cache
from cloud_plane.continuity.apply_visit import apply_record
from cloud_plane.db.tables_clinic import tenants
from cloud_plane.nhiops.sequence import CardSequencer, check_in
from cloud_plane.services.printing import record_print_result
from cloud_plane.web.live import (
    BOX_STATUS,
    CARD_READ,
    PRINT_UPDATED,
    SCAN_READ,
    VISIT_CREATED,
    VISIT_UPDATED,
    LiveHub,
)

log = logging.getLogger(__name__)


async def _tenant_id(conn: AsyncConnection, slug: str) -> int | None:
    cache = txn_cache(conn)  # a run of one box's events asks for the same tenant each time
    if ("tenant_id", slug) not in cache:
        row = (await conn.execute(select(tenants.c.id).where(tenants.c.slug == slug))).first()
        cache[("tenant_id", slug)] = int(row.id) if row is not None else None
    found = cache[("tenant_id", slug)]
    return found if isinstance(found, int) else None


async def _pharmacy_id(conn: AsyncConnection, slug: str) -> int | None:
    """The tenant id when ``slug`` is a pharmacy (a card there fills the pharmacist's form
    instead of registering a visit)."""
    stmt = select(tenants.c.id).where(tenants.c.slug == slug, tenants.c.clinic_type == "pharmacy")
    row = (await conn.execute(stmt)).first()
    return int(row.id) if row is not None else None


class BoxEventHandlers:
    """The handler table for :class:`~cloud_plane.boxlink.BoxInbox`, publishing to ``live``."""

    def __init__(
        self, live: LiveHub, engine: AsyncEngine, sequencer: CardSequencer | None = None
    ) -> None:
        self.live = live
        self.engine = engine
        self.sequencer = sequencer

    def table(self) -> dict[str, EventHandler]:
        return {
            "card.inserted": self.card_inserted,
            "card.removed": self.card_removed,
            "print.result": self.print_result,
            "continuity.record": self.continuity_record,
            "scan.read": self.scan_read,
        }

    async def scan_read(self, conn: AsyncConnection, tenant: str, event: Event) -> None:
        """A barcode scanned at the box: shown live on the tenant's open pages (the pharmacy
        page receives the slip in the pharmacist's session); the inbox row is its record."""
        body = event.body
        assert isinstance(body, ScanRead)
        tenant_id = await _tenant_id(conn, tenant)
        if tenant_id is None:
            return
        data = {"box_id": event.box_id, "scanner": body.scanner, "code": body.code}
        after_commit(conn, lambda: self.live.publish(tenant_id, SCAN_READ, data))

    async def card_inserted(self, conn: AsyncConnection, tenant: str, event: Event) -> None:
        body = event.body
        assert isinstance(body, CardInserted)
        pharmacy_id = await _pharmacy_id(conn, tenant)
        if pharmacy_id is not None:
            card = {
                "box_id": event.box_id, "reader": body.reader, "id_no": body.card.id_no,
                "name": body.card.name, "birth_date": body.card.birth_date.isoformat(),
                "sex": body.card.sex,
            }  # fmt: skip
            after_commit(conn, lambda: self.live.publish(pharmacy_id, CARD_READ, card))
            return
        visit = await check_in(conn, tenant, event.box_id, body.card, self.sequencer)
        tenant_id = await _tenant_id(conn, tenant)
        if tenant_id is None:
            return
        data = {
            "visit_id": visit.id,
            "status": visit.status.value,
            "visit_no": visit.visit_no,
            "box_id": event.box_id,
            "reader": body.reader,
        }
        after_commit(conn, lambda: self.live.publish(tenant_id, VISIT_CREATED, data))

    async def card_removed(self, conn: AsyncConnection, tenant: str, event: Event) -> None:
        """A card taken out changes nothing clinical; the inbox row is its record."""

    async def print_result(self, conn: AsyncConnection, tenant: str, event: Event) -> None:
        body = event.body
        assert isinstance(body, PrintResult)
        row = await record_print_result(conn, tenant, body)
        tenant_id = await _tenant_id(conn, tenant)
        if tenant_id is None:
            return
        data = {"visit_id": row.visit_id, "job_id": str(row.job_id), "status": row.status}
        after_commit(conn, lambda: self.live.publish(tenant_id, PRINT_UPDATED, data))

    async def continuity_record(self, conn: AsyncConnection, tenant: str, event: Event) -> None:
        """Offline work from the box (see :mod:`cloud_plane.continuity.apply`)."""
        visit_id = await apply_record(conn, tenant, event)
        tenant_id = await _tenant_id(conn, tenant)
        if visit_id is None or tenant_id is None:
            return
        data = {"visit_id": visit_id, "box_id": event.box_id}
        after_commit(conn, lambda: self.live.publish(tenant_id, VISIT_UPDATED, data))

    async def reported(self, tenant: str, reported: BoxReported) -> None:
        async with self.engine.connect() as conn:
            tenant_id = await _tenant_id(conn, tenant)
        if tenant_id is not None:
            self.live.publish(
                tenant_id, BOX_STATUS, {"box_id": reported.box_id, "online": reported.online}
            )
