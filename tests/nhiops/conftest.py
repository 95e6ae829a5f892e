"""Fixtures of the NHI operations tests: one real sandbox process and one migrated, demo-seeded
SQLite database for the session; each test works on days after the sandbox clock's now (helpers
from tests/cloud_db and tests/nhi_sandbox on the path)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "cloud_db"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "nhi_sandbox"))

from nhiops_helpers import Clinic, seed_clinic
from sandbox_env import Sandbox, start, stop
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.runtime.processes import ProcessGroup
from cloud_plane.db.engine import create_engine


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("nhiops-sandbox")
    group = ProcessGroup(root / "logs")
    sbx = start(group, root / "data")
    try:
        yield sbx
    finally:
        stop(sbx)
        group.stop_all()


@pytest.fixture(scope="session")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Clinic:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('nhiops-db') / 'cloud.db'}"
    return asyncio.run(seed_clinic(url))


@pytest.fixture
async def engine(clinic: Clinic) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(clinic.url)
    yield eng
    await eng.dispose()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s
