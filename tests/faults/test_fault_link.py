"""Faults on the line between box and cloud: the broker killed -9 and restarted while the box
publishes, and a network partition (cut and black-hole through a TCP proxy) while visits go on.

Each test prints ``created=N cloud=N duplicates=0 lost=0 out_of_order=0`` and asserts it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from faults_helpers import (
    Counts,
    box_settings,
    count,
    effect_handler,
    long_run,
    mqtt_settings,
    running,
    wait_until,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox_core.contracts import CardRemoved, Command, CommandResult
from cloud_plane.boxlink import BoxInbox
from devsim.netfault import FaultProxy
from edge_agent.link import CloudLink
from edge_agent.outbox import AsyncOutbox

pytestmark = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)


async def _no_commands(command: Command) -> CommandResult:
    raise AssertionError(f"unexpected command {command}")


class Producer:
    """Visits going on at the clinic: one event every ``pace_s`` until stopped."""

    def __init__(self, outbox: AsyncOutbox, link: CloudLink, pace_s: float) -> None:
        self.outbox, self.link, self.pace_s = outbox, link, pace_s
        self.created = 0
        self._stop = asyncio.Event()
        self._progress = asyncio.Event()

    async def run(self) -> None:
        while not self._stop.is_set():
            await self.outbox.append(CardRemoved(reader=f"r{self.created}"))
            self.created += 1
            self._progress.set()
            self.link.notify()
            await asyncio.sleep(self.pace_s)

    async def stop(self) -> None:
        self._stop.set()

    async def until(self, n: int) -> None:
        while self.created < n:
            self._progress.clear()
            await self._progress.wait()


async def test_broker_killed_9_twice_while_the_box_publishes(
    broker: MosquittoBroker, engine: AsyncEngine, tmp_path: Path
) -> None:
    box = "box-bk"
    outbox = await AsyncOutbox.open(tmp_path / "box.db", box)
    link = CloudLink(
        box_settings(broker, box, tmp_path), outbox, _no_commands, window=32, ack_timeout_s=1.5
    )
    inbox = BoxInbox(
        engine, mqtt_settings(broker, "cloud-1"), "cloud-1", {"card.removed": effect_handler}
    )
    producer = Producer(outbox, link, pace_s=0.003)
    async with running(inbox, link):
        await inbox.wait_connected()
        async with running(producer):
            for round_ in range(2):
                await producer.until(150 * (round_ + 1))
                broker.kill()  # SIGKILL: no final save, sessions from the last autosave
                await wait_until(lambda: _both_down(link, inbox))
                await asyncio.sleep(0.3)  # visits go on while the broker is down
                broker.start()
                await inbox.wait_connected()
        await link.wait_drained()
    counts = await count(engine, box, producer.created)
    counts.report("broker-kill", box_connects=link.connects, resends=link.resends)
    assert counts == Counts(producer.created, producer.created, 0, 0, 0)
    assert link.connects >= 3
    await outbox.close()


async def _both_down(link: CloudLink, inbox: BoxInbox) -> bool:
    return not link.connected and not inbox.connected


async def test_network_partition_while_visits_continue(
    broker: MosquittoBroker, engine: AsyncEngine, tmp_path: Path
) -> None:
    """The line goes silent (black-hole), then is cut, then returns; a short real outage in CI,
    minutes with ``CLINICBOX_FAULTS_LONG=1``. Latency and flaky resets before and after."""
    outage_s = 120.0 if long_run() else 8.0
    box = "box-np"
    async with FaultProxy(broker.host, broker.port, seed=7) as proxy:
        proxy.delay_s = 0.02
        outbox = await AsyncOutbox.open(tmp_path / "box.db", box)
        settings = box_settings(broker, box, tmp_path, port=proxy.port, keepalive_s=5)
        link = CloudLink(settings, outbox, _no_commands, window=32, ack_timeout_s=2.0)
        inbox = BoxInbox(
            engine, mqtt_settings(broker, "cloud-1"), "cloud-1", {"card.removed": effect_handler}
        )
        producer = Producer(outbox, link, pace_s=0.01)
        async with running(inbox, link):
            await inbox.wait_connected()
            await link.wait_connected()
            async with running(producer):
                proxy.drop_rate = 0.02  # a flaky line: connections keep breaking
                await producer.until(150)
                proxy.drop_rate = 0.0
                before = producer.created
                proxy.blackhole()
                await asyncio.sleep(outage_s / 2)
                proxy.cut()
                await asyncio.sleep(outage_s / 2)
                during = producer.created - before
                depth_at_return = await outbox.depth()
                proxy.restore()
                await producer.until(producer.created + 100)
            await link.wait_drained()
        counts = await count(engine, box, producer.created)
        counts.report(
            "partition",
            outage_s=outage_s,
            created_during_outage=during,
            depth_at_return=depth_at_return,
            box_connects=link.connects,
            resends=link.resends,
            proxy_resets=proxy.stats.resets,
            proxy_refused=proxy.stats.refused,
        )
        assert counts == Counts(producer.created, producer.created, 0, 0, 0)
        assert during > 0 and depth_at_return >= during  # the outage really held events back
        await outbox.close()
