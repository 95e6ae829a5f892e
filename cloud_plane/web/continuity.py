"""The web app's view of continuity mode.

On the box the same application runs with a :class:`ContinuityView` (``create_app(...,
continuity=view)``): pages show the 「離線作業模式」 banner, registration defaults to the outage's
異常就醫代碼, and ``/continuity/status`` tells the page's script when the cloud is back (and every
offline record has reached it) so the browser can return. In the cloud, ``/api/continuity``
gives the page the LAN address of the clinic's box, which the script keeps to go there when the
cloud stops answering.
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web
from sqlalchemy import select

from cloud_plane.db.tables_boxlink import box_status
from cloud_plane.web import keys


class ContinuityView(Protocol):
    @property
    def active(self) -> bool: ...

    @property
    def cloud_url(self) -> str | None: ...

    def abnormal_code(self) -> str | None:
        """The code for a visit registered now (None while the cloud is reachable)."""

    async def status(self, path: str) -> dict[str, Any]:
        """JSON for ``/continuity/status``: ``continuity``, ``cloud_ok``, ``pending`` and
        ``back_url`` (where a page at ``path`` goes when the cloud is back)."""


def default_abnormal_code(request: web.Request) -> str | None:
    view = request.app.get(keys.CONTINUITY)
    return view.abnormal_code() if view is not None else None


async def status(request: web.Request) -> web.StreamResponse:
    view = request.app.get(keys.CONTINUITY)
    if view is None:
        raise web.HTTPNotFound()
    path = request.query.get("path", "/desk")
    if not path.startswith("/") or path.startswith("//"):
        path = "/desk"
    return web.json_response(await view.status(path))


async def box_address(request: web.Request) -> web.StreamResponse:
    """The clinic's box LAN address for continuity mode, as the box last reported it."""
    slug = request[keys.TENANT_SLUG]
    async with request.app[keys.ENGINE].connect() as conn:
        rows = (
            await conn.execute(
                select(box_status.c.reported)
                .where(box_status.c.tenant_slug == slug)
                .order_by(box_status.c.box_id)
            )
        ).all()
    urls = [r.reported.get("continuity_url") for r in rows if r.reported.get("continuity_url")]
    return web.json_response({"url": urls[0] if urls else None})
