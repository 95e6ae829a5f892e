"""Helpers of the end-to-end tests: read-only looks into the cloud and box databases (the box's
continuity working set is encrypted: read with its key), waiting, a form-posting client."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

import aiohttp

from clinicbox.demo import DEMO_TENANT, DemoStack
from edge_agent.continuity import cipher

T = TypeVar("T")
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


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


def box_rows(stack: DemoStack, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read the box's working set; it is encrypted, so only with the key file."""
    key = (stack.workdir / "box.continuity.key").read_text().strip()
    path = stack.workdir / "box" / "continuity" / "clinic.db"
    db = cipher.open_raw(f"file:{path}?mode=ro", key, uri=True, timeout=10)
    try:
        return list(db.execute(sql, params).fetchall())
    finally:
        db.close()


def box_outbox(stack: DemoStack) -> tuple[int, int]:
    """(last seq handed out, events still waiting for the cloud's ack)."""
    db = sqlite3.connect(f"file:{stack.workdir / 'box' / 'outbox.db'}?mode=ro", uri=True)
    try:
        last = int(db.execute("SELECT last_seq FROM outbox_counter").fetchone()[0])
        waiting = int(db.execute("SELECT count(*) FROM outbox_event").fetchone()[0])
        return last, waiting
    finally:
        db.close()


def reported_working_set(stack: DemoStack) -> dict[str, Any] | None:
    rows = cloud_rows(stack, "SELECT reported FROM box_status")
    if not rows:
        return None
    state = json.loads(rows[0][0]).get("working_set")
    return state if isinstance(state, dict) else None


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.load(resp)


def printed_jobs(stack: DemoStack) -> list[dict[str, Any]]:
    body = get_json(stack.printer_url + "/jobs")
    return list(body["jobs"] if isinstance(body, dict) else body)


class Client:
    """A logged-in staff member on one site (the cloud or the box): GETs and form POSTs."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def get(self, path: str) -> tuple[int, str]:
        async with self.session.get(self.base + path, allow_redirects=False) as resp:
            text = await resp.text()
            if m := _CSRF.search(text):
                self.csrf = m[1]
            return resp.status, text

    async def post(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        """POST a form; returns the status and the Location (or the page on an error)."""
        form = {"_csrf": self.csrf, **(data or {})}
        async with self.session.post(self.base + path, data=form, allow_redirects=False) as resp:
            text = await resp.text()
            return resp.status, resp.headers.get("Location", text)

    async def login(self, stack: DemoStack, username: str) -> None:
        code, user, password = demo_login(stack, username)
        async with self.session.get(self.base + "/login") as resp:
            m = re.search(r'name="_csrf" value="([^"]+)"', await resp.text())
        assert m, "no CSRF token on the login page"
        form = {"_csrf": m[1], "institution_code": code, "username": user, "password": password}
        async with self.session.post(self.base + "/login", data=form, allow_redirects=False) as r:
            assert r.status == 303, f"login of {username} at {self.base} failed: {r.status}"
        await self.get("/desk")

    async def close(self) -> None:
        await self.session.close()
