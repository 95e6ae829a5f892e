"""The aiohttp application: NHI-host routes (signed POST + JSON) and the sandbox's own routes.

Every NHI-host route reads a JSON object (9002 語法不符 otherwise), checks the signature envelope
(:meth:`Sandbox.authenticate`) and answers ``{"statusCode": "0", ...}`` or the error body of
:class:`SandboxError`. Routes under ``/sandbox/v1/`` are not NHI interfaces: patient listing for
demos and tests, virtual-card token issue (the real token comes from the patient's phone app),
and the clock, which moves only when started with ``--allow-clock``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from nhi_sandbox.errors import SandboxError
from nhi_sandbox.services import (
    card,
    claims,
    eprescription,
    ic_upload,
    medicloud,
    prescription,
    referral,
    virtual_card,
)
from nhi_sandbox.services.common import Route
from nhi_sandbox.state import SANDBOX_KEY, HospitalKey, Sandbox
from nhi_sandbox.wire import req_int

__all__ = ["ROUTES", "build_app"]

log = logging.getLogger(__name__)

ROUTES: tuple[Route, ...] = (
    *card.ROUTES,
    *prescription.ROUTES,
    *ic_upload.ROUTES,
    *claims.ROUTES,
    *medicloud.ROUTES,
    *eprescription.ROUTES,
    *virtual_card.ROUTES,
    *referral.ROUTES,
)
MAX_BODY = 32 * 1024 * 1024


def _json_error(err: SandboxError) -> web.Response:
    return web.json_response(err.body(), status=err.status, dumps=_dumps)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


@web.middleware
async def errors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except SandboxError as err:
        return _json_error(err)
    except web.HTTPRequestEntityTooLarge:
        return _json_error(SandboxError("9070", 413, message="上傳資料大小不符無法接收檔案"))


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json(loads=json.loads)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SandboxError("9002", 400, message="送至 IDC 語法不符：不是 JSON") from exc
    if not isinstance(body, dict):
        raise SandboxError("9002", 400, message="送至 IDC 語法不符：需為 JSON 物件")
    return body


def _nhi_handler(route: Route) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        sbx = request.app[SANDBOX_KEY]
        body = await _body(request)
        env = await sbx.authenticate(body, route.path, route.service_type, card=route.card)
        result = await route.handler(sbx, env, env.params)
        return web.json_response({"statusCode": "0", **result}, dumps=_dumps)

    return handle


async def list_patients(request: web.Request) -> web.Response:
    def run(conn: sqlite3.Connection) -> list[dict[str, Any]]:
        rows = conn.execute("SELECT * FROM patients ORDER BY rowid").fetchall()
        return [{k: r[k] for k in r.keys()} for r in rows]  # noqa: SIM118 (sqlite3.Row)

    patients = await request.app[SANDBOX_KEY].db.run(run)
    return web.json_response({"statusCode": "0", "patients": patients}, dumps=_dumps)


async def advance_clock(request: web.Request) -> web.Response:
    sbx = request.app[SANDBOX_KEY]
    if not sbx.allow_clock:
        raise SandboxError("SBX40", 403)
    seconds = req_int(await _body(request), "seconds", 1, 400 * 86400)
    offset = sbx.clock.offset_s + seconds

    def run(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'clock_offset'", (str(offset),))

    await sbx.db.run(run)
    sbx.clock.offset_s = offset
    return web.json_response({"statusCode": "0", "now": sbx.clock.now().isoformat()})


async def health(request: web.Request) -> web.Response:
    sbx = request.app[SANDBOX_KEY]
    return web.json_response({"statusCode": "0", "now": sbx.clock.now().isoformat()})


async def not_found(request: web.Request) -> web.Response:
    raise SandboxError("SBX01", 404, message=f"無此服務：{request.path}")


def build_app(
    data_dir: Path,
    *,
    seed: int,
    hospitals: list[HospitalKey],
    allow_clock: bool = False,
) -> web.Application:
    app = web.Application(middlewares=[errors_middleware], client_max_size=MAX_BODY)

    async def lifecycle(app: web.Application) -> Any:
        sbx = await Sandbox.open(data_dir, seed=seed, hospitals=hospitals, allow_clock=allow_clock)
        app[SANDBOX_KEY] = sbx
        yield
        await sbx.close()

    app.cleanup_ctx.append(lifecycle)
    for route in ROUTES:
        app.router.add_post(route.path, _nhi_handler(route))
    app.router.add_get("/sandbox/v1/Health", health)
    app.router.add_get("/sandbox/v1/Patients", list_patients)
    app.router.add_post("/sandbox/v1/Clock/Advance", advance_clock)
    app.router.add_post("/sandbox/v1/VirtualCard/Token", virtual_card.issue_token_handler)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return app
