"""慢箋 pick-up booking, public and mobile first (``/book/<pharmacy>/pickup``): the patient
proves who they are exactly as for clinic booking (same forms, code and cookie:
:func:`cloud_plane.web.views.booking.send_code`), sees their open 慢箋 at the pharmacy with the
next fill's window, books a slot of the opening hours inside it, or cancels.
"""

from __future__ import annotations

from datetime import date, time

from aiohttp import web

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.pharmacy.pickup import slot_starts
from cloud_plane.pharmacy.pickup import (
    PICKUP_DAYS,
    book_pickup,
    cancel_pickup,
    open_refills,
    opening_periods,
)
from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.web import keys
from cloud_plane.web.forms import Forms, date_value, form_post, integer, required
from cloud_plane.web.middleware import see_other
from cloud_plane.web.render import render
from cloud_plane.web.views.booking import CHANNELS, check_code, clinic_of, send_code, who_of
from cloud_plane.web.views.common import path_id, post_values


def _base(slug: str) -> str:
    return f"/book/{slug}/pickup"


async def pickup_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    clinic = await clinic_of(request)
    who = await who_of(request, clinic)
    today = clinic_day(utc_now())
    async with request.app[keys.ENGINE].begin() as conn:
        periods = await opening_periods(conn, clinic.id)
        refills = await open_refills(conn, who, today) if who is not None else []
    times = sorted({s for p in periods for s in slot_starts(p)})
    context = {
        "clinic": clinic, "who": who, "refills": refills, "periods": periods,
        "times": [f"{t:%H:%M}" for t in times], "channels": CHANNELS,
        "step": request.query.get("step", ""), "identity_base": _base(clinic.slug),
        "horizon": PICKUP_DAYS, "booked": "booked" in request.query,
        "cancelled": "cancelled" in request.query,
    }  # fmt: skip
    return render(request, "book_pickup.html", context, forms=forms, status=status)


async def show_pickup(request: web.Request) -> web.StreamResponse:
    return await pickup_page(request, {}, 200)


@form_post("identity", pickup_page)
async def do_request_code(request: web.Request) -> web.StreamResponse:
    clinic = await clinic_of(request)
    return await send_code(request, clinic, see_other(f"{_base(clinic.slug)}?step=code#code"))


@form_post("code", pickup_page)
async def do_verify(request: web.Request) -> web.StreamResponse:
    clinic = await clinic_of(request)
    await check_code(request)
    return see_other(f"{_base(clinic.slug)}#refills")


def _slot_time(values: dict[str, str]) -> time:
    text = required(values, "at")
    try:
        return time.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed("error.field.invalid", field="at") from exc


@form_post("pickup", pickup_page)
async def do_book(request: web.Request) -> web.StreamResponse:
    clinic = await clinic_of(request)
    who = await who_of(request, clinic)
    if who is None:
        return see_other(f"{_base(clinic.slug)}#identity")
    values = await post_values(request)
    rx_id = integer(values, "rx_id")
    day: date = date_value(values, "day")
    at = _slot_time(values)
    async with request.app[keys.ENGINE].begin() as conn:
        booked = await book_pickup(conn, who, rx_id=rx_id, day=day, at=at, now=utc_now())
    return see_other(f"{_base(clinic.slug)}?booked={booked.id}#refills")


@form_post("cancel", pickup_page)
async def do_cancel(request: web.Request) -> web.StreamResponse:
    clinic = await clinic_of(request)
    who = await who_of(request, clinic)
    if who is None:
        return see_other(f"{_base(clinic.slug)}#identity")
    pickup_id = path_id(request, "pickup_id")
    async with request.app[keys.ENGINE].begin() as conn:
        await cancel_pickup(conn, who, pickup_id, utc_now())
    return see_other(f"{_base(clinic.slug)}?cancelled={pickup_id}#refills")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/book/{slug}/pickup", show_pickup, name="pickup"),
        web.post("/book/{slug}/pickup/code", do_request_code, name="pickup_code"),
        web.post("/book/{slug}/pickup/verify", do_verify, name="pickup_verify"),
        web.post("/book/{slug}/pickup/bookings", do_book, name="pickup_post"),
        web.post("/book/{slug}/pickup/{pickup_id}/cancel", do_cancel, name="pickup_cancel"),
    ]
