"""Answers provisioning requests arriving through the broker's claim listener.

Subscribed (shared, so one cloud process answers each) next to the box inbox, on the same
connection. Every request gets an answer: ``pending`` until the box is assigned, then ``issued``
with the certificate once the broker policy lists the box. Unreadable requests are dropped (the
claim listener's ACL already limits who can send them).
"""

from __future__ import annotations

import datetime as dt
import logging

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.runtime.pki import Pki
from clinicbox_core.contracts.provisioning import (
    ProvisionRequest,
    ProvisionResponse,
    response_topic,
    serial_of,
)
from clinicbox_core.errors import ValidationFailed
from cloud_plane.boxlink import BoxInbox
from cloud_plane.fleet.broker_policy import BrokerPolicy
from cloud_plane.fleet.provisioning import handle_request

log = logging.getLogger(__name__)


class ProvisionService:
    def __init__(
        self, engine: AsyncEngine, pki: Pki, policy: BrokerPolicy, validity: dt.timedelta
    ) -> None:
        self.engine = engine
        self.pki = pki
        self.policy = policy
        self.validity = validity
        self.inbox: BoxInbox | None = None

    async def receive(self, topic: str, payload: bytes) -> None:
        try:
            serial = serial_of(topic)
            req = ProvisionRequest.model_validate_json(payload)
        except (ValueError, ValidationError) as exc:
            log.warning("dropping unreadable provisioning request on %s: %s", topic, exc)
            return
        if req.serial != serial:
            log.warning("provisioning request for %s sent as %s: dropped", req.serial, serial)
            return
        try:
            async with self.engine.begin() as conn:
                outcome = await handle_request(conn, self.pki, req, self.validity)
        except ValidationFailed as exc:
            await self._answer(
                ProvisionResponse(serial=serial, status="refused", reason=exc.message_key)
            )
            return
        if outcome.policy_changed:
            await self.policy.apply(self.engine)
        await self._answer(outcome.response)
        log.info("provisioning request of %s: %s", serial, outcome.response.status)

    async def _answer(self, response: ProvisionResponse) -> None:
        assert self.inbox is not None, "attach the inbox first"
        await self.inbox.publish(
            response_topic(response.serial), response.model_dump_json().encode(), qos=1
        )
