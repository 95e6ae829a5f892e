"""Vendor console: staged rollouts (list, create, progress, pause / resume / roll back) and the
bundle versions every box holds. Part of the vendor console (views/vendor.py): same login, same
frame (vendor_base.html), same audit trail (every action is one ``fleet_audit`` row).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from clinicbox_core.bundles import BundleKind
from cloud_plane.fleet import audit
from cloud_plane.fleet_updates import console, rollouts
from cloud_plane.fleet_updates.downloads import PUBLISHER
from cloud_plane.web import keys
from cloud_plane.web.forms import Forms, form_post, form_values, integer, optional, required
from cloud_plane.web.middleware import see_other
from cloud_plane.web.render import render

HOME = "/vendor/rollouts"
TARGETS = ("software", "bundle")


def _actor(request: web.Request) -> str:
    return str(request[keys.VENDOR].actor)


def _t(request: web.Request, key: str) -> str:
    return request.app[keys.CATALOGUE].t(key)


async def rollouts_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    async with request.app[keys.ENGINE].connect() as conn:
        items = await console.rollout_list(conn)
        latest = await console.latest_bundles(conn)
    context: dict[str, Any] = {
        "rollouts": items,
        "latest": latest,
        "box_states": console.BOX_STATES,
        "target_options": [(v, _t(request, f"rollout.target.{v}")) for v in TARGETS],
        "kind_options": [(k.value, _t(request, f"bundle.kind.{k.value}")) for k in BundleKind],
        "vendor": request[keys.VENDOR],
    }
    return render(request, "vendor_rollouts.html", context, forms=forms, status=status)


async def show_rollouts(request: web.Request) -> web.StreamResponse:
    return await rollouts_page(request, {}, 200)


@form_post("rollout", rollouts_page)
async def do_create(request: web.Request) -> web.StreamResponse:
    values = form_values(await request.post())
    target = required(values, "target_type")
    engine = request.app[keys.ENGINE]
    async with engine.connect() as conn:
        boxes = await console.resolve_boxes(conn, required(values, "boxes"))
    new = rollouts.NewRollout(
        target_type=target,
        target_version=required(values, "target_version"),
        bundle_kind=optional(values, "bundle_kind") if target == "bundle" else None,
        previous_version=optional(values, "previous_version"),
        boxes=boxes,
        canary_count=integer(values, "canary_count", minimum=0),
        rate_per_minute=integer(values, "rate_per_minute", minimum=1),
        abort_failure_pct=integer(values, "abort_failure_pct", minimum=1),
        min_executed=integer(values, "min_executed", minimum=1),
    )
    rid = await rollouts.create_rollout(engine, new, by=_actor(request))
    async with engine.begin() as conn:
        await audit.record(
            conn, _actor(request), "rollout.create", None, "ok", rollout=rid,
            target=f"{target}:{new.bundle_kind or ''}:{new.target_version}", boxes=len(boxes),
        )  # fmt: skip
    return see_other(f"{HOME}/{rid}")


async def detail_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    rid = _rid(request)
    async with request.app[keys.ENGINE].connect() as conn:
        detail = await console.rollout_detail(conn, rid)
    context = {**detail, "box_states": console.BOX_STATES, "vendor": request[keys.VENDOR]}
    return render(request, "vendor_rollout.html", context, forms=forms, status=status)


async def show_rollout(request: web.Request) -> web.StreamResponse:
    return await detail_page(request, {}, 200)


def _rid(request: web.Request) -> int:
    text = request.match_info["rollout_id"]
    return int(text) if text.isdigit() else 0


async def _act(request: web.Request, action: str) -> web.StreamResponse:
    rid = _rid(request)
    engine = request.app[keys.ENGINE]
    detail: dict[str, Any] = {"rollout": rid}
    if action == "pause":
        await rollouts.pause(engine, rid)
    elif action == "resume":
        await rollouts.resume(engine, rid)
    else:
        reverse = await rollouts.roll_back(
            engine, rid, by=_actor(request), publisher=request.app.get(PUBLISHER)
        )
        detail["reverse"] = reverse
    async with engine.begin() as conn:
        await audit.record(conn, _actor(request), f"rollout.{action}", None, "ok", **detail)
    return see_other(f"{HOME}/{detail.get('reverse', rid)}")


@form_post("rollout_action", detail_page)
async def do_pause(request: web.Request) -> web.StreamResponse:
    return await _act(request, "pause")


@form_post("rollout_action", detail_page)
async def do_resume(request: web.Request) -> web.StreamResponse:
    return await _act(request, "resume")


@form_post("rollout_action", detail_page)
async def do_rollback(request: web.Request) -> web.StreamResponse:
    return await _act(request, "rollback")


async def show_bundles(request: web.Request) -> web.StreamResponse:
    async with request.app[keys.ENGINE].connect() as conn:
        overview = await console.bundle_overview(conn)
    context = {**overview, "vendor": request[keys.VENDOR]}
    return render(request, "vendor_bundles.html", context, forms={}, status=200)


def routes() -> list[web.RouteDef]:
    return [
        web.get(HOME, show_rollouts, name="vendor_rollouts"),
        web.post(HOME, do_create, name="vendor_rollout_create"),
        web.get(HOME + "/{rollout_id}", show_rollout, name="vendor_rollout"),
        web.post(HOME + "/{rollout_id}/pause", do_pause, name="vendor_rollout_pause"),
        web.post(HOME + "/{rollout_id}/resume", do_resume, name="vendor_rollout_resume"),
        web.post(HOME + "/{rollout_id}/rollback", do_rollback, name="vendor_rollout_rollback"),
        web.get("/vendor/bundles", show_bundles, name="vendor_bundles"),
    ]
