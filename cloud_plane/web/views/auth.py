"""Login (機構代碼 + 帳號 + 密碼) and logout.

A successful login replaces the session with a new one (new ``sid``, so a CSRF token or cookie
obtained before login is worthless) naming the staff member and tenant, and redirects to the page
the person was sent away from (same-site paths only).
"""

from __future__ import annotations

from aiohttp import web

from cloud_plane.services.auth import authenticate
from cloud_plane.web import keys
from cloud_plane.web.forms import Forms, form_post, required
from cloud_plane.web.middleware import replace_session, see_other
from cloud_plane.web.render import render

DEFAULT_LANDING = "/desk"


def safe_next(target: str | None) -> str:
    """Only local absolute paths: never ``//host`` or ``https://...`` (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return DEFAULT_LANDING
    return target


async def login_page(request: web.Request, forms: Forms, status: int) -> web.StreamResponse:
    nxt = safe_next(request.query.get("next"))
    return render(request, "login.html", {"next": nxt}, forms=forms, status=status)


async def show_login(request: web.Request) -> web.StreamResponse:
    if keys.ACTOR in request:
        return see_other(safe_next(request.query.get("next")))
    return await login_page(request, {}, 200)


@form_post("login", login_page)
async def do_login(request: web.Request) -> web.StreamResponse:
    data = await request.post()
    values = {k: v for k, v in data.items() if isinstance(v, str)}
    code = required(values, "institution_code")
    username = required(values, "username")
    password = required(values, "password")
    async with request.app[keys.ENGINE].begin() as conn:
        actor = await authenticate(conn, code, username, password)
    codec = request.app[keys.CODEC]
    replace_session(request, codec.new(staff_id=actor.staff_id, tenant_id=actor.tenant_id))
    return see_other(safe_next(values.get("next")))


async def do_logout(request: web.Request) -> web.StreamResponse:
    replace_session(request, request.app[keys.CODEC].new())
    return see_other("/login")
