"""HTTP viewer and control API of the virtual printer, for the demo and the tests.

GET  /                 job list with the printed paper (zh-TW page)
GET  /jobs             JSON list of printed jobs
GET  /jobs/{n}.txt     decoded text of job n
GET  /jobs/{n}.png     rendered paper of job n
GET  /state            {"paper": ..., "cover": ..., "online": ..., "held": n}
POST /state            {"paper": "ok"|"near_end"|"out", "cover": "closed"|"open",
                        "online": true|false}, every field optional
"""

from __future__ import annotations

import html
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from devsim.escpos_printer import VirtualPrinter

PRINTER_KEY = web.AppKey("printer", VirtualPrinter)


class StateChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paper: Literal["ok", "near_end", "out"] | None = None
    cover: Literal["closed", "open"] | None = None
    online: bool | None = None


def _state(printer: VirtualPrinter) -> dict[str, object]:
    s = printer.state
    return {
        "paper": s.paper,
        "cover": "open" if s.cover_open else "closed",
        "online": s.online,
        "held": len(printer.held),
    }


async def list_jobs(request: web.Request) -> web.Response:
    return web.json_response([job.as_json() for job in request.app[PRINTER_KEY].jobs])


async def job_file(request: web.Request) -> web.StreamResponse:
    jobs = request.app[PRINTER_KEY].jobs
    number = int(request.match_info["n"])
    if not 1 <= number <= len(jobs):
        raise web.HTTPNotFound(text=f"no job {number}")
    job = jobs[number - 1]
    return web.FileResponse(job.png_path if request.match_info["ext"] == "png" else job.txt_path)


async def get_state(request: web.Request) -> web.Response:
    return web.json_response(_state(request.app[PRINTER_KEY]))


async def post_state(request: web.Request) -> web.Response:
    printer = request.app[PRINTER_KEY]
    try:
        change = StateChange.model_validate_json(await request.read())
    except ValidationError as exc:
        return web.json_response({"error": "validation", "detail": exc.errors()}, status=400)
    await printer.set_state(
        paper=change.paper,
        cover_open=None if change.cover is None else change.cover == "open",
        online=change.online,
    )
    return web.json_response(_state(printer))


async def index(request: web.Request) -> web.Response:
    printer = request.app[PRINTER_KEY]
    state = _state(printer)
    items = "".join(
        f'<li><a href="/jobs/{j.number}.txt">工作 {j.number}</a>（{j.size} 位元組）'
        f'<br><img src="/jobs/{j.number}.png" alt="工作 {j.number}"></li>'
        for j in reversed(printer.jobs)
    )
    body = (
        "<!doctype html><html lang=zh-Hant><meta charset=utf-8><title>虛擬收據印表機</title>"
        f"<h1>虛擬收據印表機</h1><p>紙張：{html.escape(str(state['paper']))}，"
        f"上蓋：{html.escape(str(state['cover']))}，連線：{'是' if state['online'] else '否'}，"
        f"暫存工作：{state['held']}</p><ol>{items or '<li>尚無列印工作</li>'}</ol></html>"
    )
    return web.Response(text=body, content_type="text/html")


def make_app(printer: VirtualPrinter) -> web.Application:
    app = web.Application()
    app[PRINTER_KEY] = printer
    app.router.add_get("/", index)
    app.router.add_get("/jobs", list_jobs)
    app.router.add_get(r"/jobs/{n:\d+}.{ext:txt|png}", job_file)
    app.router.add_get("/state", get_state)
    app.router.add_post("/state", post_state)
    return app
