"""院所經營報表: visits and revenue by day, doctor or case type, on screen and as CSV.

A GET form (the range is in the URL, so a report can be bookmarked or sent to the accountant);
a wrong range is shown next to its field with what was typed kept. The CSV is UTF-8 with a BOM
so that Excel on a clinic PC opens the Chinese headers correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import date

from aiohttp import web

from clinicbox_core.errors import ValidationFailed
from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.services.reports import GroupBy, ReportQuery, RevenueReport, revenue_report
from cloud_plane.web import keys
from cloud_plane.web.forms import FormState, date_value
from cloud_plane.web.middleware import current_actor
from cloud_plane.web.render import render

FORM = "report"
COLUMNS = ("visits", "settled", "nhi_points", "copay", "registration_fee", "self_pay", "collected")


def _defaults(today: date) -> dict[str, str]:
    return {
        "date_from": today.replace(day=1).isoformat(),
        "date_to": today.isoformat(),
        "group_by": GroupBy.DAY.value,
    }


def parse_query(values: Mapping[str, str]) -> ReportQuery:
    """The typed report query, or ``ValidationFailed`` naming the wrong field."""
    date_from = date_value(values, "date_from")
    date_to = date_value(values, "date_to")
    try:
        group_by = GroupBy(values.get("group_by", GroupBy.DAY.value))
    except ValueError as exc:
        raise ValidationFailed("error.field.invalid", field="group_by") from exc
    query = ReportQuery(date_from, date_to, group_by)
    query.check()
    return query


async def _run(request: web.Request) -> tuple[dict[str, str], RevenueReport | None, FormState]:
    values = _defaults(clinic_day(utc_now()))
    values.update({k: v for k, v in request.query.items() if k in values})
    try:
        query = parse_query(values)
    except ValidationFailed as err:
        message = request.app[keys.CATALOGUE].t(err.message_key, **err.params)
        field = err.params.get("field")
        errors = {field: message} if isinstance(field, str) else {}
        return values, None, FormState(FORM, values, errors, message)
    async with request.app[keys.ENGINE].begin() as conn:
        report = await revenue_report(conn, current_actor(request), query)
    return values, report, FormState(FORM, values)


async def show_reports(request: web.Request) -> web.StreamResponse:
    _values, report, form = await _run(request)
    catalogue = request.app[keys.CATALOGUE]
    context = {
        "report": report,
        "columns": COLUMNS,
        "group_options": [(g.value, catalogue.t(f"report.group.{g.value}")) for g in GroupBy],
        "csv_query": request.query_string,
    }
    status = 200 if report else 400
    return render(request, "reports.html", context, forms={FORM: form}, status=status)


async def download_csv(request: web.Request) -> web.StreamResponse:
    values, report, form = await _run(request)
    if report is None:
        raise ValidationFailed("error.field.invalid", field=next(iter(form.errors), "date_from"))
    t = request.app[keys.CATALOGUE].t
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    group = t(f"report.group.{report.query.group_by.value}")
    writer.writerow([group, *(t(f"report.col.{c}") for c in COLUMNS)])
    for row in [*report.rows, report.total]:
        label = row.label if row.key != "total" else t("report.total")
        writer.writerow([label, *(getattr(row, c) for c in COLUMNS)])
    name = f"report-{report.query.group_by.value}-{values['date_from']}-{values['date_to']}.csv"
    return web.Response(
        body=("\ufeff" + out.getvalue()).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
