"""Live page updates across cloud processes.

Box events are split between cloud processes by the MQTT shared subscription, and web requests
by the load balancer, so the process that registers a visit is often not the one streaming the
front-desk page. Every process therefore forwards the events raised locally to
``clinicbox/v1/_cloud/live/{tenant_id}`` (QoS 0: a missed update is repaired by the page's next
refresh) and republishes what the other processes send into its own :class:`LiveHub`.
Boxes cannot read these topics: their ACL admits only their own box segment and channels.
"""

from __future__ import annotations

import asyncio
import json
import logging

from cloud_plane.boxlink import BoxInbox
from cloud_plane.boxlink.errors import BoxLinkError
from cloud_plane.web.live import LOCAL_ORIGIN, LiveEvent, LiveHub

log = logging.getLogger(__name__)

LIVE_TOPIC_PREFIX = "clinicbox/v1/_cloud/live"
LIVE_FILTER = f"{LIVE_TOPIC_PREFIX}/+"


class LiveBridge:
    def __init__(self, hub: LiveHub, origin: str) -> None:
        self.hub = hub
        self.origin = origin
        self.inbox: BoxInbox | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def attach(self, inbox: BoxInbox) -> None:
        """Start forwarding local events through ``inbox``'s connection."""
        self.inbox = inbox
        self.hub.add_tap(self._forward)

    def _forward(self, event: LiveEvent) -> None:
        if event.origin != LOCAL_ORIGIN or self.inbox is None or not self.inbox.connected:
            return
        payload = json.dumps(
            {"origin": self.origin, "kind": event.kind, "data": dict(event.data)},
            ensure_ascii=False,
            default=str,
        ).encode("utf-8")
        task = asyncio.get_running_loop().create_task(self._send(event.tenant_id, payload))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _send(self, tenant_id: int, payload: bytes) -> None:
        assert self.inbox is not None
        try:
            await self.inbox.publish(f"{LIVE_TOPIC_PREFIX}/{tenant_id}", payload)
        except BoxLinkError as exc:
            log.debug("live update not forwarded: %s", exc)

    async def receive(self, topic: str, payload: bytes) -> None:
        """Handler for :data:`LIVE_FILTER`: republish other processes' events locally."""
        try:
            tenant_id = int(topic.rsplit("/", 1)[1])
            body = json.loads(payload)
            if body["origin"] == self.origin:
                return
            self.hub.publish(tenant_id, str(body["kind"]), dict(body["data"]), origin="mqtt")
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring malformed live update on %s: %s", topic, exc)
