"""The box's printing port: a PrintJob in, a PrintResult out, for every configured printer.

A job goes to the first printer whose ``roles`` include ``job.printer``. Rendering and all device
I/O run in worker threads; a per-printer lock keeps two jobs (or a job and a status query) from
interleaving on one device. Device failures never raise: they come back as a failed PrintResult
whose ``reason`` is one of REASONS and whose ``detail`` says what happened, so the cloud can show
the pharmacist "缺紙" instead of a silently lost drug bag.
"""

from __future__ import annotations

import asyncio
import logging

from escpos.exceptions import Error as EscposError

from clinicbox_core.contracts.messages import PrintJob, PrintResult
from edge_agent.config import PrinterSettings
from edge_agent.printer.backends import probe, send_job
from edge_agent.printer.errors import PrinterError, RenderFailed
from edge_agent.printer.raster import FontMissing
from edge_agent.printer.render import render

log = logging.getLogger(__name__)

REASONS = (
    "no_printer_for_role",
    "offline",
    "timeout",
    "paper_out",
    "cover_open",
    "render_failed",
)


class PrinterService:
    def __init__(self, printers: list[PrinterSettings]) -> None:
        self._printers = list(printers)
        self._locks = {p.name: asyncio.Lock() for p in self._printers}

    def printer_for(self, role: str) -> PrinterSettings | None:
        return next((p for p in self._printers if role in p.roles), None)

    async def print(self, job: PrintJob) -> PrintResult:
        """Render and send ``job``; a failed result carries a reason code, never an exception."""
        settings = self.printer_for(job.printer)
        if settings is None:
            return _failed(job, "no_printer_for_role", f"no printer serves role {job.printer!r}")
        try:
            data = await asyncio.to_thread(_render, job, settings)
            async with self._locks[settings.name]:
                seen = await asyncio.to_thread(send_job, settings, data)
        except PrinterError as exc:
            log.warning("print job %s on %s failed: %s", job.job_id, settings.name, exc.detail)
            return _failed(job, exc.reason, exc.detail)
        log.info(
            "print job %s (%s, %d bytes) sent to %s; status before: %s",
            job.job_id,
            job.document.title,
            len(data),
            settings.name,
            seen,
        )
        return PrintResult(job_id=job.job_id, status="done")

    async def status(self) -> dict[str, str]:
        """Each printer's status by name: ok, paper_near_end, paper_out, cover_open, offline,
        timeout, or unknown (reachable but does not answer status requests)."""
        result: dict[str, str] = {}
        for settings in self._printers:
            async with self._locks[settings.name]:
                result[settings.name] = str(await asyncio.to_thread(probe, settings))
        return result


def _render(job: PrintJob, settings: PrinterSettings) -> bytes:
    try:
        return render(job.document, settings)
    except (FontMissing, EscposError, ValueError, OSError) as exc:
        raise RenderFailed(settings.name, f"cannot render {job.document.title!r}: {exc}") from exc


def _failed(job: PrintJob, reason: str, detail: str) -> PrintResult:
    return PrintResult(job_id=job.job_id, status="failed", reason=reason, detail=detail)
