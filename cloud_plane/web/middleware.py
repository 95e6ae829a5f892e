"""Request middlewares: session cookie, who is logged in, CSRF.

Order (outermost first): :func:`session_middleware` (decodes the cookie, writes it back when it
changed, so even an error page sets the cookie its form's CSRF token needs) →
:func:`~cloud_plane.web.errors.error_middleware` → :func:`auth_middleware` (loads the
:class:`Actor` from the database; pages redirect to ``/login``, ``/api/*`` answers 401) →
:func:`csrf_middleware` (every POST carries the session-bound token) → the handler.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

from aiohttp import web

from clinicbox_core.errors import Forbidden, NotFound
from cloud_plane.fleet.vendors import get_vendor
from cloud_plane.services.actor import STAFF_ROLES, Actor, Role
from cloud_plane.services.auth import get_staff, get_tenant
from cloud_plane.web import keys
from cloud_plane.web.errors import CsrfRejected, Unauthenticated, wants_json
from cloud_plane.web.forms import CSRF_FIELD
from cloud_plane.web.sessions import COOKIE_NAME, WebSession

#: Paths anyone may open (prefix match for the static directory).
PUBLIC_PATHS: Final = frozenset(
    {"/login", "/healthz", "/continuity/status", "/book", "/vendor/login"}
)
#: /book/: online booking for patients; /display/: the waiting-room screen (masked names only).
#: /fleet/: signed downloads for boxes (bundles, software; no patient data).
#: The fleet console: vendor logins only (clinic sessions never pass, nor the reverse).
VENDOR_PREFIX: Final = "/vendor"
PUBLIC_PREFIXES: Final = ("/static/", "/book/", "/display/", "/fleet/")
CSRF_HEADER: Final = "X-CSRF-Token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def replace_session(request: web.Request, session: WebSession) -> None:
    """Make ``session`` this request's session; the response carries the new cookie."""
    request[keys.SESSION] = session
    request[keys.SESSION_CHANGED] = True


def see_other(location: str) -> web.Response:
    """303 See Other: the redirect after a form POST (and to the login page)."""
    return web.Response(status=303, headers={"Location": location})


def current_actor(request: web.Request) -> Actor:
    """The logged-in person (auth middleware guarantees one on non-public routes)."""
    if keys.ACTOR not in request:
        raise Unauthenticated()
    return request[keys.ACTOR]


@web.middleware
async def session_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    codec = request.app[keys.CODEC]
    raw = request.cookies.get(COOKIE_NAME)
    session = codec.decode(raw) if raw else None
    if session is None:
        request[keys.SESSION] = codec.new()
        request[keys.SESSION_CHANGED] = True
    else:
        request[keys.SESSION] = session
        request[keys.SESSION_CHANGED] = False
    response: web.StreamResponse = await handler(request)
    if request[keys.SESSION_CHANGED] and not response.prepared:
        new = request[keys.SESSION]
        response.set_cookie(
            COOKIE_NAME,
            codec.encode(new),
            max_age=codec.max_age_s,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=request.secure,
        )
    return response


async def _load_actor(request: web.Request, session: WebSession) -> Actor | None:
    """The session's staff member as an :class:`Actor` with their *current* roles.

    ``None`` when the staff member was deactivated or removed since logging in. Also records the
    names the page header shows.
    """
    assert session.staff_id is not None and session.tenant_id is not None
    lookup = Actor(tenant_id=session.tenant_id, staff_id=session.staff_id)
    try:
        async with request.app[keys.ENGINE].begin() as conn:
            member = await get_staff(conn, lookup, session.staff_id)
            tenant = await get_tenant(conn, lookup)
    except (Forbidden, NotFound):
        return None
    if not member.active:
        return None
    allowed = {r.value for r in STAFF_ROLES}
    roles = frozenset(Role(r) for r in member.roles if r in allowed)
    request[keys.PERSON] = {
        "staff_name": member.display_name,
        "tenant_name": tenant.name,
        "clinic_type": str(tenant.clinic_type),
    }
    request[keys.TENANT_SLUG] = tenant.slug
    return Actor(tenant_id=session.tenant_id, staff_id=member.id, roles=roles)


async def _vendor_gate(request: web.Request, handler: Any) -> web.StreamResponse:
    session = request[keys.SESSION]
    if session.vendor_id is not None:
        async with request.app[keys.ENGINE].connect() as conn:
            vendor = await get_vendor(conn, session.vendor_id)
        if vendor is None:
            replace_session(request, request.app[keys.CODEC].new())
        else:
            request[keys.VENDOR] = vendor
    if keys.VENDOR not in request and not is_public(request.path):
        if wants_json(request):
            raise Unauthenticated()
        target = request.path_qs if request.method in SAFE_METHODS else VENDOR_PREFIX
        return see_other(f"/vendor/login?next={quote(target, safe='')}")
    response: web.StreamResponse = await handler(request)
    return response


@web.middleware
async def auth_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    session = request[keys.SESSION]
    if request.path == VENDOR_PREFIX or request.path.startswith(VENDOR_PREFIX + "/"):
        return await _vendor_gate(request, handler)
    if session.logged_in:
        actor = await _load_actor(request, session)
        if actor is None:
            replace_session(request, request.app[keys.CODEC].new())
        else:
            request[keys.ACTOR] = actor
    if keys.ACTOR not in request and not is_public(request.path):
        if wants_json(request):
            raise Unauthenticated()
        target = request.path_qs if request.method in SAFE_METHODS else "/desk"
        return see_other(f"/login?next={quote(target, safe='')}")
    response: web.StreamResponse = await handler(request)
    return response


@web.middleware
async def csrf_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.method not in SAFE_METHODS:
        token = request.headers.get(CSRF_HEADER)
        if token is None and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            value = (await request.post()).get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
        if not request.app[keys.CODEC].csrf_ok(request[keys.SESSION], token):
            raise CsrfRejected()
    response: web.StreamResponse = await handler(request)
    return response
