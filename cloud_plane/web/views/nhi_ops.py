"""健保作業: the clinic administrator's page for the daily IC-card upload and the monthly claims.

Shows a month (:func:`cloud_plane.nhiops.overview.month_overview`): per clinic day the records
pending / uploaded / accepted / rejected / held, records that broke the 24-hour rule, each
record's NHI codes or our validator's findings, and the upload-rate indicator. Two actions reuse
the NHI operations as they are (never re-implemented here): upload a day now
(:func:`cloud_plane.nhiops.ic_run.run_ic_upload`, retrying held records at once) and check or
send a month's claims file (:func:`cloud_plane.nhiops.claims_run.run_claims`), whose every
validator finding is listed with its location and rule. A wrong day or month is shown next to
its field with what was typed kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import select

from clinicbox_core.errors import Conflict, ValidationFailed
from clinicbox_core.nhi.ic_upload.fields import Version
from clinicbox_core.nhi.ic_upload.rate import MEDICLOUD_TARGET
from cloud_plane.db.tables_clinic import tenants
from cloud_plane.nhi.settings import NhiSettings
from cloud_plane.nhiops.claims_run import ClaimsOutcome, run_claims
from cloud_plane.nhiops.ic_run import IcRunOutcome, run_ic_upload
from cloud_plane.nhiops.overview import month_overview
from cloud_plane.services.actor import Actor, Role, require_role
from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.web import keys
from cloud_plane.web.forms import Forms, FormState, date_value, form_post, required
from cloud_plane.web.middleware import current_actor
from cloud_plane.web.render import render
from cloud_plane.web.views.common import post_values

__all__ = ["do_claims", "do_upload", "nhi_page", "show_nhi"]

VIEW, UPLOAD, CLAIMS = "nhi_view", "nhi_upload", "nhi_claims"


def month_value(values: Mapping[str, str], name: str, today: date) -> date:
    """A month typed as ``YYYY-MM`` (or ROC ``YYY-MM``), not after ``today``'s month."""
    text = required(values, name)
    m = re.fullmatch(r"(\d{2,4})[-/.](\d{1,2})", text) or re.fullmatch(r"(\d{4})(\d{2})", text)
    if m is None or not 1 <= int(m[2]) <= 12:
        raise ValidationFailed("error.field.bad_month", field=name)
    year = int(m[1]) + (1911 if len(m[1]) < 4 else 0)
    if not 1912 <= year <= 9999:
        raise ValidationFailed("error.field.bad_month", field=name)
    first = date(year, int(m[2]), 1)
    if first > today.replace(day=1):
        raise ValidationFailed("error.field.future_month", field=name)
    return first


def _day(values: Mapping[str, str], name: str, today: date) -> date:
    day = date_value(values, name)
    if day > today:
        raise ValidationFailed("error.field.future_date", field=name)
    return day


def _previous_month(today: date) -> date:
    first = today.replace(day=1)
    return (
        first.replace(year=first.year - 1, month=12)
        if first.month == 1
        else first.replace(month=first.month - 1)
    )


async def _nhi(request: web.Request, actor: Actor) -> NhiSettings | None:
    async with request.app[keys.ENGINE].connect() as conn:
        code = (
            await conn.execute(select(tenants.c.nhi_code).where(tenants.c.id == actor.tenant_id))
        ).scalar_one()
    return request.app[keys.SETTINGS].nhi.for_hospital(code)


async def nhi_page(
    request: web.Request,
    forms: Forms,
    status: int = 200,
    *,
    month: date | None = None,
    upload: IcRunOutcome | None = None,
    claims: ClaimsOutcome | None = None,
) -> web.StreamResponse:
    actor = current_actor(request)
    require_role(actor, Role.CLINIC_ADMIN)
    today = clinic_day(utc_now())
    if month is None:
        values = {"month": request.query.get("month", f"{today:%Y-%m}")}
        try:
            month = month_value(values, "month", today)
            forms.setdefault(VIEW, FormState(VIEW, values))
        except ValidationFailed as err:
            message = request.app[keys.CATALOGUE].t(err.message_key, **err.params)
            forms.setdefault(VIEW, FormState(VIEW, values, {"month": message}))
            month, status = today.replace(day=1), 400
    forms.setdefault(VIEW, FormState(VIEW, {"month": f"{month:%Y-%m}"}))
    forms.setdefault(UPLOAD, FormState(UPLOAD, {"upload_day": today.isoformat()}))
    forms.setdefault(CLAIMS, FormState(CLAIMS, {"claims_month": f"{_previous_month(today):%Y-%m}"}))
    async with request.app[keys.ENGINE].begin() as conn:
        overview = await month_overview(conn, actor, month, utc_now())
    context: dict[str, Any] = {
        "overview": overview,
        "connected": await _nhi(request, actor) is not None,
        "medicloud_target": MEDICLOUD_TARGET,
        "upload": upload,
        "claims": claims,
    }
    return render(request, "nhi_ops.html", context, forms=forms, status=status)


async def show_nhi(request: web.Request) -> web.StreamResponse:
    return await nhi_page(request, {})


async def _connected(request: web.Request, actor: Actor) -> NhiSettings:
    nhi = await _nhi(request, actor)
    if nhi is None:
        raise Conflict("error.nhiops.not_connected", slug=request[keys.TENANT_SLUG])
    return nhi


@form_post(UPLOAD, nhi_page)
async def do_upload(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    require_role(actor, Role.CLINIC_ADMIN)
    values = await post_values(request)
    day = _day(values, "upload_day", clinic_day(utc_now()))
    nhi = await _connected(request, actor)
    version = Version(request.app[keys.SETTINGS].nhi.ic_upload_version)
    async with aiohttp.ClientSession() as session:
        out = await run_ic_upload(
            request.app[keys.ENGINE], session, nhi, actor.tenant_id, day, version=version,
            force=True,
        )  # fmt: skip
    forms = {UPLOAD: FormState(UPLOAD, values)}
    return await nhi_page(request, forms, month=day.replace(day=1), upload=out)


@form_post(CLAIMS, nhi_page)
async def do_claims(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    require_role(actor, Role.CLINIC_ADMIN)
    values = await post_values(request)
    month = month_value(values, "claims_month", clinic_day(utc_now()))
    send = values.get("action") == "send"
    nhi = await _connected(request, actor) if send else await _nhi(request, actor)
    async with aiohttp.ClientSession() as session:
        out = await run_claims(
            request.app[keys.ENGINE], session, nhi, actor.tenant_id, month,
            send=send,
        )  # fmt: skip
    forms = {CLAIMS: FormState(CLAIMS, values)}
    return await nhi_page(request, forms, month=month, claims=out)
