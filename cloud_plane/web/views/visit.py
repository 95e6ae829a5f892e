"""看診: the doctor's page for one visit (complaint, diagnoses, drug and procedure orders,
finish).

Every change is a form POST followed by a redirect back to the page (anchor on the section just
edited, so the keyboard focus lands there); the page's script only adds search-as-you-type.
"""

from __future__ import annotations

from datetime import date

from aiohttp import web

from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.services.consultation import (
    add_diagnosis,
    get_visit_detail,
    remove_diagnosis,
    set_chief_complaint,
    start_consultation,
)
from cloud_plane.services.finish import finish_consultation
from cloud_plane.services.models import VisitDetail
from cloud_plane.services.orders import add_drug_order, add_procedure_order, remove_order
from cloud_plane.web import keys, options
from cloud_plane.web.forms import (
    Forms,
    decimal,
    form_post,
    integer,
    optional,
    optional_decimal,
    required,
)
from cloud_plane.web.live import VISIT_UPDATED
from cloud_plane.web.middleware import current_actor, see_other
from cloud_plane.web.render import render
from cloud_plane.web.views.common import path_id, post_values, publish_visit, status_labels
from cloud_plane.web.views.doctor_page import doctor_context

#: Order kinds the fee step adds by itself (shown, not removable by hand).
FEE_KINDS = frozenset({"consult_fee", "pharmacy_fee"})


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


async def visit_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    async with request.app[keys.ENGINE].begin() as conn:
        detail = await get_visit_detail(conn, actor, visit_id)
        extra = await doctor_context(conn, actor, detail)
    catalogue = request.app[keys.CATALOGUE]
    context = {
        "d": detail,
        "v": detail.visit,
        "p": detail.patient,
        "age": age_on(detail.patient.birth_date, clinic_day(utc_now())),
        "drug_orders": [o for o in detail.orders if o.kind == "drug"],
        "procedure_orders": [o for o in detail.orders if o.kind == "procedure"],
        "fee_orders": [o for o in detail.orders if o.kind in FEE_KINDS],
        "editable": detail.visit.status.value == "in_consultation",
        "frequencies": options.frequencies(),
        "routes": options.routes(),
        "status_labels": status_labels(catalogue),
        "visit_type_name": options.visit_type_name,
        "department_name": options.department_name,
        **extra,
    }
    return render(request, "visit.html", context, forms=forms, status=status)


async def show_visit(request: web.Request) -> web.StreamResponse:
    return await visit_page(request, {}, 200)


def _back(detail: VisitDetail, anchor: str) -> web.Response:
    return see_other(f"/visits/{detail.visit.id}#{anchor}")


async def _changed(request: web.Request, detail: VisitDetail, anchor: str) -> web.Response:
    publish_visit(request, VISIT_UPDATED, detail.visit)
    return _back(detail, anchor)


@form_post("start", visit_page)
async def do_start(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    async with request.app[keys.ENGINE].begin() as conn:
        detail = await start_consultation(conn, actor, visit_id)
    return await _changed(request, detail, "complaint")


@form_post("complaint", visit_page)
async def do_complaint(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    values = await post_values(request)
    async with request.app[keys.ENGINE].begin() as conn:
        detail = await set_chief_complaint(conn, actor, visit_id, values.get("chief_complaint", ""))
    return _back(detail, "diagnoses")


@form_post("diagnosis", visit_page)
async def do_add_diagnosis(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    code = required(await post_values(request), "code")
    async with request.app[keys.ENGINE].begin() as conn:
        detail = await add_diagnosis(conn, actor, visit_id, code)
    return _back(detail, "diagnoses")


@form_post("diagnosis", visit_page)
async def do_remove_diagnosis(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    diagnosis_id = path_id(request, "diagnosis_id")
    async with request.app[keys.ENGINE].begin() as conn:
        detail = await remove_diagnosis(conn, actor, visit_id, diagnosis_id)
    return _back(detail, "diagnoses")


@form_post("drug", visit_page)
async def do_add_drug(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    values = await post_values(request)
    drug_code = required(values, "drug_code").upper()
    dose = decimal(values, "dose")
    frequency = required(values, "frequency")
    route = required(values, "route")
    days = integer(values, "days", minimum=1)
    total = optional_decimal(values, "total_quantity")
    self_pay = values.get("self_pay") in ("1", "on", "true")
    async with request.app[keys.ENGINE].begin() as conn:
        detail = await add_drug_order(
            conn,
            actor,
            visit_id,
            drug_code=drug_code,
            dose=dose,
            frequency=frequency,
            route=route,
            days=days,
            total_quantity=total,
            self_pay=self_pay,
        )
    return _back(detail, "drugs")


@form_post("procedure", visit_page)
async def do_add_procedure(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    values = await post_values(request)
    code = required(values, "code").upper()
    tooth = optional(values, "tooth")
    async with request.app[keys.ENGINE].begin() as conn:
        detail = await add_procedure_order(conn, actor, visit_id, code, tooth=tooth)
    return _back(detail, "procedures")


@form_post("drug", visit_page)
async def do_remove_order(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    order_id = path_id(request, "order_id")
    async with request.app[keys.ENGINE].begin() as conn:
        detail = await remove_order(conn, actor, visit_id, order_id)
    return _back(detail, "drugs")


@form_post("finish", visit_page)
async def do_finish(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    async with request.app[keys.ENGINE].begin() as conn:
        detail = await finish_consultation(conn, actor, visit_id)
    publish_visit(request, VISIT_UPDATED, detail.visit)
    return see_other(f"/visits/{detail.visit.id}#finish")
