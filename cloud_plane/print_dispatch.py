"""The production :class:`~cloud_plane.web.dispatch.PrintDispatcher`: a print job becomes a
``print`` command on the clinic box's MQTT ``cmd`` topic.

The box prints each job id at most once and reports the outcome as a durable ``print.result``
event, which :mod:`cloud_plane.box_events` records. If the link is down the web page records the
job as failed with the reason, so the front desk can press print again.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.contracts import Command, PrintJob
from cloud_plane.boxlink import BoxInbox
from cloud_plane.boxlink.errors import BoxLinkUnavailable
from cloud_plane.db.tables_clinic import boxes, tenants


class MqttPrintDispatcher:
    def __init__(self, inbox: BoxInbox, engine: AsyncEngine) -> None:
        self.inbox = inbox
        self.engine = engine

    async def _default_box(self, tenant_slug: str, kind: str) -> str:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(boxes.c.box_id)
                    .join(tenants, tenants.c.id == boxes.c.tenant_id)
                    .where(tenants.c.slug == tenant_slug)
                    .order_by(boxes.c.box_id)
                    .limit(1)
                )
            ).first()
        if row is None:
            raise BoxLinkUnavailable("error.print.no_box", kind=kind, tenant=tenant_slug)
        return str(row.box_id)

    async def dispatch(self, tenant_slug: str, job: PrintJob, box_id: str | None) -> None:
        target = box_id or await self._default_box(tenant_slug, job.printer)
        # The job id is the command id: a re-sent job (see print_resend) is the same command.
        await self.inbox.send_command(tenant_slug, target, Command(command_id=job.job_id, body=job))
