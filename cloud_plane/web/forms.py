"""Form state shared by a page's GET rendering and its POST error re-rendering.

A POST handler is declared with :func:`form_post`, naming its form and the page that shows it.
When the handler raises a :class:`~clinicbox_core.errors.ClinicboxError`, the error middleware
calls that page with a :class:`FormState` holding what the person typed and the message next to
the field the error names, so nothing they entered is lost.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from aiohttp import web
from multidict import MultiDictProxy

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.roc_date import parse_roc_date

CSRF_FIELD: Final = "_csrf"
#: Never sent back to the browser when a form is shown again.
SECRET_FIELDS: Final = frozenset({CSRF_FIELD, "password"})


@dataclass(frozen=True)
class FormState:
    """What one form on a page shows: typed values, per-field errors, a form-level message."""

    name: str
    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    message: str | None = None

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def error(self, name: str) -> str | None:
        return self.errors.get(name)


Forms = dict[str, FormState]
PageRenderer = Callable[[web.Request, Forms, int], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class FormPost:
    form: str
    page: PageRenderer


_FORM_POSTS: dict[Handler, FormPost] = {}


def form_post(form: str, page: PageRenderer) -> Callable[[Handler], Handler]:
    """Declare that ``handler`` posts form ``form`` shown on ``page`` (for error re-rendering)."""

    def register(handler: Handler) -> Handler:
        _FORM_POSTS[handler] = FormPost(form, page)
        return handler

    return register


def form_post_of(handler: object) -> FormPost | None:
    return _FORM_POSTS.get(handler) if callable(handler) else None


def form_values(data: MultiDictProxy[Any]) -> dict[str, str]:
    """The text fields of a posted form, minus the CSRF token and passwords (for re-rendering)."""
    return {k: v for k, v in data.items() if isinstance(v, str) and k not in SECRET_FIELDS}


# ---- parsing helpers: raise ValidationFailed naming the field --------------------------------


def required(values: Mapping[str, str], name: str) -> str:
    text = values.get(name, "").strip()
    if not text:
        raise ValidationFailed("error.field.required", field=name)
    return text


def optional(values: Mapping[str, str], name: str) -> str | None:
    text = values.get(name, "").strip()
    return text or None


def integer(values: Mapping[str, str], name: str, *, minimum: int | None = None) -> int:
    text = required(values, name)
    try:
        number = int(text)
    except ValueError as exc:
        raise ValidationFailed("error.field.not_integer", field=name, value=text) from exc
    if minimum is not None and number < minimum:
        raise ValidationFailed("error.field.too_small", field=name, minimum=minimum)
    return number


def decimal(values: Mapping[str, str], name: str) -> Decimal:
    text = required(values, name)
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValidationFailed("error.field.not_number", field=name, value=text) from exc
    if not number.is_finite() or number <= 0:
        raise ValidationFailed("error.field.not_positive", field=name)
    return number


def optional_decimal(values: Mapping[str, str], name: str) -> Decimal | None:
    return decimal(values, name) if values.get(name, "").strip() else None


def date_value(values: Mapping[str, str], name: str) -> date:
    """A date typed as ``YYYY-MM-DD``, ``YYYYMMDD`` or ROC ``YYYMMDD``/``YYY-MM-DD``/``YYY/MM/DD``
    (what front-desk staff type from an NHI card or a form)."""
    text = required(values, name)
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
            y, m, d = (int(p) for p in text.split("-"))
            return date(y, m, d)
        if re.fullmatch(r"\d{8}", text):
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if re.fullmatch(r"\d{2,3}[-/.]\d{1,2}[-/.]\d{1,2}", text):
            y, m, d = (int(p) for p in re.split(r"[-/.]", text))
            return date(y + 1911, m, d)
        if re.fullmatch(r"\d{6,7}", text):
            return parse_roc_date(text.zfill(7))
    except ValueError as exc:
        raise ValidationFailed("error.field.bad_date", field=name) from exc
    raise ValidationFailed("error.field.bad_date", field=name)
