"""Live updates: the hub, and the /events stream over a real HTTP connection."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest
from web_browser import Browser
from web_env import Seeded, WebEnv, start_env, stop_env
from web_steps import create_patient, register

from cloud_plane.web.live import BOX_STATUS, VISIT_CREATED, LiveEvent, LiveHub

#: Guard against a hung test only; no assertion depends on it.
HANG_GUARD_S = 30.0


@dataclass
class Frame:
    comment: str | None = None
    event: str | None = None
    data: str | None = None


class Stream:
    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self.resp = resp

    async def frame(self) -> Frame:
        """The next SSE frame (comment or event), parsed."""
        frame = Frame()
        while True:
            raw = await asyncio.wait_for(self.resp.content.readline(), HANG_GUARD_S)
            if raw == b"":
                raise EOFError("stream ended")
            line = raw.decode().rstrip("\n")
            if line == "":
                if frame.comment is not None or frame.event is not None:
                    return frame
                continue
            if line.startswith(":"):
                frame.comment = line[1:].strip()
            elif line.startswith("event: "):
                frame.event = line[7:]
            elif line.startswith("data: "):
                frame.data = line[6:]

    async def event(self) -> tuple[str, dict[str, object]]:
        while True:
            f = await self.frame()
            if f.event is not None:
                assert f.data is not None
                return f.event, json.loads(f.data)


@asynccontextmanager
async def events(b: Browser) -> AsyncIterator[Stream]:
    async with b.session.get("/events") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        stream = Stream(resp)
        first = await stream.frame()
        assert first.comment == "connected"  # subscribed from here on
        yield stream


async def test_visit_registered_elsewhere_appears_on_open_stream(env: WebEnv) -> None:
    watcher = await env.logged_in("west", "doctor1")
    desk = await env.logged_in("west", "frontdesk")
    async with events(watcher) as stream:
        visit_id = await register(desk, await create_patient(desk, "即時病人"), "王大明醫師")
        kind, data = await stream.event()
    assert kind == VISIT_CREATED
    assert data["visit_id"] == visit_id
    assert data["status"] == "registered"


async def test_east_events_never_reach_a_west_stream(env: WebEnv) -> None:
    west = await env.logged_in("west", "frontdesk")
    east = await env.logged_in("east", "frontdesk")
    async with events(west) as west_stream, events(east) as east_stream:
        east_visit = await register(east, await create_patient(east, "東區即時"), "吳醫師")
        kind, data = await east_stream.event()
        assert (kind, data["visit_id"]) == (VISIT_CREATED, east_visit)
        west_visit = await register(west, await create_patient(west, "西區即時"), "王大明醫師")
        # The hub delivers in order: had east's event leaked, it would come first.
        kind, data = await west_stream.event()
        assert (kind, data["visit_id"]) == (VISIT_CREATED, west_visit)


async def test_hub_events_published_by_a_bridge_reach_the_stream(env: WebEnv) -> None:
    west = await env.logged_in("west", "frontdesk")
    async with env.engine.begin() as conn:
        from cloud_plane.db.tables_clinic import tenants

        tid = (await conn.execute(tenants.select().where(tenants.c.slug == "demo-west"))).one().id
    async with events(west) as stream:
        env.hub.publish(tid, BOX_STATUS, {"box_id": "box-demo-1", "online": True}, origin="mqtt")
        kind, data = await stream.event()
    assert kind == BOX_STATUS
    assert data == {"box_id": "box-demo-1", "online": True}


async def test_events_need_login(env: WebEnv) -> None:
    status, body = await env.browser().get_json("/events")
    assert status == 401
    assert body["error"]["key"] == "error.auth.required"


async def test_heartbeat_comments_keep_the_stream_alive(seeded: Seeded) -> None:
    env = await start_env(seeded, heartbeat_s=0.05)
    try:
        b = await env.logged_in("west", "frontdesk")
        async with events(b) as stream:
            frame = await stream.frame()
        assert frame.comment == "heartbeat"
    finally:
        await stop_env(env)


# ---- the hub alone ---------------------------------------------------------------------------


async def test_hub_delivers_per_tenant_in_order() -> None:
    hub = LiveHub()
    a, b = hub.subscribe(1), hub.subscribe(2)
    hub.publish(1, VISIT_CREATED, {"visit_id": 1})
    hub.publish(2, VISIT_CREATED, {"visit_id": 2})
    hub.publish(1, VISIT_CREATED, {"visit_id": 3})
    got = [await a.next(), await a.next()]
    assert [e.data["visit_id"] for e in got if e] == [1, 3]
    e = await b.next()
    assert e is not None and e.data == {"visit_id": 2}
    assert await b.next(within=0) is None


async def test_hub_taps_see_origin_and_overflow_closes_slow_subscriber() -> None:
    hub = LiveHub(max_pending=2)
    seen: list[LiveEvent] = []
    remove = hub.add_tap(seen.append)
    slow = hub.subscribe(7)
    for i in range(3):
        hub.publish(7, VISIT_CREATED, {"i": i}, origin="mqtt" if i else "local")
    assert [e.origin for e in seen] == ["local", "mqtt", "mqtt"]
    assert slow.overflowed and slow.closed
    assert hub.subscriber_count(7) == 0
    remove()
    hub.publish(7, VISIT_CREATED, {})
    assert len(seen) == 3
    with pytest.raises(ValueError):
        hub.publish(7, "visit.deleted", {})


async def test_close_all_ends_iteration() -> None:
    hub = LiveHub()
    sub = hub.subscribe(1)
    hub.publish(1, VISIT_CREATED, {"n": 1})
    hub.close_all()
    got = [e async for e in sub]
    assert [e.data for e in got] == [{"n": 1}]
