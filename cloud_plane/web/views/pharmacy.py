"""調劑: the pharmacist's pages. Receive a slip (QR code from a keyboard-wedge scanner typed into
the focused field, or from the box's serial scanner pushed live; the NHI card filling the
patient; or typed in), then dispense its next fill with the card read, print the drug bag and
the receipt.

Every change is a form POST followed by a redirect; a failing POST shows the page again with
what was typed and the message next to the field (:mod:`cloud_plane.web.forms`).
"""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp import web
from pydantic import ValidationError

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.pharmacy.refill import REFILL_RULE
from clinicbox_core.prescription.qr_codec import decode_rx
from cloud_plane.pharmacy.dispense import DispenseInput, dispense
from cloud_plane.pharmacy.models import RxInput, RxItemInput, RxSource, next_window
from cloud_plane.pharmacy.pickup import day_pickups
from cloud_plane.pharmacy.queries import load_rx, recent_rx, rx_of_patient
from cloud_plane.pharmacy.receive import known_name, receive_prescription
from cloud_plane.pharmacy.slip import rx_input
from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.services.printing import list_print_jobs
from cloud_plane.web import keys, options
from cloud_plane.web.forms import (
    Forms,
    date_value,
    decimal,
    form_post,
    integer,
    optional,
    optional_decimal,
    required,
)
from cloud_plane.web.middleware import current_actor, see_other
from cloud_plane.web.render import render
from cloud_plane.web.views.billing import print_visit_document
from cloud_plane.web.views.common import path_id, post_values

ITEM_ROWS = 4  # drug lines on the typed form
RECENT_DAYS = 100  # slips still relevant: a 3-fill 慢箋 of 30 days spans about 90 days


async def pharmacy_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    actor = current_actor(request)
    today = clinic_day(utc_now())
    async with request.app[keys.ENGINE].begin() as conn:
        slips = await recent_rx(conn, actor, today - timedelta(days=RECENT_DAYS))
        pickups_day = _day_param(request.query.get("pickups_day", ""), today)
        pickups = await day_pickups(conn, actor, pickups_day)
        pickup_rx = {p.rx_id: await load_rx(conn, actor, p.rx_id) for p in pickups}
    due = [(rx, w) for rx in slips if (w := next_window(rx)) is not None and w.contains(today)]
    context = {
        "slips": slips,
        "due": due,
        "pickups": pickups,
        "pickups_day": pickups_day,
        "pickup_rx": pickup_rx,
        "today": today,
        "item_rows": range(1, ITEM_ROWS + 1),
        "frequencies": options.frequencies(),
        "routes": options.routes(),
    }
    return render(request, "pharmacy.html", context, forms=forms, status=status)


