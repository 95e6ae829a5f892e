"""The fleet service inside one cloud process: wires provisioning, the broker policy, the twin
and remote commands onto the process's :class:`~cloud_plane.boxlink.BoxInbox`."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox.runtime.pki import Pki
from clinicbox_core.contracts import (
    BoxDesired,
    BoxReported,
    CertificateRequest,
    Channel,
    CommandResult,
    Event,
    Topic,
)
from clinicbox_core.contracts.provisioning import request_filter
from cloud_plane.boxlink import BoxInbox, EventHandler, after_commit
from cloud_plane.boxlink.errors import BoxLinkError
from cloud_plane.config import FleetSettings
from cloud_plane.fleet import commands, twin
from cloud_plane.fleet.broker_policy import BrokerPolicy
from cloud_plane.fleet.provision_link import ProvisionService
from cloud_plane.fleet.provisioning import issue

log = logging.getLogger(__name__)
SWEEP_EVERY_S = 5.0
RawHandler = Callable[[str, bytes], Awaitable[None]]


class FleetRuntime:
    def __init__(self, settings: FleetSettings, engine: AsyncEngine) -> None:
        self.settings = settings
        self.engine = engine
        self.pki = Pki(settings.ca_dir) if settings.ca_dir is not None else None
        self.policy = BrokerPolicy(settings, self.pki) if self.pki is not None else None
        self.validity = dt.timedelta(days=settings.cert_days)
        self.provision = (
            ProvisionService(engine, self.pki, self.policy, self.validity)
            if self.pki is not None and self.policy is not None
            else None
        )
        self.inbox: BoxInbox | None = None
        self._pending: set[asyncio.Task[None]] = set()

    @property
    def command_timeout(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.settings.command_timeout_s)

    def subscriptions(self) -> dict[str, RawHandler]:
        return {request_filter(): self.provision.receive} if self.provision else {}

    def event_handlers(self) -> dict[str, EventHandler]:
        return {"cert.csr": self.certificate_request} if self.pki is not None else {}

    def attach(self, inbox: BoxInbox) -> None:
        self.inbox = inbox
        if self.provision is not None:
            self.provision.inbox = inbox

    async def run(self, stop: asyncio.Event) -> None:
        """Apply the broker policy once, then sweep command time-outs until ``stop``."""
        if self.policy is not None:
            await self.policy.apply(self.engine)
        while not stop.is_set():
            try:
                await commands.sweep(self.engine)
            except Exception:
                log.exception("command sweep failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SWEEP_EVERY_S):
                    await stop.wait()

    # ---- box link callbacks ---------------------------------------------------------------------

    async def on_reported(self, tenant: str, reported: BoxReported) -> None:
        async with self.engine.begin() as conn:
            behind = await twin.save_report(
                conn, tenant, reported, health_keep=self.settings.health_keep
            )
            desired = await twin.desired_message(conn, reported.box_id) if behind else None
        if desired is not None:
            await self.publish_desired(tenant, desired)

    async def on_command_result(self, tenant: str, result: CommandResult) -> None:
        await commands.record_result(self.engine, result)

    async def certificate_request(self, conn: AsyncConnection, tenant: str, event: Event) -> None:
        """A box rotating its key: issue over the new key and send it back (after commit)."""
        body = event.body
        assert isinstance(body, CertificateRequest) and self.pki is not None
        cert_pem = await issue(
            conn, self.pki, event.box_id, body.csr_pem, self.validity, actor="box"
        )
        _, command = await commands.create(
            conn,
            event.box_id,
            "cert.install",
            "box",
            self.command_timeout,
            {"cert_pem": cert_pem},
        )
        inbox = self.inbox

        def send() -> None:
            if inbox is not None:
                task = asyncio.get_running_loop().create_task(
                    self._send(inbox, tenant, event.box_id, command)
                )
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)

        after_commit(conn, send)

    async def _send(self, inbox: BoxInbox, tenant: str, box_id: str, command: object) -> None:
        from clinicbox_core.contracts import Command

        assert isinstance(command, Command)
        try:
            await inbox.send_command(tenant, box_id, command)
        except BoxLinkError as exc:
            log.warning("could not send the new certificate to %s: %s", box_id, exc)

    async def publish_desired(self, tenant: str, desired: BoxDesired) -> None:
        if self.inbox is None:
            return
        topic = str(Topic(tenant, desired.box_id, Channel.DESIRED))
        await self.inbox.publish(topic, desired.model_dump_json().encode(), qos=1, retain=True)
