"""Fixtures of the box-link tests: a real mosquitto with mTLS on free ports, a cloud database
(temporary SQLite, plus PostgreSQL when ``CLINICBOX_TEST_PG_URL`` is set) and helpers that build
the real box and cloud ends against them."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox.runtime.postgres import throwaway_database
from clinicbox_core.contracts import Event
from clinicbox_core.settings_models import MqttSettings
from cloud_plane.db.engine import create_engine
from cloud_plane.db.metadata import metadata
from cloud_plane.db.tables_boxlink import box_inbox
from edge_agent.config import BoxSettings

TENANT = "clinic-a"
PG_ENV = "CLINICBOX_TEST_PG_URL"

# The test's own effect table: the handler writes one row per applied event in the inbox's
# transaction, so "exactly once" is checked on the effect, not only on the inbox row.
effect_meta = MetaData()
link_effect = Table(
    "link_effect",
    effect_meta,
    Column("event_id", String(36), primary_key=True),
    Column("box_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
)


async def effect_handler(conn: AsyncConnection, tenant: str, event: Event) -> None:
    await conn.execute(
        link_effect.insert().values(
            event_id=str(event.event_id), box_id=event.box_id, seq=event.seq
        )
    )


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


def box_settings(broker: MosquittoBroker, box_id: str, tmp_path: Path) -> BoxSettings:
    cert = broker.client_cert(box_id)
    return BoxSettings(
        box_id=box_id,
        tenant=TENANT,
        data_dir=tmp_path / box_id,
        mqtt=MqttSettings(
            host=broker.host,
            port=broker.port,
            ca_file=broker.ca_file,
            cert_file=cert.cert,
            key_file=cert.key,
            reconnect_min_s=0.05,
            reconnect_max_s=0.5,
        ),
    )


def cloud_mqtt(broker: MosquittoBroker, client_id: str) -> MqttSettings:
    cert = broker.client_cert(client_id)
    return MqttSettings(
        host=broker.host,
        port=broker.port,
        ca_file=broker.ca_file,
        cert_file=cert.cert,
        key_file=cert.key,
        reconnect_min_s=0.05,
        reconnect_max_s=0.5,
    )


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], *, limit_s: float = 60.0, step_s: float = 0.05
) -> None:
    """Poll ``predicate`` until true; fail the test (not a timing assertion) after ``limit_s``."""
    deadline = asyncio.get_running_loop().time() + limit_s
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not reached within {limit_s}s")
        await asyncio.sleep(step_s)


async def inbox_counts(engine: AsyncEngine, box_id: str) -> tuple[int, int, int]:
    """(rows, distinct seqs, effect rows) stored in the cloud for ``box_id``."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(func.count(), func.count(func.distinct(box_inbox.c.seq))).where(
                    box_inbox.c.box_id == box_id
                )
            )
        ).one()
        effects = (
            await conn.execute(
                select(func.count()).select_from(link_effect).where(link_effect.c.box_id == box_id)
            )
        ).scalar_one()
    return int(rows[0]), int(rows[1]), int(effects)
