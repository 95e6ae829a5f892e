"""Fixtures of the fault tests: a real mosquitto (mTLS, free port, on-disk persistence) and a
cloud database with the fault effect table (SQLite; the PostgreSQL faults own a private cluster)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from faults_helpers import effect_meta
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.runtime.mosquitto import MosquittoBroker
from cloud_plane.db.engine import create_engine
from cloud_plane.db.metadata import metadata


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    b = MosquittoBroker(tmp_path / "broker", cloud_identities=("cloud-1", "cloud-2"))
    b.start()
    try:
        yield b
    finally:
        b.kill()


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'cloud.db'}")
    async with eng.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(effect_meta.create_all)
    try:
        yield eng
    finally:
        await eng.dispose()