def _day_param(text: str, default: date) -> date:
    """The day of the pick-up list (``?pickups_day=``, e.g. tomorrow's to prepare); else today."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return default


async def show_pharmacy(request: web.Request) -> web.StreamResponse:
    return await pharmacy_page(request, {}, 200)


async def _receive(request: web.Request, data: RxInput, source: RxSource) -> web.Response:
    actor = current_actor(request)
    async with request.app[keys.ENGINE].begin() as conn:
        rx = await receive_prescription(conn, actor, data, source)
    return see_other(f"/pharmacy/rx/{rx.id}")  # no fragment: it would skip the autofocus


@form_post("scan", pharmacy_page)
async def do_scan(request: web.Request) -> web.StreamResponse:
    """A slip's QR code, typed by a keyboard-wedge scanner (or pushed from the box's serial
    scanner by the page script); a patient new to the pharmacy also needs a name."""
    actor = current_actor(request)
    values = await post_values(request)
    payload = decode_rx(values.get("rx_code", ""))
    name = optional(values, "name")
    if name is None:
        async with request.app[keys.ENGINE].connect() as conn:
            name = await known_name(conn, actor, payload.patient_id)
    if name is None:
        raise ValidationFailed("error.rx.name_needed", field="name")
    return await _receive(request, rx_input(payload, name), "qr")


def _item(values: dict[str, str], n: int) -> RxItemInput | None:
    code = optional(values, f"item{n}_code")
    if code is None:
        return None
    days = integer(values, f"item{n}_days", minimum=1)
    if days > 90:
        raise ValidationFailed("error.order.bad_days", field=f"item{n}_days", max=90)
    return RxItemInput(
        code=code.upper(),
        dose=optional_decimal(values, f"item{n}_dose"),
        frequency=optional(values, f"item{n}_frequency"),
        route=optional(values, f"item{n}_route"),
        days=days,
        total_quantity=decimal(values, f"item{n}_total"),
    )


def typed_input(values: dict[str, str]) -> RxInput:
    """The typed slip form as an :class:`RxInput`; errors name the field."""
    items = [it for n in range(1, ITEM_ROWS + 1) if (it := _item(values, n)) is not None]
    chronic = values.get("chronic") == "1"
    sex = required(values, "sex")
    if sex not in ("M", "F"):
        raise ValidationFailed("error.field.required", field="sex")
    diagnoses = tuple(d for d in (values.get("diagnoses") or "").replace(",", " ").split() if d)
    try:
        return RxInput(
            national_id=required(values, "national_id").upper(),
            name=required(values, "name"),
            birth_date=date_value(values, "birth_date"),
            sex="M" if sex == "M" else "F",
            origin_nhi_code=required(values, "origin_nhi_code").upper(),
            origin_case_type=required(values, "origin_case_type"),
            origin_seq=required(values, "origin_seq").upper(),
            prescribed_on=date_value(values, "prescribed_on"),
            doctor_id_no=optional(values, "doctor_id_no"),
            diagnoses=diagnoses,
            chronic=chronic,
            fills_allowed=integer(values, "fills_allowed", minimum=1) if chronic else 1,
            items=tuple(items),
        )
    except ValidationError as exc:
        loc = exc.errors()[0]["loc"]
        field = str(loc[0]) if loc else "national_id"
        raise ValidationFailed("error.validation", field=field) from exc


@form_post("typed", pharmacy_page)
async def do_typed(request: web.Request) -> web.StreamResponse:
    values = await post_values(request)
    source: RxSource = "card" if values.get("card_read") == "1" else "typed"
    return await _receive(request, typed_input(values), source)


async def patient_slips(request: web.Request) -> web.StreamResponse:
    """The slips of the patient whose card was just read (fragment for the page script)."""
    actor = current_actor(request)
    national_id = request.query.get("national_id", "")
    async with request.app[keys.ENGINE].begin() as conn:
        slips = await rx_of_patient(conn, actor, national_id) if national_id else []
    return render(request, "_pharmacy_slips.html", {"slips": slips})


async def rx_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    actor = current_actor(request)
    rx_id = path_id(request, "rx_id")
    today = clinic_day(utc_now())
    async with request.app[keys.ENGINE].begin() as conn:
        rx = await load_rx(conn, actor, rx_id)
        last = rx.fills[-1].visit_id if rx.fills else None
        jobs = await list_print_jobs(conn, actor, last) if last is not None else []
    context = {
        "rx": rx,
        "window": next_window(rx),
        "rule": REFILL_RULE,
        "today": today,
        "last_visit": last,
        "jobs": jobs,
        "abnormal_codes": options.abnormal_codes(request.app[keys.CATALOGUE]),
    }
    return render(request, "pharmacy_rx.html", context, forms=forms, status=status)


async def show_rx(request: web.Request) -> web.StreamResponse:
    return await rx_page(request, {}, 200)


@form_post("dispense", rx_page)
async def do_dispense(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    rx_id = path_id(request, "rx_id")
    values = await post_values(request)
    given = DispenseInput(
        card_id=optional(values, "card_id"),
        abnormal_code=optional(values, "abnormal_code"),
        exemption_code=optional(values, "exemption_code"),
        override_stock=values.get("override_stock") == "1",
    )
    async with request.app[keys.ENGINE].begin() as conn:
        await dispense(conn, actor, rx_id, given)
    return see_other(f"/pharmacy/rx/{rx_id}#prints")


@form_post("print", rx_page)
async def do_print(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    rx_id = path_id(request, "rx_id")
    async with request.app[keys.ENGINE].begin() as conn:
        rx = await load_rx(conn, actor, rx_id)
    if not rx.fills:
        raise ValidationFailed("error.print.not_finished", field="kind")
    kind = (await post_values(request)).get("kind")
    await print_visit_document(request, rx.fills[-1].visit_id, kind)
    return see_other(f"/pharmacy/rx/{rx_id}#prints")
