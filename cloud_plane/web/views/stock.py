"""庫存: drug stock by lot for a pharmacy or a clinic that dispenses itself: the low-stock list,
the lots (first expiry first), receiving a delivery and the stock-take adjustment (with reason).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from aiohttp import web

from clinicbox_core.errors import ValidationFailed
from cloud_plane.pharmacy.stock import adjust_stock, list_lots, low_stock, receive_stock
from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.web import keys
from cloud_plane.web.forms import Forms, date_value, form_post, integer, required
from cloud_plane.web.middleware import current_actor, see_other
from cloud_plane.web.render import render
from cloud_plane.web.views.common import post_values


async def stock_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    actor = current_actor(request)
    today = clinic_day(utc_now())
    code = request.query.get("code", "").strip() or None
    async with request.app[keys.ENGINE].begin() as conn:
        low = await low_stock(conn, actor, today)
        lots = await list_lots(conn, actor, code)
    lot_options = [
        (str(lot.id), f"{lot.code} {lot.name} · {lot.lot_no} · {lot.expiry} · {lot.on_hand}")
        for lot in lots
    ]
    context = {"low": low, "lots": lots, "lot_options": lot_options, "today": today}
    return render(request, "stock.html", context, forms=forms, status=status)


async def show_stock(request: web.Request) -> web.StreamResponse:
    return await stock_page(request, {}, 200)


def _quantity(values: dict[str, str], name: str) -> Decimal:
    """A quantity or amount that may be zero (a stock-take count, a free sample's cost)."""
    text = required(values, name)
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValidationFailed("error.field.not_number", field=name, value=text) from exc
    if not number.is_finite():
        raise ValidationFailed("error.field.not_number", field=name, value=text)
    return number


@form_post("receive", stock_page)
async def do_receive(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    values = await post_values(request)
    async with request.app[keys.ENGINE].begin() as conn:
        await receive_stock(
            conn,
            actor,
            code=required(values, "code"),
            lot_no=required(values, "lot_no"),
            expiry=date_value(values, "expiry"),
            quantity=_quantity(values, "quantity"),
            unit_cost=_quantity(values, "unit_cost"),
            today=clinic_day(utc_now()),
        )
    return see_other("/stock#lots")


@form_post("adjust", stock_page)
async def do_adjust(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    values = await post_values(request)
    lot_id = integer(values, "lot_id", minimum=1)
    async with request.app[keys.ENGINE].begin() as conn:
        await adjust_stock(
            conn,
            actor,
            lot_id,
            counted=_quantity(values, "counted"),
            reason=values.get("reason", ""),
        )
    return see_other("/stock#lots")
