"""離線作業衝突審查: the clinic administrator's list of offline work that met a change made in the
cloud meanwhile (see :mod:`cloud_plane.continuity.apply`), and marking an item handled."""

from __future__ import annotations

from aiohttp import web

from cloud_plane.continuity.review import list_conflicts, resolve_conflict
from cloud_plane.web import keys
from cloud_plane.web.forms import integer
from cloud_plane.web.middleware import current_actor, see_other
from cloud_plane.web.render import render
from cloud_plane.web.views.common import post_values


async def show_conflicts(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    include_done = request.query.get("all") == "1"
    async with request.app[keys.ENGINE].begin() as conn:
        items = await list_conflicts(conn, actor, include_done=include_done)
    return render(request, "conflicts.html", {"items": items, "include_done": include_done})


async def do_resolve(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    conflict_id = integer(await post_values(request), "conflict_id", minimum=1)
    async with request.app[keys.ENGINE].begin() as conn:
        await resolve_conflict(conn, actor, conflict_id)
    return see_other("/continuity/conflicts")
