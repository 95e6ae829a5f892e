"""批價: the bill of a finished visit, settling it, and printing 藥袋 / 收據 / 掛號單.

A print button creates the job (committed first), hands it to the print dispatcher, then records
``sent`` — or ``failed`` with reason ``dispatch_failed`` when the hand-over itself fails. Each
change is published as ``print.updated``; the box's later ``done``/``failed`` result arrives
through the box link, which publishes the same event.
"""

from __future__ import annotations

import logging

from aiohttp import web

from clinicbox_core.contracts.messages import PrintResult
from clinicbox_core.errors import DeviceError, ValidationFailed
from clinicbox_core.nhi.copay import COPAY_RULES
from clinicbox_core.nhi.effective import in_force
from cloud_plane.services.actor import Actor
from cloud_plane.services.billing import compute_bill, settle
from cloud_plane.services.consultation import get_visit_detail
from cloud_plane.services.dispensing import mark_dispensed
from cloud_plane.services.models import Bill, PrintJobRow, VisitDetail
from cloud_plane.services.printing import (
    create_print_job,
    list_print_jobs,
    mark_print_job_sent,
    record_print_result,
)
from cloud_plane.web import keys
from cloud_plane.web.forms import Forms, form_post, integer, optional
from cloud_plane.web.live import PRINT_UPDATED, VISIT_UPDATED
from cloud_plane.web.middleware import current_actor, see_other
from cloud_plane.web.render import render
from cloud_plane.web.views.common import path_id, post_values, publish_visit, status_labels

log = logging.getLogger(__name__)

PRINT_KINDS = ("drugbag", "receipt", "slip")
#: Printed from the doctor's page, not from the bill page's buttons (處方箋).
DOCTOR_PRINT_KINDS = ("rx",)
#: Reason recorded when the dispatcher could not hand a job to the box link at all.
DISPATCH_FAILED = "dispatch_failed"
BILLABLE = frozenset({"to_bill", "billed", "dispensed"})


def exemption_options(detail: VisitDetail) -> list[tuple[str, str]]:
    params = in_force(COPAY_RULES, detail.visit.visit_date, rule="copay").params
    return [(code, f"{code} {zh}") for code, zh in params.exemption_codes.items()]


def copay_rule_id(detail: VisitDetail) -> str:
    return in_force(COPAY_RULES, detail.visit.visit_date, rule="copay").rule_id


async def bill_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    async with request.app[keys.ENGINE].begin() as conn:
        detail = await get_visit_detail(conn, actor, visit_id)
        bill: Bill | None = None
        if detail.visit.status.value in BILLABLE:
            bill = await compute_bill(conn, actor, visit_id)
        jobs = await list_print_jobs(conn, actor, visit_id)
    context = {
        "d": detail,
        "v": detail.visit,
        "p": detail.patient,
        "bill": bill,
        "rule_id": copay_rule_id(detail),
        "exemptions": exemption_options(detail),
        "jobs": jobs,
        "print_kinds": PRINT_KINDS,
        "status_labels": status_labels(request.app[keys.CATALOGUE]),
    }
    return render(request, "bill.html", context, forms=forms, status=status)


async def show_bill(request: web.Request) -> web.StreamResponse:
    return await bill_page(request, {}, 200)


async def prints_fragment(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    async with request.app[keys.ENGINE].begin() as conn:
        jobs = await list_print_jobs(conn, actor, visit_id)
    return render(request, "_prints.html", {"jobs": jobs})


@form_post("recompute", bill_page)
async def do_recompute(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    exemption = optional(await post_values(request), "exemption_code")
    async with request.app[keys.ENGINE].begin() as conn:
        await compute_bill(conn, actor, visit_id, exemption_code=exemption)
    return see_other(f"/visits/{visit_id}/bill#settle")


@form_post("settle", bill_page)
async def do_settle(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    paid = integer(await post_values(request), "paid", minimum=0)
    async with request.app[keys.ENGINE].begin() as conn:
        await settle(conn, actor, visit_id, paid)
        detail = await get_visit_detail(conn, actor, visit_id)
    publish_visit(request, VISIT_UPDATED, detail.visit)
    return see_other(f"/visits/{visit_id}/bill#prints")


async def do_dispense(request: web.Request) -> web.StreamResponse:
    """藥師發藥: the billed visit's drugs are handed over (billed → dispensed)."""
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    async with request.app[keys.ENGINE].begin() as conn:
        visit = await mark_dispensed(conn, actor, visit_id)
    publish_visit(request, VISIT_UPDATED, visit)
    return see_other(f"/visits/{visit_id}/bill#dispense")


def _publish_job(request: web.Request, actor: Actor, row: PrintJobRow) -> None:
    request.app[keys.LIVE].publish(
        actor.tenant_id,
        PRINT_UPDATED,
        {"visit_id": row.visit_id, "job_id": str(row.job_id), "status": row.status},
    )


@form_post("print", bill_page)
async def do_print(request: web.Request) -> web.StreamResponse:
    visit_id = path_id(request, "visit_id")
    await print_visit_document(request, visit_id, optional(await post_values(request), "kind"))
    return see_other(f"/visits/{visit_id}/bill#prints")


async def print_visit_document(request: web.Request, visit_id: int, kind: str | None) -> None:
    """Queue the ``kind`` document of ``visit_id`` and send it to the box (also used by the
    pharmacy's dispensing page); the job's status goes to the open pages live."""
    actor = current_actor(request)
    if kind not in (*PRINT_KINDS, *DOCTOR_PRINT_KINDS):
        raise ValidationFailed("error.print.bad_kind", field="kind")
    engine = request.app[keys.ENGINE]
    slug = request[keys.TENANT_SLUG]
    async with engine.begin() as conn:
        row, job = await create_print_job(conn, actor, visit_id, kind)
    _publish_job(request, actor, row)
    try:
        await request.app[keys.DISPATCHER].dispatch(slug, job, row.box_id)
    except DeviceError as err:
        log.warning("print job %s for %s not dispatched: %s", job.job_id, slug, err)
        result = PrintResult(
            job_id=job.job_id, status="failed", reason=DISPATCH_FAILED, detail=str(err)
        )
        async with engine.begin() as conn:
            row = await record_print_result(conn, slug, result)
    else:
        async with engine.begin() as conn:
            row = await mark_print_job_sent(conn, slug, job.job_id)
    _publish_job(request, actor, row)
