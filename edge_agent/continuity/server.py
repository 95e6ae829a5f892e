"""The clinic's pages served by the box: the cloud's own web application (same templates, same
services, same rules) on the box's encrypted copy of the clinic's data, printing straight to
the box's printers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.contracts import PrintJob, PrintResult
from cloud_plane.config import CloudSettings
from cloud_plane.services.printing import record_print_result
from cloud_plane.web.app import create_app
from cloud_plane.web.continuity import ContinuityView
from cloud_plane.web.live import LiveHub

LocalPrinter = Callable[[PrintJob], Awaitable[PrintResult]]


class LocalPrintDispatcher:
    """A print job from a box page prints here and now; its result is recorded at once."""

    def __init__(self, printer: LocalPrinter, engine: AsyncEngine) -> None:
        self.printer = printer
        self.engine = engine

    async def dispatch(self, tenant_slug: str, job: PrintJob, box_id: str | None) -> None:
        result = await self.printer(job)
        async with self.engine.begin() as conn:
            await record_print_result(conn, tenant_slug, result)


def box_app(
    *,
    engine: AsyncEngine,
    printer: LocalPrinter,
    view: ContinuityView,
    http_host: str,
    http_port: int,
    session_secret: str,
    client_id: str,
) -> web.Application:
    settings = CloudSettings(
        database_url="sqlite+aiosqlcipher:///(box)",  # informative: the engine is passed in
        http_host=http_host,
        http_port=http_port,
        session_secret=session_secret,
        mqtt_client_id=client_id,
    )
    return create_app(
        settings,
        engine,
        print_dispatcher=LocalPrintDispatcher(printer, engine),
        live=LiveHub(),
        continuity=view,
    )
