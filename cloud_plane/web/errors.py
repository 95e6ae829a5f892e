"""The one place errors become responses.

- ``/api/*`` and ``/events``: one JSON shape,
  ``{"error": {"key": ..., "message": ..., "params": {...}, "status": ...}}``
  (pinned by tests/web/test_error_shape.py).
- A page's form POST: the page is rendered again with the typed values kept and the zh-TW
  message next to the field named by ``params["field"]`` (see :mod:`cloud_plane.web.forms`).
- Anything else: the error page, in zh-TW, with the error's status.

Errors the web layer itself raises are declared here, on the :mod:`clinicbox_core.errors` tree:

    ClinicboxError
    ├── Unauthenticated (401)   no valid session
    └── Forbidden
        └── CsrfRejected (403)   missing or wrong CSRF token
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from clinicbox_core.errors import ClinicboxError, Forbidden
from cloud_plane.web import keys
from cloud_plane.web.forms import FormState, form_post_of, form_values
from cloud_plane.web.render import render

log = logging.getLogger(__name__)


class Unauthenticated(ClinicboxError):
    status = 401
    default_key = "error.auth.required"


class CsrfRejected(Forbidden):
    default_key = "error.csrf"


#: Errors a person fixes on the same form (a 404 or 5xx has no page to show again).
RERENDER_STATUSES = frozenset({400, 403, 409})

_HTTP_KEYS = {
    400: "error.http.bad_request",
    401: "error.auth.required",
    403: "error.forbidden",
    404: "error.not_found",
    405: "error.http.method_not_allowed",
    413: "error.http.too_large",
}


def wants_json(request: web.Request) -> bool:
    return request.path.startswith("/api/") or request.path == "/events"


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal | date | datetime):
        return str(value) if not isinstance(value, date) else value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return str(value)


def error_body(request: web.Request, key: str, params: Mapping[str, Any], status: int) -> Any:
    """The JSON error shape (one place, so the pinned test covers every error)."""
    message = request.app[keys.CATALOGUE].t(key, **params)
    return {
        "error": {
            "key": key,
            "message": message,
            "params": _jsonable(dict(params)),
            "status": status,
        }
    }


def _error_page(
    request: web.Request, key: str, params: Mapping[str, Any], status: int
) -> web.StreamResponse:
    catalogue = request.app[keys.CATALOGUE]
    return render(
        request,
        "error.html",
        {"status": status, "message": catalogue.t(key, **params), "key": key},
        status=status,
    )


async def _render(request: web.Request, err: ClinicboxError) -> web.StreamResponse:
    if wants_json(request):
        return web.json_response(
            error_body(request, err.message_key, err.params, err.status), status=err.status
        )
    posted = form_post_of(request.match_info.handler)
    if posted is not None and request.method == "POST" and err.status in RERENDER_STATUSES:
        message = request.app[keys.CATALOGUE].t(err.message_key, **err.params)
        field = err.params.get("field")
        data = await request.post()
        state = FormState(
            name=posted.form,
            values=form_values(data),
            errors={field: message} if isinstance(field, str) else {},
            message=message,
        )
        try:
            return await posted.page(request, {posted.form: state}, err.status)
        except ClinicboxError:
            pass  # the page itself cannot be shown: show the original error alone
    return _error_page(request, err.message_key, err.params, err.status)


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except ClinicboxError as err:
        if err.status >= 500:
            log.warning("request %s %s failed: %s", request.method, request.path, err)
        return await _render(request, err)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        key = _HTTP_KEYS.get(exc.status, "error.internal")
        if wants_json(request):
            return web.json_response(error_body(request, key, {}, exc.status), status=exc.status)
        return _error_page(request, key, {}, exc.status)
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        if wants_json(request):
            return web.json_response(error_body(request, "error.internal", {}, 500), status=500)
        return _error_page(request, "error.internal", {}, 500)
