"""A minimal browser for the web tests: a cookie jar, the page's CSRF token, form posts.

Redirects are not followed automatically so tests can assert the 303 and its target.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import aiohttp
from yarl import URL

_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


class Browser:
    def __init__(self, base: URL) -> None:
        self.base = base
        self.session = aiohttp.ClientSession(
            base_url=str(base), cookie_jar=aiohttp.CookieJar(unsafe=True)
        )
        self.csrf = ""

    async def close(self) -> None:
        await self.session.close()

    async def get(self, path: str, **kw: Any) -> tuple[int, str, Mapping[str, str]]:
        """GET ``path``; remembers the CSRF token of an HTML page."""
        async with self.session.get(path, allow_redirects=False, **kw) as resp:
            text = await resp.text()
            m = _CSRF_META.search(text)
            if m:
                self.csrf = m.group(1)
            return resp.status, text, resp.headers

    async def get_json(self, path: str) -> tuple[int, Any]:
        async with self.session.get(path, allow_redirects=False) as resp:
            return resp.status, await resp.json()

    async def post(
        self, path: str, data: Mapping[str, str] | None = None, *, csrf: bool = True
    ) -> tuple[int, str, Mapping[str, str]]:
        form = dict(data or {})
        if csrf:
            form.setdefault("_csrf", self.csrf)
        async with self.session.post(path, data=form, allow_redirects=False) as resp:
            text = await resp.text()
            m = _CSRF_META.search(text)
            if m:
                self.csrf = m.group(1)
            return resp.status, text, resp.headers

    async def follow(self, headers: Mapping[str, str]) -> tuple[int, str, Mapping[str, str]]:
        """GET the ``Location`` of a redirect."""
        return await self.get(headers["Location"])

    async def login(self, institution_code: str, username: str, password: str) -> None:
        await self.get("/login")
        status, _, headers = await self.post(
            "/login",
            {"institution_code": institution_code, "username": username, "password": password},
        )
        assert status == 303, f"login as {username} failed: {status}"
        await self.follow(headers)

    def cookie(self, name: str) -> str | None:
        for c in self.session.cookie_jar:
            if c.key == name:
                return c.value
        return None
