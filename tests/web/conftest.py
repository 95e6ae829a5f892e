"""Fixtures of the web tests: the real application on a real TCP port, over a real database.

The database is migrated with the cloud migrations and seeded with the demo clinics once per
session and backend (SQLite always; PostgreSQL too when ``CLINICBOX_TEST_PG_URL`` is set). Tests
share it, so each creates its own patients and visits. Each test gets a fresh application
(``create_app``) served by ``aiohttp.test_utils.TestServer`` and any number of
:class:`Browser` sessions, each with its own cookie jar.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from web_env import BACKENDS, Seeded, WebEnv, new_database, seed, start_env, stop_env

from cloud_plane.db.engine import upgrade


@pytest.fixture(scope="session", params=BACKENDS)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    backend = str(request.param)
    gen = new_database(backend, tmp_path_factory.mktemp(f"web-{backend}"))
    url = next(gen)
    try:
        upgrade(url)
        yield Seeded(backend, url, asyncio.run(seed(url)))
    finally:
        gen.close()


@pytest.fixture
async def env(seeded: Seeded) -> AsyncIterator[WebEnv]:
    e = await start_env(seeded)
    try:
        yield e
    finally:
        await stop_env(e)
