"""JSON for the pages' search-as-you-type and for scripts: ICD-10, drugs, patients, one visit.

Every answer is ``{"items": [...]}`` or one object; errors use the shape of
:mod:`cloud_plane.web.errors`. Queries shorter than :data:`MIN_QUERY` answer an empty list.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.services.consultation import get_visit_detail, search_icd10
from cloud_plane.services.orders import search_drugs
from cloud_plane.services.patients import search_patients
from cloud_plane.web import keys
from cloud_plane.web.middleware import current_actor
from cloud_plane.web.views.common import path_id

MIN_QUERY: Final = 1
LIMIT: Final = 20


def _query(request: web.Request) -> str:
    return request.query.get("q", "").strip()[:100]


def _items(items: list[dict[str, Any]]) -> web.Response:
    return web.json_response({"items": items})


async def icd10(request: web.Request) -> web.StreamResponse:
    current_actor(request)
    q = _query(request)
    if len(q) < MIN_QUERY:
        return _items([])
    async with request.app[keys.ENGINE].begin() as conn:
        hits = await search_icd10(conn, q, limit=LIMIT)
    return _items([h.model_dump(mode="json") for h in hits])


async def drugs(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    q = _query(request)
    if len(q) < MIN_QUERY:
        return _items([])
    async with request.app[keys.ENGINE].begin() as conn:
        hits = await search_drugs(conn, actor, q, clinic_day(utc_now()), limit=LIMIT)
    return _items([h.model_dump(mode="json") for h in hits])


async def patients(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    q = _query(request)
    if len(q) < MIN_QUERY:
        return _items([])
    async with request.app[keys.ENGINE].begin() as conn:
        hits = await search_patients(conn, actor, q, limit=LIMIT)
    return _items(
        [
            {
                "id": p.id,
                "chart_no": p.chart_no,
                "national_id": p.national_id,
                "name": p.name,
                "sex": p.sex,
                "birth_date": p.birth_date.isoformat(),
                "phone": p.phone,
            }
            for p in hits
        ]
    )


async def visit_detail(request: web.Request) -> web.StreamResponse:
    actor = current_actor(request)
    visit_id = path_id(request, "visit_id")
    async with request.app[keys.ENGINE].begin() as conn:
        detail = await get_visit_detail(conn, actor, visit_id)
    return web.json_response(detail.model_dump(mode="json"))
