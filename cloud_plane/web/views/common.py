"""Small helpers every view module uses: path ids, posted values, live publishing."""

from __future__ import annotations

from aiohttp import web

from clinicbox_core.errors import NotFound
from cloud_plane.services.models import Visit, VisitStatus
from cloud_plane.web import keys
from cloud_plane.web.i18n import Catalogue
from cloud_plane.web.middleware import current_actor

#: Path ids are positive integers below this (a 64-bit primary key).
_MAX_ID = 2**63


def path_id(request: web.Request, name: str) -> int:
    """An integer id from the path; anything else is the same 404 as an unknown id."""
    text = request.match_info[name]
    if not text.isdigit() or not 0 < int(text) < _MAX_ID:
        raise NotFound("error.not_found")
    return int(text)


async def post_values(request: web.Request) -> dict[str, str]:
    data = await request.post()
    return {k: v for k, v in data.items() if isinstance(v, str)}


def publish_visit(request: web.Request, kind: str, visit: Visit) -> None:
    """Tell the tenant's open pages that a visit changed (call after the commit)."""
    actor = current_actor(request)
    request.app[keys.LIVE].publish(
        actor.tenant_id,
        kind,
        {"visit_id": visit.id, "status": visit.status.value, "visit_no": visit.visit_no},
    )


def status_labels(catalogue: Catalogue) -> dict[str, str]:
    return {s.value: catalogue.t(f"visit.status.{s.value}") for s in VisitStatus}
