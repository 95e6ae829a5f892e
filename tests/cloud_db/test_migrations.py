"""Alembic migrations run the same on SQLite and PostgreSQL, match the table definitions, and
the stored schema version guards against running on a database from newer code."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cloud_helpers import new_database
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import inspect, update

import cloud_plane.db.tables_boxlink
import cloud_plane.db.tables_clinic
import cloud_plane.db.tables_fleet
import cloud_plane.db.tables_fleet_updates
import cloud_plane.db.tables_icupload
import cloud_plane.db.tables_nhiops
import cloud_plane.db.tables_pharmacy
import cloud_plane.db.tables_refdata  # noqa: F401
from cloud_plane.db.engine import create_engine, downgrade, sync_url, upgrade
from cloud_plane.db.metadata import metadata
from cloud_plane.db.schema import SCHEMA_VERSION, SchemaMismatch, check_schema
from cloud_plane.db.tables_clinic import schema_info


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with new_database(str(request.param), tmp_path) as url:
        yield url


def _tables(url: str) -> set[str]:
    eng = create_sync_engine(sync_url(url))
    try:
        return set(inspect(eng).get_table_names())
    finally:
        eng.dispose()


def _diff(url: str) -> list[Any]:
    eng = create_sync_engine(sync_url(url))
    try:
        with eng.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), metadata))
    finally:
        eng.dispose()


def test_upgrade_matches_tables_and_downgrade_round_trips(fresh_url: str) -> None:
    async def check() -> int:
        engine = create_engine(fresh_url)
        try:
            return await check_schema(engine)
        finally:
            await engine.dispose()

    with pytest.raises(SchemaMismatch) as not_migrated:
        asyncio.run(check())
    assert not_migrated.value.message_key == "error.db.not_migrated"
    upgrade(fresh_url)
    assert _tables(fresh_url) == set(metadata.tables) | {"alembic_version"}
    assert _diff(fresh_url) == []  # no table/column/index missing from the migrations
    assert asyncio.run(check()) == SCHEMA_VERSION
    downgrade(fresh_url, "base")
    assert _tables(fresh_url) == {"alembic_version"}
    upgrade(fresh_url)
    upgrade(fresh_url)  # already at head: a no-op
    assert asyncio.run(check()) == SCHEMA_VERSION


def test_database_from_newer_code_is_refused(fresh_url: str) -> None:
    upgrade(fresh_url)

    async def run() -> None:
        engine = create_engine(fresh_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(update(schema_info).values(compat_version=SCHEMA_VERSION + 1))
            await check_schema(engine)
        finally:
            await engine.dispose()

    with pytest.raises(SchemaMismatch) as too_new:
        asyncio.run(run())
    assert too_new.value.message_key == "error.db.schema_too_new"


async def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x' / 'p.db'}")
    try:
        async with engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
            fks = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
            busy = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    finally:
        await engine.dispose()
    assert (mode, fks) == ("wal", 1)
    assert busy is not None and busy > 0
