"""Helpers of the box-link tests: build the real box and cloud ends against the test broker,
the test's effect table and handler, and polling with an upper bound."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox_core.contracts import Event
from clinicbox_core.settings_models import MqttSettings
from cloud_plane.db.tables_boxlink import box_inbox
from edge_agent.config import BoxSettings

TENANT = "clinic-a"

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


def box_settings(
    broker: MosquittoBroker, box_id: str, tmp_path: Path, tenant: str = TENANT
) -> BoxSettings:
    broker.bind_box(box_id, tenant)
    cert = broker.client_cert(box_id)
    return BoxSettings(
        box_id=box_id,
        tenant=tenant,
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
