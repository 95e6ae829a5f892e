"""The desk's view of today's online bookings and 報到 (check-in with the booked number)."""

from __future__ import annotations

from aiohttp import web

from cloud_plane.booking.service import check_in, day_bookings
from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.web import keys
from cloud_plane.web.forms import Forms, form_post
from cloud_plane.web.live import VISIT_CREATED
from cloud_plane.web.middleware import current_actor, see_other
from cloud_plane.web.render import render
from cloud_plane.web.views.common import path_id, publish_visit


async def bookings_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    actor = current_actor(request)
    day = clinic_day(utc_now())
    async with request.app[keys.ENGINE].begin() as conn:
        items = await day_bookings(conn, actor, day)
    return render(request, "desk_bookings.html", {"items": items, "today": day},
                  forms=forms, status=status)  # fmt: skip


async def show_bookings(request: web.Request) -> web.StreamResponse:
    return await bookings_page(request, {}, 200)


@form_post("checkin", bookings_page)
async def do_check_in(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    booking_id = path_id(request, "booking_id")
    async with request.app[keys.ENGINE].begin() as conn:
        visit = await check_in(conn, actor, booking_id, now=utc_now())
    publish_visit(request, VISIT_CREATED, visit)
    return see_other(f"/desk?registered={visit.id}")
