"""The one JSON error shape of /api/* (and /events), pinned."""

from __future__ import annotations

from web_env import WebEnv

ERROR_FIELDS = {"key", "message", "params", "status"}


async def test_unauthenticated_shape(env: WebEnv) -> None:
    status, body = await env.browser().get_json("/api/icd10?q=J06")
    assert status == 401
    assert body == {
        "error": {
            "key": "error.auth.required",
            "message": "請先登入。",
            "params": {},
            "status": 401,
        }
    }


async def test_not_found_shape_for_another_tenants_visit(env: WebEnv) -> None:
    b = await env.logged_in("west", "frontdesk")
    status, body = await b.get_json("/api/visits/999999999")
    assert status == 404
    assert set(body) == {"error"}
    assert set(body["error"]) == ERROR_FIELDS
    assert body["error"]["key"] == "error.visit.not_found"
    assert body["error"]["message"] == "找不到這筆看診。"
    assert body["error"]["status"] == 404
    assert body["error"]["params"] == {"id": 999999999}


async def test_unknown_api_path_and_bad_id_use_the_same_shape(env: WebEnv) -> None:
    b = await env.logged_in("west", "frontdesk")
    for path in ("/api/nothing-here", "/api/visits/abc"):
        status, body = await b.get_json(path)
        assert status == 404
        assert set(body["error"]) == ERROR_FIELDS
        assert body["error"]["key"] == "error.not_found"
        assert body["error"]["message"] == "找不到這筆資料。"


async def test_html_errors_render_the_zh_tw_error_page(env: WebEnv) -> None:
    b = await env.logged_in("west", "frontdesk")
    status, page, _ = await b.get("/visits/999999999")
    assert status == 404
    assert "找不到這筆看診。" in page
    assert 'data-key="error.visit.not_found"' in page
