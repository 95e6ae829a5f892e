"""Fixtures of the notifier tests: a real SMTP server process and a seeded SQLite database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.runtime.mailsink import MailSink, running_mailsink
from cloud_plane.db.engine import create_engine, upgrade
from cloud_plane.refdata.loaders import DEFAULT_DATA_DIR
from cloud_plane.seed.demo import seed_demo


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    with running_mailsink(tmp_path_factory.mktemp("smtp")) as mail:
        yield mail


async def _seed(url: str) -> None:
    engine = create_engine(url)
    try:
        await seed_demo(engine, DEFAULT_DATA_DIR)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("notify-db") / "cloud.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    asyncio.run(_seed(url))
    return url


@pytest.fixture
async def engine(seeded_url: str) -> AsyncIterator[AsyncEngine]:
    e = create_engine(seeded_url)
    try:
        yield e
    finally:
        await e.dispose()
