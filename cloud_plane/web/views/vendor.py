"""The vendor's fleet console: log in, fleet list with filters, one box's detail, and the
remote actions (assign a box to a clinic, revoke it, change its desired config, send a command).

Every action is audited in ``fleet_audit`` by the service it calls; each page shows results
as stored (command status, output size), never a guess. ``fleetupd`` adds rollouts and bundle
versions through the ``vendor_nav`` and ``box_extra`` template blocks.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from clinicbox_core.errors import DeviceError, NotFound, ValidationFailed
from cloud_plane.fleet import audit, commands, console, provisioning, twin
from cloud_plane.fleet.const import CommandKind
from cloud_plane.fleet.runtime import FleetRuntime
from cloud_plane.fleet.vendors import Vendor, authenticate_vendor
from cloud_plane.fleet_updates import console as update_console
from cloud_plane.web import keys
from cloud_plane.web.forms import Forms, form_post, form_values, optional, required
from cloud_plane.web.middleware import replace_session, see_other
from cloud_plane.web.render import render
from cloud_plane.web.views.auth import safe_next

HOME = "/vendor"


def _vendor(request: web.Request) -> Vendor:
    return request[keys.VENDOR]


def _t(request: web.Request, key: str) -> str:
    return request.app[keys.CATALOGUE].t(key)


def _fleet(request: web.Request) -> FleetRuntime:
    fleet = request.app[keys.FLEET]
    if fleet is None or fleet.inbox is None:
        raise DeviceError("error.fleet.not_running")
    return fleet


# ---- login -----------------------------------------------------------------------------------


async def login_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    nxt = request.query.get("next", HOME)
    return render(request, "vendor_login.html", {"next": nxt}, forms=forms, status=status)


async def show_login(request: web.Request) -> web.StreamResponse:
    return await login_page(request, {}, 200)


@form_post("vendor_login", login_page)
async def do_login(request: web.Request) -> web.StreamResponse:
    values = form_values(await request.post())
    values["password"] = str((await request.post()).get("password", ""))
    username = required(values, "username")
    password = required(values, "password")
    async with request.app[keys.ENGINE].begin() as conn:
        vendor = await authenticate_vendor(conn, username, password)
    replace_session(request, request.app[keys.CODEC].new(vendor_id=vendor.id))
    target = safe_next(values.get("next"))
    return see_other(target if target.startswith(HOME) else HOME)


async def do_logout(request: web.Request) -> web.StreamResponse:
    replace_session(request, request.app[keys.CODEC].new())
    return see_other("/vendor/login")


# ---- pages -----------------------------------------------------------------------------------


async def fleet_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    q = request.query
    flt = console.FleetFilter(
        clinic=q.get("clinic", ""),
        version=q.get("version", ""),
        online=q.get("online", ""),
        alert=q.get("alert", ""),
    )
    async with request.app[keys.ENGINE].connect() as conn:
        rows = await console.fleet_rows(conn, flt)
        clinics = await console.clinics(conn)
        versions = sorted(
            {r["software_version"] for r in await console.fleet_rows(conn, console.FleetFilter())}
            - {""}
        )
    context: dict[str, Any] = {
        "rows": rows,
        "flt": flt,
        "clinics": clinics,
        "versions": versions,
        "alert_options": [(a, _t(request, f"fleet.alert.{a}")) for a in console.ALERTS],
        "version_options": [(v, v) for v in versions],
        "vendor": _vendor(request),
    }
    return render(request, "vendor_fleet.html", context, forms=forms, status=status)


async def show_fleet(request: web.Request) -> web.StreamResponse:
    return await fleet_page(request, {}, 200)


async def box_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    box_id = request.match_info["box_id"]
    async with request.app[keys.ENGINE].connect() as conn:
        detail = await console.box_detail(conn, box_id)
        updates = await update_console.box_updates(conn, box_id)
    if detail is None:
        raise NotFound("error.fleet.unknown_box", serial=box_id)
    context = {
        **detail,
        "updates": updates,
        "reported_fields": console.REPORTED_FIELDS,
        "kind_options": [(k.value, _t(request, f"fleet.kind.{k.value}")) for k in CommandKind],
        "vendor": _vendor(request),
    }
    return render(request, "vendor_box.html", context, forms=forms, status=status)


async def show_box(request: web.Request) -> web.StreamResponse:
    return await box_page(request, {}, 200)


# ---- actions ---------------------------------------------------------------------------------


@form_post("assign", fleet_page)
async def do_assign(request: web.Request) -> web.StreamResponse:
    """Bind a box to a clinic by its serial (pre-assignment) or by the code on its screen."""
    values = form_values(await request.post())
    tenant = required(values, "clinic")
    serial = optional(values, "serial")
    code = optional(values, "claim_code")
    actor = _vendor(request).actor
    async with request.app[keys.ENGINE].begin() as conn:
        if serial:
            await provisioning.assign(conn, serial, tenant, actor)
        elif code:
            serial = await provisioning.claim_by_code(conn, code, tenant, actor)
        else:
            raise ValidationFailed("error.field.required", field="serial")
    return see_other(f"{HOME}/boxes/{serial}")


async def do_revoke(request: web.Request) -> web.StreamResponse:
    box_id = request.match_info["box_id"]
    fleet = _fleet(request)
    async with request.app[keys.ENGINE].begin() as conn:
        await provisioning.revoke(conn, box_id, _vendor(request).actor)
    if fleet.policy is not None:
        await fleet.policy.apply(request.app[keys.ENGINE])
    return see_other(f"{HOME}/boxes/{box_id}")


@form_post("command", box_page)
async def do_command(request: web.Request) -> web.StreamResponse:
    box_id = request.match_info["box_id"]
    values = form_values(await request.post())
    kind = required(values, "command_kind")
    if kind not in {k.value for k in CommandKind}:
        raise ValidationFailed("error.fleet.bad_command", field="command_kind", value=kind)
    fleet = _fleet(request)
    assert fleet.inbox is not None
    await commands.issue(
        request.app[keys.ENGINE],
        fleet.inbox,
        box_id,
        kind,
        _vendor(request).actor,
        fleet.command_timeout,
    )
    return see_other(f"{HOME}/boxes/{box_id}#commands")


@form_post("desired", box_page)
async def do_desired(request: web.Request) -> web.StreamResponse:
    """Set one desired config key (``key`` = ``value``; digits become numbers)."""
    box_id = request.match_info["box_id"]
    values = form_values(await request.post())
    key = required(values, "config_key")
    raw = required(values, "config_value")
    value: str | int | bool = int(raw) if raw.isdigit() else raw
    if not key.replace("_", "").isalnum() or len(key) > 40:
        raise ValidationFailed("error.fleet.bad_key", field="config_key", value=key)
    fleet = _fleet(request)
    async with request.app[keys.ENGINE].begin() as conn:
        detail = await console.box_detail(conn, box_id)
        if detail is None or not detail["box"]["tenant_slug"]:
            raise NotFound("error.fleet.unknown_box", serial=box_id)
        tenant = str(detail["box"]["tenant_slug"])
        desired = await twin.set_desired(conn, box_id, tenant, config={key: value})
        await audit.record(
            conn, _vendor(request).actor, "twin.desired", box_id, "sent", key=key, value=raw
        )
    await fleet.publish_desired(tenant, desired)
    return see_other(f"{HOME}/boxes/{box_id}#twin")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/vendor/login", show_login, name="vendor_login"),
        web.post("/vendor/login", do_login, name="vendor_login_post"),
        web.post("/vendor/logout", do_logout, name="vendor_logout"),
        web.get("/vendor", show_fleet, name="vendor_fleet"),
        web.post("/vendor/assign", do_assign, name="vendor_assign"),
        web.get("/vendor/boxes/{box_id}", show_box, name="vendor_box"),
        web.post("/vendor/boxes/{box_id}/commands", do_command, name="vendor_command"),
        web.post("/vendor/boxes/{box_id}/revoke", do_revoke, name="vendor_revoke"),
        web.post("/vendor/boxes/{box_id}/desired", do_desired, name="vendor_desired"),
    ]
