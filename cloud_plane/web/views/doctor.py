"""The doctor's tools on the 看診 page beyond typing orders: history, 組套, repeat last
prescription, 慢性病連續處方箋, 中醫 herbal lines, and the prescription slip (處方箋: printed on
the box's receipt printer, or shown as a browser print view when dispensing is delegated).

Each POST names its form (:func:`form_post`) so a refused input is shown again next to its
field with everything typed kept, like the rest of the page.
"""

from __future__ import annotations

import qrcode  # type: ignore[import-untyped]
import qrcode.image.svg  # type: ignore[import-untyped]
from aiohttp import web
from markupsafe import Markup

from clinicbox_core.printdoc.prescription import RX_LABELS, RxSlipData, slip_usage
from cloud_plane.services.chronic import clear_chronic_slip, set_chronic_slip
from cloud_plane.services.history import set_allergies
from cloud_plane.services.mappers import Prefixed
from cloud_plane.services.order_sets import (
    apply_order_set,
    repeat_last_prescription,
    save_order_set,
)
from cloud_plane.services.orders_tcm import add_herb_order, search_herbs
from cloud_plane.services.rx_slip import rx_slip_data
from cloud_plane.services.visit_context import load_context
from cloud_plane.web import keys
from cloud_plane.web.forms import decimal, form_post, integer, optional, required
from cloud_plane.web.live import VISIT_UPDATED
from cloud_plane.web.middleware import current_actor, see_other
from cloud_plane.web.render import render
from cloud_plane.web.views.billing import print_visit_document
from cloud_plane.web.views.common import path_id, post_values, publish_visit
from cloud_plane.web.views.visit import visit_page


def _back(visit_id: int, anchor: str) -> web.Response:
    return see_other(f"/visits/{visit_id}#{anchor}")


@form_post("chronic", visit_page)
async def do_chronic(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    values = await post_values(request)
    async with request.app[keys.ENGINE].begin() as conn:
        if values.get("clear"):
            detail = await clear_chronic_slip(conn, actor, visit_id)
        else:
            detail, _ = await set_chronic_slip(
                conn,
                actor,
                visit_id,
                fills=integer(values, "fills", minimum=1),
                days_per_fill=integer(values, "days_per_fill", minimum=1),
            )
    publish_visit(request, VISIT_UPDATED, detail.visit)
    return _back(visit_id, "chronic")


@form_post("allergies", visit_page)
async def do_allergies(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    text = (await post_values(request)).get("allergies", "")
    async with request.app[keys.ENGINE].begin() as conn:
        await set_allergies(conn, actor, visit_id, text)
    return _back(visit_id, "history")


@form_post("herb", visit_page)
async def do_add_herb(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    values = await post_values(request)
    code = required(values, "herb_code")
    grams = decimal(values, "grams_per_day")
    days = integer(values, "herb_days", minimum=1)
    frequency = optional(values, "herb_frequency") or "TID"
    async with request.app[keys.ENGINE].begin() as conn:
        await add_herb_order(
            conn, actor, visit_id, code=code, grams_per_day=grams, days=days, frequency=frequency
        )
    return _back(visit_id, "herbs")


@form_post("order_set", visit_page)
async def do_save_set(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    name = required(await post_values(request), "set_name")
    async with request.app[keys.ENGINE].begin() as conn:
        await save_order_set(conn, actor, visit_id, name)
    return _back(visit_id, "sets")


@form_post("order_set", visit_page)
async def do_apply_set(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    set_id = integer(await post_values(request), "set_id", minimum=1)
    async with request.app[keys.ENGINE].begin() as conn:
        await apply_order_set(conn, actor, visit_id, set_id)
    return _back(visit_id, "drugs")


@form_post("order_set", visit_page)
async def do_repeat(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    async with request.app[keys.ENGINE].begin() as conn:
        await repeat_last_prescription(conn, actor, visit_id)
    return _back(visit_id, "drugs")


@form_post("rx", visit_page)
async def do_print_rx(request: web.Request) -> web.StreamResponse:
    visit_id = path_id(request, "visit_id")
    await print_visit_document(request, visit_id, "rx")
    return _back(visit_id, "finish")


def qr_svg(text: str) -> Markup:
    """The QR code of ``text`` as inline SVG (error correction M, as the box prints it)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=4,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    code.add_data(text)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    return Markup(svg)  # generated by qrcode from our own ASCII payload, nothing user-typed


async def show_rx(request: web.Request) -> web.StreamResponse:
    """The browser print view of the slip (交付調劑): Ctrl+P prints it."""
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    async with request.app[keys.ENGINE].begin() as conn:
        visit = await load_context(conn, actor, visit_id)
        data: RxSlipData = await rx_slip_data(conn, visit, Prefixed(visit, "p_"))
    return render(
        request,
        "rx_print.html",
        {
            "rx": data,
            "p": data.payload,
            "L": RX_LABELS,
            "usage": slip_usage,
            "qr": qr_svg(data.qr_text),
            "visit_id": visit_id,
        },
    )


async def herbs_api(request: web.Request) -> web.StreamResponse:
    current_actor(request)
    q = request.query.get("q", "").strip()[:100]
    async with request.app[keys.ENGINE].begin() as conn:
        hits = await search_herbs(conn, q)
    return web.json_response({"items": [{"code": c, "name_zh": n, "name_en": ""} for c, n in hits]})
