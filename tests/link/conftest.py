"""Fixtures of the box-link tests: a real mosquitto with mTLS on free ports and a cloud database
(temporary SQLite, plus PostgreSQL when ``CLINICBOX_TEST_PG_URL`` is set)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from linkkit import effect_meta
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox.runtime.postgres import throwaway_database
from cloud_plane.db.engine import create_engine
from cloud_plane.db.metadata import metadata

PG_ENV = "CLINICBOX_TEST_PG_URL"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    b = MosquittoBroker(tmp_path / "broker", cloud_identities=("cloud-1", "cloud-2"))
    b.start()
    try:
        yield b
    finally:
        b.kill()


def _db_params() -> list[str]:
    return ["sqlite", "postgres"] if os.environ.get(PG_ENV) else ["sqlite"]


@pytest.fixture(params=_db_params())
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'cloud.db'}")
        async with eng.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.run_sync(effect_meta.create_all)
        try:
            yield eng
        finally:
            await eng.dispose()
        return
    with throwaway_database(os.environ[PG_ENV]) as url:
        eng = create_engine(url)
        async with eng.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.run_sync(effect_meta.create_all)
        try:
            yield eng
        finally:
            await eng.dispose()
