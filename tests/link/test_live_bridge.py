"""Live updates cross cloud processes: an event raised in one process reaches the page streams
of another through the broker, exactly once, and never echoes back into its origin; a box
identity cannot listen in."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiomqtt
from linkkit import cloud_mqtt, wait_until
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.mqtt import tls_context
from clinicbox.runtime.mosquitto import MosquittoBroker
from cloud_plane.boxlink import BoxInbox
from cloud_plane.live_bridge import LIVE_FILTER, LiveBridge
from cloud_plane.web.live import LiveHub, Subscription


@contextlib.asynccontextmanager
async def cloud_process(
    broker: MosquittoBroker, engine: AsyncEngine, client_id: str
) -> AsyncIterator[LiveHub]:
    hub = LiveHub()
    bridge = LiveBridge(hub, origin=client_id)
    inbox = BoxInbox(
        engine,
        cloud_mqtt(broker, client_id),
        client_id,
        {},
        extra_subscriptions={LIVE_FILTER: bridge.receive},
    )
    bridge.attach(inbox)
    task = asyncio.create_task(inbox.run())
    await asyncio.wait_for(inbox.wait_connected(), 20)
    try:
        yield hub
    finally:
        await inbox.stop()
        await asyncio.wait_for(task, 20)


async def drain(sub: Subscription) -> list[tuple[str, dict[str, object], str]]:
    out = []
    while (event := await sub.next(within=0.3)) is not None:
        out.append((event.kind, dict(event.data), event.origin))
    return out


async def test_events_cross_processes_once_and_do_not_echo(
    broker: MosquittoBroker, engine: AsyncEngine
) -> None:
    async with (
        cloud_process(broker, engine, "cloud-1") as one,
        cloud_process(broker, engine, "cloud-2") as two,
    ):
        on_one, on_two, other_tenant = one.subscribe(7), two.subscribe(7), two.subscribe(8)
        for n in range(20):
            one.publish(7, "visit.created", {"visit_id": n})
        got: list[tuple[str, dict[str, object], str]] = []

        async def all_arrived() -> bool:
            got.extend(await drain(on_two))
            return len(got) >= 20

        await wait_until(all_arrived, limit_s=20)
        await asyncio.sleep(0.5)
        got.extend(await drain(on_two))
        assert [d["visit_id"] for _, d, _ in got] == list(range(20))
        assert {origin for _, _, origin in got} == {"mqtt"}
        local = await drain(on_one)
        assert len(local) == 20  # its own 20, not echoed back a second time
        assert await drain(other_tenant) == []


async def test_a_box_identity_cannot_read_live_updates(
    broker: MosquittoBroker, engine: AsyncEngine
) -> None:
    box = cloud_mqtt(broker, "box-a")
    ctx = await asyncio.to_thread(tls_context, box)
    received: list[str] = []
    async with (
        cloud_process(broker, engine, "cloud-1") as hub,
        aiomqtt.Client(broker.host, broker.port, identifier="box-a", tls_context=ctx) as spy,
    ):
        await spy.subscribe("clinicbox/v1/#")
        await spy.subscribe(LIVE_FILTER)

        async def listen() -> None:
            async for message in spy.messages:
                received.append(str(message.topic))

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.5)
        for n in range(5):
            hub.publish(7, "visit.created", {"visit_id": n, "name": "secret"})
        await asyncio.sleep(1.0)
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
    assert received == []
