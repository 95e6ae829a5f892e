"""End to end: box outbox + CloudLink → mosquitto (mTLS) → cloud BoxInbox → database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from linkkit import box_settings, cloud_mqtt, effect_handler, inbox_counts, wait_until
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox_core.contracts import CardRemoved, Command, CommandResult
from cloud_plane.boxlink import BoxInbox
from cloud_plane.db.tables_boxlink import box_inbox, box_status
from edge_agent.link import CloudLink
from edge_agent.outbox import AsyncOutbox


async def _never_called(command: Command) -> CommandResult:
    raise AssertionError(f"unexpected command {command}")


@contextlib.asynccontextmanager
async def running(*services: CloudLink | BoxInbox) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(s.run()) for s in services]
    try:
        yield
    finally:
        for s in services:
            await s.stop()
        await asyncio.gather(*tasks)


async def test_500_events_arrive_exactly_once_and_the_outbox_empties(
    broker: MosquittoBroker, engine: AsyncEngine, tmp_path: Path
) -> None:
    settings = box_settings(broker, "box-e2e", tmp_path)
    outbox = await AsyncOutbox.open(tmp_path / "box.db", "box-e2e")
    link = CloudLink(settings, outbox, _never_called, window=50, ack_timeout_s=5)
    inbox = BoxInbox(
        engine, cloud_mqtt(broker, "cloud-1"), "cloud-1", {"card.removed": effect_handler}
    )
    created = []
    async with running(inbox, link):
        await inbox.wait_connected()
        for i in range(500):
            created.append(await outbox.append(CardRemoved(reader=f"r{i}")))
            link.notify()
        await link.wait_drained()
        await wait_until(lambda: _status_online(engine, "box-e2e", True))
    rows, distinct, effects = await inbox_counts(engine, "box-e2e")
    async with engine.connect() as conn:
        ids = set((await conn.execute(select(box_inbox.c.event_id))).scalars())
    print(
        f"created on box={len(created)} stored in cloud={rows} distinct={distinct} "
        f"effects={effects} duplicates={rows - distinct} stats={dict(inbox.stats)}"
    )
    assert rows == distinct == effects == 500
    assert ids == {str(e.event_id) for e in created}
    assert await outbox.depth() == 0 and await outbox.last_seq() == 500
    assert inbox.stats["applied"] == 500
    await outbox.close()


async def _status_online(engine: AsyncEngine, box_id: str, online: bool) -> bool:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(box_status.c.online).where(box_status.c.box_id == box_id))
        ).scalar_one_or_none()
    return row is online
