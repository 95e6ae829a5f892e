"""The web tests' environment: a seeded database per backend, the app on a real port,
and logged-in browsers. Kept out of conftest.py so test modules can import it by a unique name."""

from __future__ import annotations

import os
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine
from web_browser import Browser
from web_dispatcher import RecordingDispatcher

from clinicbox.runtime import postgres
from cloud_plane.config import CloudSettings
from cloud_plane.db.engine import create_engine
from cloud_plane.nhiops.settings import NhiCloudSettings
from cloud_plane.notify.settings import NotifySettings
from cloud_plane.refdata.loaders import DEFAULT_DATA_DIR
from cloud_plane.seed.demo import DemoInfo, seed_demo
from cloud_plane.web.app import create_app
from cloud_plane.web.live import LiveHub

PG_ENV = "CLINICBOX_TEST_PG_URL"
BACKENDS = ["sqlite", *(["postgresql"] if os.environ.get(PG_ENV) else [])]


@dataclass(frozen=True)
class Seeded:
    backend: str
    url: str
    info: DemoInfo


def new_database(backend: str, tmp: Path) -> Generator[str, None, None]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp / 'cloud.db'}"
        return
    url = postgres.create_database(os.environ[PG_ENV])
    try:
        yield url
    finally:
        postgres.drop_database(url)


async def seed(url: str) -> DemoInfo:
    engine = create_engine(url)
    try:
        return await seed_demo(engine, DEFAULT_DATA_DIR)
    finally:
        await engine.dispose()


@dataclass
class WebEnv:
    """One running application and what it was built with."""

    server: TestServer
    app: web.Application
    engine: AsyncEngine
    hub: LiveHub
    dispatcher: RecordingDispatcher
    info: DemoInfo
    browsers: list[Browser] = field(default_factory=list)

    def browser(self) -> Browser:
        b = Browser(self.server.make_url("/"))
        self.browsers.append(b)
        return b

    async def logged_in(self, clinic: str, username: str) -> Browser:
        """A browser logged in as ``username`` of ``demo-<clinic>`` (west / east)."""
        spec = self.info.clinic(f"demo-{clinic}")
        login = next(x for x in spec.logins if x.username == username)
        b = self.browser()
        await b.login(spec.nhi_code, login.username, login.password)
        return b


async def start_env(
    seeded: Seeded,
    *,
    heartbeat_s: float = 15.0,
    notify: NotifySettings | None = None,
    nhi: NhiCloudSettings | None = None,
) -> WebEnv:
    engine = create_engine(seeded.url)
    hub = LiveHub()
    dispatcher = RecordingDispatcher()
    settings = CloudSettings(
        database_url=seeded.url, notify=notify or NotifySettings(), nhi=nhi or NhiCloudSettings()
    )
    app = create_app(
        settings, engine, print_dispatcher=dispatcher, live=hub, heartbeat_s=heartbeat_s
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return WebEnv(server, app, engine, hub, dispatcher, seeded.info)


async def stop_env(env: WebEnv) -> None:
    for b in env.browsers:
        await b.close()
    await env.server.close()
    await env.engine.dispose()
