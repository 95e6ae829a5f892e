"""The PostgreSQL pool: a connection the server dropped while it sat idle is replaced on
checkout, and one reused at once is not pinged (see cloud_plane.db.engine)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from cloud_helpers import new_database
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from cloud_plane.db.engine import PG_POOL_SIZE, create_engine


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with new_database("postgresql", Path(tmp_path_factory.mktemp("pool"))) as url:
        yield url


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _kill(url: str, pid: int) -> None:
    """Terminate backend ``pid`` from another connection and wait until it is gone."""
    killer = create_engine(url, poolclass=NullPool)
    try:
        async with killer.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await conn.commit()
            while (
                await conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
                )
            ).scalar_one():
                await conn.rollback()
                await asyncio.sleep(0.05)
    finally:
        await killer.dispose()


async def test_pool_holds_enough_connections_for_a_busy_node(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        assert engine.sync_engine.pool.size() == PG_POOL_SIZE  # type: ignore[attr-defined]
        assert PG_POOL_SIZE >= 8  # the benchmark's (and a busy node's) concurrent requests
    finally:
        await engine.dispose()


async def test_idle_connection_dropped_by_the_server_is_replaced(pg_url: str) -> None:
    engine = create_engine(pg_url, ping_after_idle=0)
    try:
        pid = await _backend_pid(engine)
        await _kill(pg_url, pid)
        new_pid = await _backend_pid(engine)  # no error: the ping failed, the pool reconnected
        assert new_pid != pid
        assert await _backend_pid(engine) == new_pid  # and the new one is reused
    finally:
        await engine.dispose()


async def test_connection_reused_at_once_is_not_pinged(pg_url: str) -> None:
    """The trade made for throughput: without the ping, a connection dropped within the idle
    window fails its next statement once; the pool is invalidated and the next one works."""
    engine = create_engine(pg_url, ping_after_idle=3600)
    try:
        pid = await _backend_pid(engine)
        await _kill(pg_url, pid)
        with pytest.raises(DBAPIError) as caught:
            await _backend_pid(engine)
        assert caught.value.connection_invalidated
        assert await _backend_pid(engine) != pid
    finally:
        await engine.dispose()
