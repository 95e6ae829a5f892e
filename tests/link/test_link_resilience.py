"""The link under failure: broker kill -9, box process kill -9, poison events, two consumers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from linkkit import (
    TENANT,
    box_settings,
    cloud_mqtt,
    effect_handler,
    inbox_counts,
    wait_until,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox_core.contracts import CardRemoved, Command, CommandResult, Event
from cloud_plane.boxlink import BoxInbox
from cloud_plane.db.tables_boxlink import box_dead_letter
from edge_agent.link import CloudLink
from edge_agent.outbox import AsyncOutbox, Outbox

REPO = Path(__file__).resolve().parents[2]


async def _no_commands(command: Command) -> CommandResult:
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


async def test_broker_kill_9_and_restart_while_the_box_publishes(
    broker: MosquittoBroker, engine: AsyncEngine, tmp_path: Path
) -> None:
    outbox = await AsyncOutbox.open(tmp_path / "box.db", "box-k")
    link = CloudLink(
        box_settings(broker, "box-k", tmp_path), outbox, _no_commands, window=20, ack_timeout_s=2
    )
    inbox = BoxInbox(
        engine, cloud_mqtt(broker, "cloud-1"), "cloud-1", {"card.removed": effect_handler}
    )
    total = 400
    created: list[Event] = []

    async def produce() -> None:
        for i in range(total):
            created.append(await outbox.append(CardRemoved(reader=f"r{i}")))
            link.notify()
            await asyncio.sleep(0.002)  # pacing so the kill lands mid-stream

    async with running(inbox, link):
        await inbox.wait_connected()
        producer = asyncio.create_task(produce())
        await wait_until(lambda: _applied_at_least(inbox, 100))
        broker.kill()
        await wait_until(lambda: _disconnected(link, inbox))
        created_while_down = len(created)
        broker.start()
        await producer
        await link.wait_drained()
    rows, distinct, effects = await inbox_counts(engine, "box-k")
    print(
        f"created on box={len(created)} (broker killed at ~{created_while_down}) "
        f"stored in cloud={rows} duplicates={rows - distinct} effects={effects} "
        f"box connects={link.connects} resends={link.resends} stats={dict(inbox.stats)}"
    )
    assert rows == distinct == effects == total
    assert link.connects >= 2
    assert await outbox.depth() == 0
    await outbox.close()


async def _applied_at_least(inbox: BoxInbox, n: int) -> bool:
    return inbox.stats["applied"] >= n


async def _disconnected(link: CloudLink, inbox: BoxInbox) -> bool:
    return not link.connected and not inbox.connected


def _box_process(broker: MosquittoBroker, outbox: Path, events: int) -> subprocess.Popen[str]:
    broker.bind_box("box-p", TENANT)
    cert = broker.client_cert("box-p")
    args = [
        sys.executable,
        "-m",
        "tests.link.box_process",
        "--box-id=box-p",
        f"--tenant={TENANT}",
        f"--outbox={outbox}",
        f"--port={broker.port}",
        f"--ca={broker.ca_file}",
        f"--cert={cert.cert}",
        f"--key={cert.key}",
        f"--events={events}",
        "--window=32",
        "--ack-timeout=1",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)


async def test_box_killed_between_publish_and_ack_leaves_no_duplicates(
    broker: MosquittoBroker, engine: AsyncEngine, tmp_path: Path
) -> None:
    total, hold_at = 200, 61
    gate = asyncio.Event()
    held = asyncio.Event()

    async def gated(conn: AsyncConnection, tenant: str, event: Event) -> None:
        if event.seq >= hold_at and not gate.is_set():
            held.set()
            await gate.wait()  # the cloud is slow: the box has published more than was acked
        await effect_handler(conn, tenant, event)

    inbox = BoxInbox(engine, cloud_mqtt(broker, "cloud-1"), "cloud-1", {"card.removed": gated})
    outbox_path = tmp_path / "box-p.db"
    async with running(inbox):
        await inbox.wait_connected()
        first = _box_process(broker, outbox_path, total)
        try:
            await held.wait()
            first.kill()  # kill -9 the box while events are published but not acknowledged
            await asyncio.to_thread(first.wait)
        finally:
            if first.poll() is None:
                first.kill()
            assert first.stdout is not None
            first.stdout.close()
        killed = Outbox(outbox_path, "box-p")
        acked_at_kill, depth_at_kill = killed.acked_seq(), killed.depth()
        killed.close()
        gate.set()  # the cloud now stores what the dead box had published
        await wait_until(lambda: _stored_beyond(engine, acked_at_kill))
        second = _box_process(broker, outbox_path, total)
        out, _ = await asyncio.to_thread(second.communicate)
        summary = json.loads(out.strip().splitlines()[-1])
    rows, distinct, effects = await inbox_counts(engine, "box-p")
    print(
        f"box killed with acked={acked_at_kill} depth={depth_at_kill}; restarted box: {summary}; "
        f"stored in cloud={rows} duplicates in db={rows - distinct} effects={effects} "
        f"redeliveries skipped={inbox.stats['duplicate']}"
    )
    assert second.returncode == 0
    assert acked_at_kill < hold_at <= acked_at_kill + depth_at_kill
    assert summary["depth"] == 0 and summary["last_seq"] == total
    assert rows == distinct == effects == total


async def _stored_beyond(engine: AsyncEngine, seq: int) -> bool:
    rows, _, _ = await inbox_counts(engine, "box-p")
    return rows > seq


async def test_a_poison_event_is_parked_and_does_not_block_the_box(
    broker: MosquittoBroker, engine: AsyncEngine, tmp_path: Path
) -> None:
    async def picky(conn: AsyncConnection, tenant: str, event: Event) -> None:
        if event.seq == 3:
            raise RuntimeError("cannot apply seq 3")
        await effect_handler(conn, tenant, event)

    outbox = await AsyncOutbox.open(tmp_path / "box.db", "box-z")
    link = CloudLink(
        box_settings(broker, "box-z", tmp_path), outbox, _no_commands, ack_timeout_s=0.3
    )
    inbox = BoxInbox(
        engine, cloud_mqtt(broker, "cloud-1"), "cloud-1", {"card.removed": picky}, max_attempts=3
    )
    async with running(inbox, link):
        await inbox.wait_connected()
        for i in range(10):
            await outbox.append(CardRemoved(reader=f"r{i}"))
        link.notify()
        await link.wait_drained()
    rows, distinct, effects = await inbox_counts(engine, "box-z")
    async with engine.connect() as conn:
        parked = (await conn.execute(select(box_dead_letter))).mappings().all()
    print(f"stored={rows} effects={effects} parked={[(p['seq'], p['attempts']) for p in parked]}")
    assert rows == distinct == 10 and effects == 9
    assert len(parked) == 1
    assert parked[0]["seq"] == 3 and parked[0]["attempts"] == 3
    assert parked[0]["parked_at"] is not None and "cannot apply seq 3" in parked[0]["last_error"]
    assert json.loads(parked[0]["payload"])["seq"] == 3
    assert inbox.stats["parked"] == 1 and inbox.stats["failed"] == 2
    await outbox.close()


async def test_two_consumers_share_the_load_and_apply_each_event_once(
    broker: MosquittoBroker, engine: AsyncEngine, tmp_path: Path
) -> None:
    outbox = await AsyncOutbox.open(tmp_path / "box.db", "box-s")
    link = CloudLink(box_settings(broker, "box-s", tmp_path), outbox, _no_commands, window=50)
    handlers = {"card.removed": effect_handler}
    one = BoxInbox(engine, cloud_mqtt(broker, "cloud-1"), "cloud-1", handlers)
    two = BoxInbox(engine, cloud_mqtt(broker, "cloud-2"), "cloud-2", handlers)
    async with running(one, two):
        await one.wait_connected()
        await two.wait_connected()
        async with running(link):
            for i in range(500):
                await outbox.append(CardRemoved(reader=f"r{i}"))
                link.notify()
            await link.wait_drained()
    rows, distinct, effects = await inbox_counts(engine, "box-s")
    print(
        f"created on box=500 stored={rows} duplicates={rows - distinct} effects={effects} "
        f"cloud-1 applied={one.stats['applied']} cloud-2 applied={two.stats['applied']}"
    )
    assert rows == distinct == effects == 500
    assert one.stats["applied"] > 0 and two.stats["applied"] > 0
    assert one.stats["applied"] + two.stats["applied"] == 500
    await outbox.close()
