"""Re-send the print jobs a box has not answered, whenever that box comes online.

A print command travels QoS 1 into the box's persistent MQTT session. If the broker dies with
kill -9 before its next autosave, a command waiting for an offline box is gone, and nobody would
ever print that drug bag. The database is the truth: every job the cloud created is a
``print_jobs`` row, ``queued``/``sent`` until the box's ``print.result`` event arrives. So each
time a box reports ``online`` (its retained ``reported`` message, which every cloud process also
receives again after its own reconnect), the cloud re-sends that box's pending jobs of the last
:data:`RESEND_WINDOW`, with the job id as the command id. Re-sending is safe: the box's link
runs a command id once while it remembers it, and its print ledger prints a job id at most once
across restarts (see :mod:`edge_agent.print_ledger`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.contracts import BoxReported, Command
from cloud_plane.boxlink import BoxInbox
from cloud_plane.boxlink.errors import BoxLinkUnavailable
from cloud_plane.services.clock import utc_now
from cloud_plane.services.printing import pending_print_jobs

log = logging.getLogger(__name__)

RESEND_WINDOW = timedelta(hours=24)  # older unanswered jobs are for the front desk to redo


class PrintResender:
    def __init__(self, engine: AsyncEngine, inbox: BoxInbox) -> None:
        self.engine = engine
        self.inbox = inbox
        self.resent = 0

    async def on_reported(self, tenant: str, reported: BoxReported) -> None:
        if not reported.online:
            return
        async with self.engine.connect() as conn:
            jobs = await pending_print_jobs(
                conn, tenant, reported.box_id, utc_now() - RESEND_WINDOW
            )
        for job in jobs:
            try:
                await self.inbox.send_command(
                    tenant, reported.box_id, Command(command_id=job.job_id, body=job)
                )
            except BoxLinkUnavailable as exc:
                log.warning("could not re-send print job %s: %s", job.job_id, exc)
                return
            self.resent += 1
            log.info("re-sent unanswered print job %s to %s", job.job_id, reported.box_id)
