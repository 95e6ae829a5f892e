"""Fixtures of the cloud database tests: every test runs on SQLite and on PostgreSQL.

Each backend gets its own throwaway database per test session (a temp SQLite file; a fresh
PostgreSQL database on the server from ``CLINICBOX_TEST_PG_URL`` or
``clinicbox.runtime.postgres.ensure()``), migrated and seeded once with the demo clinics.
Tests share that seeded database, so each creates its own patients/visits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from cloud_helpers import Seeded, new_database
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cloud_plane.db.engine import create_engine, upgrade
from cloud_plane.db.tables_clinic import staff, tenants
from cloud_plane.refdata.loaders import DEFAULT_DATA_DIR
from cloud_plane.seed.demo import DemoInfo, seed_demo
from cloud_plane.services.actor import Actor, Role

BACKENDS = ["sqlite", "postgresql"]


async def _seed(url: str) -> tuple[DemoInfo, dict[str, Actor]]:
    """Seed, then build the actors a log-in would give (test_auth checks real log-ins; doing
    eight argon2 verifications per backend here would only slow every run down)."""
    engine = create_engine(url)
    try:
        info = await seed_demo(engine, DEFAULT_DATA_DIR)
        actors: dict[str, Actor] = {}
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(tenants.c.slug, staff.c.id, staff.c.tenant_id, staff.c.username,
                           staff.c.roles).join(tenants, tenants.c.id == staff.c.tenant_id)
                )
            ).all()  # fmt: skip
        for r in rows:
            roles = frozenset(Role(x) for x in r.roles)
            actors[f"{r.slug.split('-')[1]}.{r.username}"] = Actor(r.tenant_id, r.id, roles)
        return info, actors
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    backend = str(request.param)
    with new_database(backend, tmp_path_factory.mktemp(backend)) as url:
        upgrade(url)
        info, actors = asyncio.run(_seed(url))
        yield Seeded(backend, url, info, actors)


@pytest.fixture
async def engine(seeded: Seeded) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(seeded.url)
    yield eng
    await eng.dispose()


@pytest.fixture
def actors(seeded: Seeded) -> dict[str, Actor]:
    return seeded.actors
