"""掛號 front desk: today's queue, patient search, registration, new patient (退掛 and 改掛:
:mod:`.calling`).

The queue is rendered by ``_queue.html`` both inside the page and at ``/desk/queue`` (the
fragment the page's script fetches when a ``visit.*`` live event arrives).
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from pydantic import ValidationError

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.visit_codes import abnormal_code
from cloud_plane.services.auth import get_tenant, list_doctors
from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.services.models import PatientInput, Session
from cloud_plane.services.patients import create_patient, get_patient, search_patients
from cloud_plane.services.registration import queue, register
from cloud_plane.web import keys, options
from cloud_plane.web.boxes import tenant_boxes
from cloud_plane.web.continuity import default_abnormal_code
from cloud_plane.web.forms import Forms, date_value, form_post, integer, optional, required
from cloud_plane.web.live import VISIT_CREATED
from cloud_plane.web.middleware import current_actor, see_other
from cloud_plane.web.render import render
from cloud_plane.web.views.common import post_values, publish_visit, status_labels


async def home(request: web.Request) -> web.StreamResponse:
    return see_other("/desk")


async def desk_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    actor = current_actor(request)
    catalogue = request.app[keys.CATALOGUE]
    typed = forms.get("register")
    q = (typed.value("q") if typed else request.query.get("q", "")).strip()
    selected = typed.value("patient_id") if typed else request.query.get("patient_id", "")
    async with request.app[keys.ENGINE].begin() as conn:
        entries = await queue(conn, actor, clinic_day(utc_now()))
        doctors = await list_doctors(conn, actor)
        tenant = await get_tenant(conn, actor)
        hits = await search_patients(conn, actor, q) if q else []
        if selected.isdigit() and all(p.id != int(selected) for p in hits):
            hits.insert(0, await get_patient(conn, actor, int(selected)))
        boxes = await tenant_boxes(conn, tenant.slug)
    context = {
        "today": clinic_day(utc_now()),
        "entries": entries,
        "doctors": [(str(d.id), d.display_name) for d in doctors],
        "q": q,
        "hits": hits,
        "selected_patient": selected,
        "default_department": tenant.default_department,
        "boxes": boxes,
        "visit_types": options.visit_types(),
        "departments": options.departments(),
        "abnormal_codes": options.abnormal_codes(catalogue),
        "abnormal_causes": options.abnormal_causes(),
        "sessions": options.sessions(catalogue),
        "status_labels": status_labels(catalogue),
        "visit_type_name": options.visit_type_name,
        "cancelled": request.query.get("cancelled", "").isdigit(),
        "seq_return_due": request.query.get("seq_return") == "1",
    }
    return render(request, "desk.html", context, forms=forms, status=status)


async def show_desk(request: web.Request) -> web.StreamResponse:
    if request.get(keys.PERSON, {}).get("clinic_type") == "pharmacy":
        return see_other("/pharmacy")  # a pharmacy's counter is the dispensing page
    return await desk_page(request, {}, 200)


async def queue_fragment(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    async with request.app[keys.ENGINE].begin() as conn:
        entries = await queue(conn, actor, clinic_day(utc_now()))
    context = {
        "entries": entries,
        "status_labels": status_labels(request.app[keys.CATALOGUE]),
        "visit_type_name": options.visit_type_name,
    }
    return render(request, "_queue.html", context)


@form_post("register", desk_page)
async def do_register(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    values = await post_values(request)
    patient_id = integer(values, "patient_id", minimum=1)
    doctor_id = integer(values, "doctor_id", minimum=1)
    department = required(values, "department")
    visit_type = required(values, "visit_type")
    session_text = optional(values, "session")
    try:
        session = Session(session_text) if session_text else None
    except ValueError as exc:
        raise ValidationFailed("error.field.invalid", field="session") from exc
    code = optional(values, "abnormal_code") or default_abnormal_code(request)
    cause = optional(values, "abnormal_cause")
    if cause is not None:
        # The rules pick the code: 註9-1 before/after a 就醫序號 was obtained from the card.
        code = abnormal_code(cause, seq_obtained=values.get("seq_obtained") == "1")
    async with request.app[keys.ENGINE].begin() as conn:
        visit = await register(
            conn,
            actor,
            patient_id,
            doctor_id=doctor_id,
            department=department,
            visit_type=visit_type,
            session=session,
            abnormal_code=code,
        )
    publish_visit(request, VISIT_CREATED, visit)
    return see_other(f"/desk?registered={visit.id}")


def patient_input(values: Mapping[str, str]) -> PatientInput:
    """The typed patient, or ``ValidationFailed`` naming the first field that is wrong."""
    name = required(values, "name")
    sex = required(values, "sex")
    born = date_value(values, "birth_date")
    if born > clinic_day(utc_now()):
        raise ValidationFailed("error.field.future_date", field="birth_date")
    try:
        return PatientInput(
            name=name,
            sex=sex,
            birth_date=born,
            national_id=optional(values, "national_id"),
            phone=values.get("phone", "").strip(),
            address=values.get("address", "").strip(),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "name"
        raise ValidationFailed("error.field.invalid", field=field) from exc


@form_post("new_patient", desk_page)
async def do_create_patient(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    data = patient_input(await post_values(request))
    async with request.app[keys.ENGINE].begin() as conn:
        patient = await create_patient(conn, actor, data)
    return see_other(f"/desk?patient_id={patient.id}#register")
