"""Online booking, public and mobile first: a clinic's open sessions, identity by ID number +
birthday + one-time code, booking, the patient's bookings with the live queue, cancelling.

The verified identity is a random token in the ``cb_book`` cookie (its SHA-256 in the
database, :mod:`cloud_plane.booking.identity`). The one-time code goes out through the notifier
at once; a channel that is not configured is said so on the form, with everything typed kept.
"""

from __future__ import annotations

from datetime import date

from aiohttp import web

from clinicbox_core.errors import ValidationFailed
from cloud_plane.booking.identity import (
    Identity,
    forget,
    identity_of,
    request_code,
    verify_code,
)
from cloud_plane.booking.service import book, cancel_booking, my_bookings
from cloud_plane.booking.slots import Clinic, clinic_by_slug, list_clinics, open_slots
from cloud_plane.notify.base import Notice, NotifyError
from cloud_plane.services.clock import TAIPEI, utc_now
from cloud_plane.web import keys
from cloud_plane.web.forms import Forms, date_value, form_post, required
from cloud_plane.web.live import BOOKING_CHANGED
from cloud_plane.web.middleware import see_other
from cloud_plane.web.render import render
from cloud_plane.web.views.common import path_id, post_values
from cloud_plane.web.views.display import board_context

COOKIE = "cb_book"
CHANNELS = ("email", "sms", "line")


async def clinic_of(request: web.Request) -> Clinic:
    async with request.app[keys.ENGINE].begin() as conn:
        return await clinic_by_slug(conn, request.match_info["slug"])


async def who_of(request: web.Request, clinic: Clinic) -> Identity | None:
    async with request.app[keys.ENGINE].begin() as conn:
        return await identity_of(conn, clinic.id, request.cookies.get(COOKIE), utc_now())


async def show_index(request: web.Request) -> web.StreamResponse:
    async with request.app[keys.ENGINE].begin() as conn:
        clinics = await list_clinics(conn)
    return render(request, "book_index.html", {"clinics": clinics})


async def clinic_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    clinic = await clinic_of(request)
    who = await who_of(request, clinic)
    async with request.app[keys.ENGINE].begin() as conn:
        slots = await open_slots(conn, clinic.id, utc_now())
    context = {
        "clinic": clinic, "who": who, "slots": slots, "channels": CHANNELS,
        "step": request.query.get("step", ""),
    }  # fmt: skip
    return render(request, "book_clinic.html", context, forms=forms, status=status)


async def show_clinic(request: web.Request) -> web.StreamResponse:
    return await clinic_page(request, {}, 200)


def _birth(values: dict[str, str]) -> date:
    born = date_value(values, "birth_date")
    if born > utc_now().astimezone(TAIPEI).date():
        raise ValidationFailed("error.field.future_date", field="birth_date")
    return born


@form_post("identity", clinic_page)
async def do_request_code(request: web.Request) -> web.StreamResponse:
    clinic = await clinic_of(request)
    response = see_other(f"/book/{clinic.slug}?step=code#code")
    return await send_code(request, clinic, response)


async def send_code(
    request: web.Request, clinic: Clinic, response: web.StreamResponse
) -> web.StreamResponse:
    """Check the posted identity, send its one-time code, set the cookie on ``response``
    (shared by clinic booking and the pharmacy's 慢箋 pick-up page)."""
    values = await post_values(request)
    national_id = required(values, "national_id")
    born = _birth(values)
    name = required(values, "name")
    channel = required(values, "channel")
    contact = required(values, "contact")
    now = utc_now()
    catalogue = request.app[keys.CATALOGUE]
    async with request.app[keys.ENGINE].begin() as conn:
        who, code, token = await request_code(
            conn, clinic.id, national_id=national_id, birth_date=born, name=name,
            channel=channel, contact=contact, now=now,
        )  # fmt: skip
    notice = Notice(
        channel=who.channel, to=who.contact,
        subject=catalogue.t("notify.code.subject", clinic=clinic.name),
        body=catalogue.t("notify.code.body", clinic=clinic.name, code=code),
    )  # fmt: skip
    try:
        await request.app[keys.NOTIFIER].send(notice)
    except NotifyError as err:
        async with request.app[keys.ENGINE].begin() as conn:
            await forget(conn, who.id)  # a code nobody received must not count or linger
        err.params.setdefault("field", "contact")
        raise
    response.set_cookie(COOKIE, token, path="/book/", httponly=True, samesite="Lax",
                        secure=request.secure, max_age=3600)  # fmt: skip
    return response


@form_post("code", clinic_page)
async def do_verify(request: web.Request) -> web.StreamResponse:
    clinic = await clinic_of(request)
    await check_code(request)
    return see_other(f"/book/{clinic.slug}#slots")


async def check_code(request: web.Request) -> None:
    """Accept the posted one-time code for this browser's cookie (or ``ValidationFailed``)."""
    code = required(await post_values(request), "code")
    token = request.cookies.get(COOKIE, "")
    async with request.app[keys.ENGINE].begin() as conn:
        await verify_code(conn, token, code, utc_now())


@form_post("book", clinic_page)
async def do_book(request: web.Request) -> web.StreamResponse:
    clinic = await clinic_of(request)
    who = await who_of(request, clinic)
    if who is None:
        return see_other(f"/book/{clinic.slug}#identity")
    slot_text = required(await post_values(request), "slot")
    try:
        session_text, day_text = slot_text.split("@", 1)
        session_id, day = int(session_text), date.fromisoformat(day_text)
    except ValueError as exc:
        raise ValidationFailed("error.field.invalid", field="slot") from exc
    async with request.app[keys.ENGINE].begin() as conn:
        booking = await book(conn, who, session_id=session_id, day=day, now=utc_now())
    request.app[keys.LIVE].publish(clinic.id, BOOKING_CHANGED, {"booking_id": booking.id})
    return see_other(f"/book/{clinic.slug}/mine?booked={booking.id}")


async def mine_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    clinic = await clinic_of(request)
    who = await who_of(request, clinic)
    if who is None:
        return see_other(f"/book/{clinic.slug}#identity")
    async with request.app[keys.ENGINE].begin() as conn:
        items = await my_bookings(conn, who, utc_now().astimezone(TAIPEI).date())
    context = {"clinic": clinic, "who": who, "items": items, **await board_context(request, clinic)}
    return render(request, "book_mine.html", context, forms=forms, status=status)


async def show_mine(request: web.Request) -> web.StreamResponse:
    return await mine_page(request, {}, 200)


@form_post("cancel", mine_page)
async def do_cancel(request: web.Request) -> web.StreamResponse:
    clinic = await clinic_of(request)
    who = await who_of(request, clinic)
    if who is None:
        return see_other(f"/book/{clinic.slug}#identity")
    booking_id = path_id(request, "booking_id")
    async with request.app[keys.ENGINE].begin() as conn:
        await cancel_booking(conn, who, booking_id, utc_now())
    request.app[keys.LIVE].publish(clinic.id, BOOKING_CHANGED, {"booking_id": booking_id})
    return see_other(f"/book/{clinic.slug}/mine?cancelled={booking_id}")
