"""Fixtures of the IC upload cloud tests: a migrated, demo-seeded database on SQLite and on
PostgreSQL (the same helpers as tests/cloud_db, which it puts on the import path)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "cloud_db"))

from cloud_helpers import Seeded, new_database
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cloud_plane.db.engine import create_engine, upgrade
from cloud_plane.db.tables_clinic import staff, tenants
from cloud_plane.refdata.loaders import DEFAULT_DATA_DIR
from cloud_plane.seed.demo import seed_demo
from cloud_plane.services.actor import Actor, Role


async def _seed(url: str) -> Seeded:
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
        return Seeded("", url, info, actors)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def ic_seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    backend = str(request.param)
    with new_database(backend, tmp_path_factory.mktemp(f"ic-{backend}")) as url:
        upgrade(url)
        yield asyncio.run(_seed(url))


@pytest.fixture
async def ic_engine(ic_seeded: Seeded) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(ic_seeded.url)
    yield eng
    await eng.dispose()
