"""The waiting-room screen (public, no login): each doctor's session, the number called and the
numbers waiting, with masked names only (:func:`clinicbox_core.booking.mask_name`).

``/display/{slug}/events`` is a Server-Sent Events stream that carries no data at all: it says
"refresh" whenever the clinic's queue changes, and the page fetches the masked board again.
"""

from __future__ import annotations

from aiohttp import web

from clinicbox_core.booking import mask_name
from cloud_plane.booking.slots import Clinic, clinic_by_slug
from cloud_plane.frontdesk.calling import session_queues
from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.web import keys
from cloud_plane.web.live import (
    BOOKING_CHANGED,
    QUEUE_CALLED,
    VISIT_CREATED,
    VISIT_UPDATED,
    LiveEvent,
)
from cloud_plane.web.render import render
from cloud_plane.web.views.events import stream

#: Queue changes the board shows.
BOARD_KINDS = frozenset({QUEUE_CALLED, VISIT_CREATED, VISIT_UPDATED, BOOKING_CHANGED})
#: Numbers listed as waiting per session.
WAITING_SHOWN = 5


async def board_context(request: web.Request, clinic: Clinic) -> dict[str, object]:
    async with request.app[keys.ENGINE].begin() as conn:
        queues = await session_queues(conn, clinic.id, clinic_day(utc_now()))
    board = [
        {
            "doctor_id": q.doctor_id,
            "doctor": q.doctor_name,
            "session": q.session.value,
            "current": q.current,
            "current_name": mask_name(q.current_name),
            "waiting": [(n, mask_name(name)) for n, name in q.waiting[:WAITING_SHOWN]],
            "waiting_count": len(q.waiting),
        }
        for q in queues
    ]
    return {"clinic": clinic, "board": board}


async def _clinic(request: web.Request) -> Clinic:
    async with request.app[keys.ENGINE].begin() as conn:
        return await clinic_by_slug(conn, request.match_info["slug"])


async def show_display(request: web.Request) -> web.StreamResponse:
    clinic = await _clinic(request)
    return render(request, "display.html", await board_context(request, clinic))


async def board_fragment(request: web.Request) -> web.StreamResponse:
    clinic = await _clinic(request)
    return render(request, "_board.html", await board_context(request, clinic))


def _refresh(event: LiveEvent) -> bytes | None:
    """The public stream's only frame: "the queue changed", without any of the event's data."""
    if event.kind not in BOARD_KINDS:
        return None
    return f"id: {event.seq}\nevent: refresh\ndata: {{}}\n\n".encode()


async def display_events(request: web.Request) -> web.StreamResponse:
    clinic = await _clinic(request)
    return await stream(request, clinic.id, _refresh)
