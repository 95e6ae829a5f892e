"""``GET /events``: the logged-in tenant's live events as Server-Sent Events.

The subscription is registered before the response starts, so an event published after the
client sees the opening ``: connected`` comment is never missed. A comment line is written every
heartbeat interval so proxies keep the connection open and a dead client is noticed. The browser's
``EventSource`` reconnects by itself (``retry:`` asks it to wait 3 s).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from aiohttp import web

from cloud_plane.web import keys
from cloud_plane.web.live import LiveEvent
from cloud_plane.web.middleware import current_actor

RETRY_MS = 3000


def encode_event(event: LiveEvent) -> bytes:
    """One SSE frame: ``id``, ``event`` (the kind) and the JSON ``data`` on one line."""
    data = json.dumps(dict(event.data), ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.seq}\nevent: {event.kind}\ndata: {data}\n\n".encode()


async def events(request: web.Request) -> web.StreamResponse:
    return await stream(request, current_actor(request).tenant_id, encode_event)


async def stream(
    request: web.Request, tenant_id: int, encode: Callable[[LiveEvent], bytes | None]
) -> web.StreamResponse:
    """Stream ``tenant_id``'s live events, each as ``encode`` writes it (``None``: skip it)."""
    hub = request.app[keys.LIVE]
    heartbeat = request.app[keys.HEARTBEAT_S]
    async with hub.subscribe(tenant_id) as sub:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache, no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        try:
            await response.write(f"retry: {RETRY_MS}\n: connected\n\n".encode())
            while True:
                try:
                    event = await sub.next(within=heartbeat)
                except StopAsyncIteration:
                    break  # hub closed us (shutdown or overflow): the client reconnects
                if event is None:
                    await response.write(b": heartbeat\n\n")
                elif (frame := encode(event)) is not None:
                    await response.write(frame)
        except (ConnectionResetError, ConnectionError):
            pass  # the browser went away
    return response
