"""Template rendering with what every page needs: the catalogue, the person, the CSRF token.

Templates get ``t(key, **params)`` as a Jinja global (set in :func:`setup_templates`) and, from
:func:`render`, ``actor``, ``csrf_token``, ``staff_name``, ``tenant_name`` and ``request_path``
(for the menu). Pages pass ``forms`` (name → :class:`FormState`) so the
``_form.html`` macros can keep typed values and show field errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web

from cloud_plane.web import keys
from cloud_plane.web.forms import Forms, FormState
from cloud_plane.web.i18n import Catalogue

TEMPLATE_DIR: Final = Path(__file__).resolve().parent.parent / "templates"
CLINIC_TZ: Final = ZoneInfo("Asia/Taipei")


def _local_time(value: datetime | None, fmt: str = "%H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(CLINIC_TZ).strftime(fmt)


def _money(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def setup_templates(app: web.Application, catalogue: Catalogue) -> jinja2.Environment:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["t"] = catalogue.t
    env.globals["t_or"] = catalogue.t_or
    env.globals["field_label"] = catalogue.field_label
    env.globals["empty_form"] = lambda name: FormState(name)
    env.filters["local_time"] = _local_time
    env.filters["money"] = _money
    return env


def csrf_token(request: web.Request) -> str:
    """The CSRF token bound to this request's session (for forms and the page's meta tag)."""
    if keys.SESSION not in request:
        return ""
    return request.app[keys.CODEC].csrf_token(request[keys.SESSION])


def base_context(request: web.Request) -> dict[str, Any]:
    person: Mapping[str, str] = request.get(keys.PERSON, {})
    return {
        "actor": request.get(keys.ACTOR),
        "vendor": request.get(keys.VENDOR),
        "csrf_token": csrf_token(request),
        "staff_name": person.get("staff_name", ""),
        "tenant_name": person.get("tenant_name", ""),
        "request_path": request.path,
        "continuity": request.app.get(keys.CONTINUITY),
    }


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any],
    *,
    forms: Forms | None = None,
    status: int = 200,
) -> web.Response:
    """Render ``template``; ``forms`` default to empty forms (see ``form_state`` in templates)."""
    full = base_context(request)
    full.update(context)
    full["forms"] = dict(forms or {})
    return aiohttp_jinja2.render_template(template, request, full, status=status)
