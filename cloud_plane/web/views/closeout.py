"""日結: the day's totals, the counted cash, and the printable report (browser print view)."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from clinicbox_core.errors import NotFound
from cloud_plane.frontdesk.closeout import close_day, day_totals, get_closeout
from cloud_plane.services.auth import get_tenant
from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.web import keys
from cloud_plane.web.forms import Forms, form_post, integer
from cloud_plane.web.middleware import current_actor, see_other
from cloud_plane.web.render import render
from cloud_plane.web.views.common import post_values


def _day(request: web.Request) -> date:
    text = request.match_info.get("day") or request.query.get("day", "")
    if not text:
        return clinic_day(utc_now())
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise NotFound("error.not_found") from exc


async def closeout_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    actor = current_actor(request)
    day = _day(request)
    async with request.app[keys.ENGINE].begin() as conn:
        totals = await day_totals(conn, actor, day)
        closed = await get_closeout(conn, actor, day)
    context = {"day": day, "totals": closed.totals if closed else totals, "closed": closed}
    return render(request, "closeout.html", context, forms=forms, status=status)


async def show_closeout(request: web.Request) -> web.StreamResponse:
    return await closeout_page(request, {}, 200)


@form_post("closeout", closeout_page)
async def do_closeout(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    day = _day(request)
    values = await post_values(request)
    counted = integer(values, "counted_cash", minimum=0)
    async with request.app[keys.ENGINE].begin() as conn:
        await close_day(conn, actor, day, counted, values.get("note", ""))
    return see_other(f"/closeout/{day.isoformat()}/report")


async def show_report(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    day = _day(request)
    async with request.app[keys.ENGINE].begin() as conn:
        closed = await get_closeout(conn, actor, day)
        tenant = await get_tenant(conn, actor)
    if closed is None:
        raise NotFound("error.closeout.not_closed", day=day.isoformat())
    return render(request, "closeout_report.html", {"c": closed, "tenant": tenant, "day": day})
