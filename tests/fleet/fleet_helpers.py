"""Helpers of the fleet tests: raw MQTT clients with a chosen certificate, and the ordering
trick the isolation tests use (a forbidden message, then an allowed marker from the same
publisher: if the first was let through, it arrives before the marker)."""

from __future__ import annotations

import re
import sqlite3
import ssl
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import aiomqtt

from clinicbox.demo import REPO_ROOT, DemoStack, write_toml
from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox.runtime.pki import CertPair

T = TypeVar("T")


def tls(broker: MosquittoBroker, pair: CertPair | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(broker.ca_file))
    if pair is not None:
        ctx.load_cert_chain(str(pair.cert), str(pair.key))
    return ctx


def client(
    broker: MosquittoBroker, identity: str, pair: CertPair, *, port: int | None = None
) -> aiomqtt.Client:
    return aiomqtt.Client(
        broker.host,
        port or broker.port,
        identifier=identity,
        protocol=aiomqtt.ProtocolVersion.V5,
        tls_context=tls(broker, pair),
        timeout=5,
    )


def device(broker: MosquittoBroker, identity: str) -> aiomqtt.Client:
    return client(broker, identity, broker.client_cert(identity))


async def first_message(c: aiomqtt.Client) -> tuple[str, bytes]:
    msg = await anext(aiter(c.messages))
    payload = msg.payload
    assert isinstance(payload, bytes)
    return str(msg.topic), payload


# ---- the whole fleet as processes (broker, cloud, boxes) and the console over HTTP ----------


def cloud_rows(db_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read the cloud's SQLite database read-only, as an operator would."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def wait_for(what: str, probe: Callable[[], T | None], limit_s: float = 60.0) -> T:
    """Poll ``probe`` until truthy; fail (not a timing assertion) after ``limit_s``."""
    deadline = time.monotonic() + limit_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def start_claim_box(
    stack: DemoStack, serial: str, status_port: int, extra: dict[str, object]
) -> Path:
    """Start one more box process holding only the claim credential; returns its data dir."""
    data_dir = stack.workdir / serial
    cfg = stack.workdir / f"{serial}.toml"
    write_toml(
        cfg,
        stack.box_link_sections(),
        {"box_id": serial, "data_dir": str(data_dir), "status_port": status_port, **extra},
    )
    stack.group.start(
        serial,
        [sys.executable, "-m", "clinicbox.cli", "box", "--config", str(cfg)],
        ready_port=("127.0.0.1", status_port),
        cwd=REPO_ROOT,
    )
    return data_dir


class Console:
    """The vendor console over HTTP, logged in (form posts carry the session's CSRF token)."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def close(self) -> None:
        await self.http.close()

    def _token(self, page: str) -> None:
        match = re.search(r'name="csrf-token" content="([^"]+)"', page)
        if match:
            self.csrf = match.group(1)

    async def login(self, username: str, password: str) -> None:
        await self.get("/vendor/login")
        url, _ = await self.post("/vendor/login", username=username, password=password)
        assert url.rstrip("/").endswith("/vendor"), url

    async def get(self, path: str) -> str:
        async with self.http.get(f"{self.base}{path}") as reply:
            reply.raise_for_status()
            text = await reply.text()
        self._token(text)
        return text

    async def post(self, path: str, **form: str) -> tuple[str, str]:
        """(final URL, page) after the POST and its redirect."""
        async with self.http.post(f"{self.base}{path}", data={"_csrf": self.csrf, **form}) as reply:
            text = await reply.text()
            url = str(reply.url)
        self._token(text)
        return url, text
