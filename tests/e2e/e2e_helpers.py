"""Helpers of the end-to-end tests: read-only looks into the cloud and box databases, waiting."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

from clinicbox.demo import DEMO_TENANT, DemoStack

T = TypeVar("T")


def cloud_rows(stack: DemoStack, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read the cloud database (SQLite in the demo) the way an operator would: read-only."""
    db = sqlite3.connect(f"file:{stack.db_path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def box_outbox_depth(stack: DemoStack) -> int:
    path = stack.workdir / "box" / "outbox.db"
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return int(db.execute("SELECT count(*) FROM outbox_event").fetchone()[0])
    finally:
        db.close()


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def demo_login(stack: DemoStack, username: str) -> tuple[str, str, str]:
    assert stack.info is not None
    clinic = stack.info.clinic(DEMO_TENANT)
    login = next(x for x in clinic.logins if x.username == username)
    return clinic.nhi_code, login.username, login.password


async def logged_in_session(base_url: str, code: str, user: str, password: str) -> Any:
    """An aiohttp session logged in to one cloud process (form POST with its CSRF token)."""
    import re

    import aiohttp

    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get(f"{base_url}/login") as resp:
        page = await resp.text()
    match = re.search(r'name="_csrf" value="([^"]+)"', page)
    assert match, "no CSRF token on the login page"
    form = {"_csrf": match[1], "institution_code": code, "username": user, "password": password}
    async with session.post(f"{base_url}/login", data=form, allow_redirects=False) as resp:
        assert resp.status == 303, f"login failed: {resp.status}"
    return session
