"""叫號 at the desk (the calling panel, call next / call again) and 退掛 / 改掛 with their NHI
consequences (:mod:`cloud_plane.frontdesk.reregister`)."""

from __future__ import annotations

from aiohttp import web

from clinicbox_core.errors import ValidationFailed
from cloud_plane.frontdesk.calling import Called, call_next, call_visit, session_queues
from cloud_plane.frontdesk.reregister import cancel, reregister, seq_returns_due
from cloud_plane.services.auth import get_tenant, list_doctors
from cloud_plane.services.clock import clinic_day, session_at, utc_now
from cloud_plane.services.consultation import get_visit_detail
from cloud_plane.services.models import Session
from cloud_plane.services.visit_state import load_visit
from cloud_plane.web import keys, options
from cloud_plane.web.forms import Forms, form_post, integer, optional, required
from cloud_plane.web.live import QUEUE_CALLED, VISIT_CREATED, VISIT_UPDATED
from cloud_plane.web.middleware import current_actor, see_other
from cloud_plane.web.render import render
from cloud_plane.web.views.common import path_id, post_values, publish_visit


def _session(text: str | None, field: str = "session") -> Session | None:
    if not text:
        return None
    try:
        return Session(text)
    except ValueError as exc:
        raise ValidationFailed("error.field.invalid", field=field) from exc


async def calling_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    actor = current_actor(request)
    now = utc_now()
    async with request.app[keys.ENGINE].begin() as conn:
        queues = await session_queues(conn, actor.tenant_id, clinic_day(now))
        doctors = await list_doctors(conn, actor)
        tenant = await get_tenant(conn, actor)
    context = {
        "queues": queues,
        "doctors": [(str(d.id), d.display_name) for d in doctors],
        "sessions": options.sessions(request.app[keys.CATALOGUE]),
        "current_session": request.query.get("session") or session_at(now).value,
        "current_doctor": request.query.get("doctor", ""),
        "slug": tenant.slug,
    }
    return render(request, "calling.html", context, forms=forms, status=status)


async def show_calling(request: web.Request) -> web.StreamResponse:
    return await calling_page(request, {}, 200)


async def calling_fragment(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    async with request.app[keys.ENGINE].begin() as conn:
        queues = await session_queues(conn, actor.tenant_id, clinic_day(utc_now()))
    return render(request, "_calling.html", {"queues": queues})


def _publish_call(request: web.Request, called: Called) -> None:
    request.app[keys.LIVE].publish(
        current_actor(request).tenant_id,
        QUEUE_CALLED,
        {"doctor_id": called.doctor_id, "session": called.session.value, "number": called.number},
    )


@form_post("call", calling_page)
async def do_call_next(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    values = await post_values(request)
    doctor_id = integer(values, "doctor_id", minimum=1)
    session = _session(required(values, "session")) or Session.MORNING
    async with request.app[keys.ENGINE].begin() as conn:
        called = await call_next(
            conn, actor, day=clinic_day(utc_now()), doctor_id=doctor_id, session=session
        )
    _publish_call(request, called)
    return see_other(_called_url(called))


def _called_url(called: Called) -> str:
    """Back to the panel with the same doctor and session chosen (the next call is one key)."""
    return (
        f"/desk/calling?called={called.number}&doctor={called.doctor_id}"
        f"&session={called.session.value}"
    )


async def do_call_visit(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    async with request.app[keys.ENGINE].begin() as conn:
        called = await call_visit(conn, actor, visit_id)
    _publish_call(request, called)
    return see_other(_called_url(called))


async def do_cancel(request: web.Request) -> web.StreamResponse:
    """退掛 (replaces the bare status change): records what happens to the 就醫序號."""
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    async with request.app[keys.ENGINE].begin() as conn:
        visit, cancellation = await cancel(conn, actor, visit_id)
    publish_visit(request, VISIT_UPDATED, visit)
    suffix = "&seq_return=1" if cancellation.seq_action == "return_due" else ""
    return see_other(f"/desk?cancelled={visit.id}{suffix}")


async def reregister_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    async with request.app[keys.ENGINE].begin() as conn:
        detail = await get_visit_detail(conn, actor, visit_id)
        doctors = await list_doctors(conn, actor)
        returns = await seq_returns_due(conn, actor)
    context = {
        "d": detail,
        "v": detail.visit,
        "p": detail.patient,
        "doctors": [(str(d.id), d.display_name) for d in doctors],
        "departments": options.departments(),
        "sessions": options.sessions(request.app[keys.CATALOGUE]),
        "seq_return_due": returns,
    }
    return render(request, "reregister.html", context, forms=forms, status=status)


async def show_reregister(request: web.Request) -> web.StreamResponse:
    return await reregister_page(request, {}, 200)


@form_post("reregister", reregister_page)
async def do_reregister(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    async with request.app[keys.ENGINE].begin() as conn:
        await load_visit(conn, actor, visit_id)  # another clinic's visit: 404 before any check
    values = await post_values(request)
    doctor_id = integer(values, "doctor_id", minimum=1)
    department = required(values, "department")
    session = _session(optional(values, "session"))
    async with request.app[keys.ENGINE].begin() as conn:
        old, new, _ = await reregister(
            conn, actor, visit_id, doctor_id=doctor_id, session=session, department=department
        )
    publish_visit(request, VISIT_UPDATED, old)
    publish_visit(request, VISIT_CREATED, new)
    return see_other(f"/desk?registered={new.id}")
