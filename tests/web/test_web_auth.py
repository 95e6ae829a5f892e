"""Login, logout, the session cookie and CSRF, over HTTP."""

from __future__ import annotations

from web_env import WebEnv

from cloud_plane.web.sessions import COOKIE_NAME


async def test_pages_redirect_to_login_and_api_answers_401(env: WebEnv) -> None:
    b = env.browser()
    status, _, headers = await b.get("/desk")
    assert status == 303
    assert headers["Location"] == "/login?next=%2Fdesk"
    status, body = await b.get_json("/api/patients?q=a")
    assert status == 401
    assert body["error"]["key"] == "error.auth.required"
    assert body["error"]["message"] == "請先登入。"


async def test_login_sets_signed_httponly_cookie_and_lands_on_next(env: WebEnv) -> None:
    west = env.info.clinic("demo-west")
    login = next(x for x in west.logins if x.username == "frontdesk")
    b = env.browser()
    status, page, _ = await b.get("/login?next=/desk%3Fq%3Dx")
    assert status == 200
    assert "機構代碼" in page and "帳號" in page and "密碼" in page
    async with b.session.post(
        "/login",
        data={
            "_csrf": b.csrf,
            "institution_code": west.nhi_code,
            "username": login.username,
            "password": login.password,
            "next": "/desk?q=x",
        },
        allow_redirects=False,
    ) as resp:
        assert resp.status == 303
        assert resp.headers["Location"] == "/desk?q=x"
        set_cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie
    assert "Max-Age=" in set_cookie
    status, page, _ = await b.get("/desk")
    assert status == 200
    assert "林櫃台" in page and "示範西區診所" in page


async def test_login_refuses_open_redirect(env: WebEnv) -> None:
    west = env.info.clinic("demo-west")
    login = west.logins[0]
    b = env.browser()
    await b.get("/login")
    status, _, headers = await b.post(
        "/login",
        {
            "institution_code": west.nhi_code,
            "username": login.username,
            "password": login.password,
            "next": "//evil.example/x",
        },
    )
    assert status == 303
    assert headers["Location"] == "/desk"


async def test_wrong_password_rerenders_form_in_zh_tw_keeping_input(env: WebEnv) -> None:
    west = env.info.clinic("demo-west")
    b = env.browser()
    await b.get("/login")
    status, page, _ = await b.post(
        "/login",
        {"institution_code": west.nhi_code, "username": "frontdesk", "password": "wrong"},
    )
    assert status == 403
    assert "機構代碼、帳號或密碼不正確。" in page
    assert f'value="{west.nhi_code}"' in page
    assert 'value="frontdesk"' in page
    assert 'value="wrong"' not in page  # never echo a password
    assert b.cookie(COOKIE_NAME) is not None


async def test_missing_field_is_named_next_to_it(env: WebEnv) -> None:
    b = env.browser()
    await b.get("/login")
    status, page, _ = await b.post(
        "/login", {"institution_code": "3501200000", "username": "", "password": "x"}
    )
    assert status == 400
    assert "請填寫「帳號」。" in page
    assert 'id="login-username-error"' in page


async def test_post_without_csrf_token_is_rejected(env: WebEnv) -> None:
    west = env.info.clinic("demo-west")
    login = west.logins[0]
    b = env.browser()
    await b.get("/login")
    status, page, _ = await b.post(
        "/login",
        {"institution_code": west.nhi_code, "username": login.username, "password": "x"},
        csrf=False,
    )
    assert status == 403
    assert "表單已過期" in page


async def test_csrf_token_from_another_session_is_rejected(env: WebEnv) -> None:
    a = await env.logged_in("west", "frontdesk")
    other = await env.logged_in("west", "frontdesk")
    status, _, _ = await a.post("/desk/patients", {"_csrf": other.csrf, "name": "x"})
    assert status == 403
    status, body = 0, ""
    async with a.session.post(
        "/desk/patients", data={"name": "x"}, headers={"X-CSRF-Token": a.csrf}
    ) as resp:
        status, body = resp.status, await resp.text()
    assert status == 400  # token accepted from the header; the form itself is incomplete
    assert "請填寫「出生日期」。" in body or "請填寫「性別」。" in body


async def test_login_rotates_session_id(env: WebEnv) -> None:
    b = env.browser()
    await b.get("/login")
    before = b.csrf
    west = env.info.clinic("demo-west")
    login = west.logins[0]
    await b.login(west.nhi_code, login.username, login.password)
    assert b.csrf and b.csrf != before


async def test_logout_ends_the_session(env: WebEnv) -> None:
    b = await env.logged_in("west", "frontdesk")
    status, _, headers = await b.post("/logout")
    assert status == 303 and headers["Location"] == "/login"
    status, _, headers = await b.get("/desk")
    assert status == 303


async def test_forged_cookie_is_ignored(env: WebEnv) -> None:
    b = await env.logged_in("west", "frontdesk")
    value = b.cookie(COOKIE_NAME)
    assert value is not None
    body, _, sig = value.partition(".")
    b.session.cookie_jar.update_cookies({COOKIE_NAME: body + "." + sig[::-1]}, b.base)
    status, _, _ = await b.get("/desk")
    assert status == 303
