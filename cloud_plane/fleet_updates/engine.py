"""Drives running rollouts in a cloud process: every ``tick_s`` it times out silent boxes, asks
:func:`~cloud_plane.fleet_updates.policy.decide` what to do, aborts or sends commands.

Several cloud processes may tick at once: a box is claimed by ``UPDATE ... WHERE state =
'pending'`` before its command is sent, so only the process that claimed it sends it.
Box outcomes arrive through :meth:`on_reported` / :meth:`on_command_result` (the box inbox).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.bundles import BundleKind
from clinicbox_core.contracts import (
    BoxReported,
    BundleAvailable,
    Command,
    CommandResult,
    SoftwareUpdate,
)
from cloud_plane.db.tables_fleet_updates import rollout_boxes, rollouts
from cloud_plane.fleet_updates import rollouts as store
from cloud_plane.fleet_updates.artifacts import artifact_info
from cloud_plane.fleet_updates.policy import BoxState, Params, decide

log = logging.getLogger(__name__)

Sender = Callable[[str, str, Command], Awaitable[None]]


class RolloutEngine:
    def __init__(
        self,
        engine: AsyncEngine,
        send: Sender,
        *,
        public_url: str,
        tick_s: float = 2.0,
        box_timeout_s: float = 900.0,
    ) -> None:
        self.engine = engine
        self.send = send
        self.public_url = public_url.rstrip("/")
        self.tick_s = tick_s
        self.box_timeout_s = box_timeout_s
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.tick()
            except Exception:  # a database hiccup must not end the loop
                log.exception("rollout tick failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.tick_s):
                    await self._wake.wait()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def on_reported(self, tenant: str, rep: BoxReported) -> None:
        if await store.record_reported(self.engine, rep):
            self._wake.set()

    async def on_command_result(self, tenant: str, result: CommandResult) -> None:
        if not result.ok:
            await store.record_command_failure(
                self.engine,
                result.box_id,
                str(result.command_id),
                result.error_code or "error.internal",
            )
            self._wake.set()

    async def tick(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        async with self.engine.connect() as conn:
            running = (
                await conn.execute(select(rollouts).where(rollouts.c.state == "running"))
            ).all()
        for r in running:
            await self._advance(r, now)

    async def _advance(self, r: Any, now: datetime) -> None:
        rid: int = r.id
        cutoff = now - timedelta(seconds=self.box_timeout_s)
        async with self.engine.begin() as conn:
            await conn.execute(
                update(rollout_boxes)
                .where(
                    rollout_boxes.c.rollout_id == rid,
                    rollout_boxes.c.state.in_(("sent", "trying")),
                    rollout_boxes.c.sent_at < cutoff,
                )
                .values(state="failed", error_code="error.fleet.box_timeout", updated_at=now)
            )
            rows = (
                await conn.execute(select(rollout_boxes).where(rollout_boxes.c.rollout_id == rid))
            ).all()
        boxes = [BoxState(b.box_id, b.phase, b.position, b.state, _aware(b.sent_at)) for b in rows]
        params = Params(
            r.canary_count,
            r.rate_per_minute,
            r.abort_failure_pct,
            r.min_executed,
        )
        decision = decide(boxes, params, now)
        if decision.abort_reason:
            log.warning("rollout %d aborted: %s", rid, decision.abort_reason)
            await store.set_state(
                self.engine, rid, "aborted", allowed_from=("running",), reason=decision.abort_reason
            )
            return
        if decision.done:
            await store.set_state(self.engine, rid, "done", allowed_from=("running",))
            return
        tenants = {b.box_id: b.tenant_slug for b in rows}
        for box_id in decision.send:
            await self._send_one(r, box_id, tenants[box_id], now)

    async def _send_one(self, r: Any, box_id: str, tenant: str, now: datetime) -> None:
        rid: int = r.id
        command = Command(body=await self._body(r))
        async with self.engine.begin() as conn:
            claimed = await conn.execute(
                update(rollout_boxes)
                .where(
                    rollout_boxes.c.rollout_id == rid,
                    rollout_boxes.c.box_id == box_id,
                    rollout_boxes.c.state == "pending",
                )
                .values(
                    state="sent", sent_at=now, updated_at=now, command_id=str(command.command_id)
                )
            )
        if claimed.rowcount != 1:
            return  # another cloud process took it
        log.info("rollout %d: sending %s to %s", rid, command.body.type, box_id)
        await self.send(tenant, box_id, command)

    async def _body(self, r: Any) -> BundleAvailable | SoftwareUpdate:
        version: str = r.target_version
        if r.target_type == "bundle":
            kind = BundleKind(r.bundle_kind)
            return BundleAvailable(
                kind=kind,
                version=int(version),
                url=f"{self.public_url}/fleet/bundles/{kind.value}/{version}",
            )
        info = await artifact_info(self.engine, version)
        return SoftwareUpdate(
            version=version,
            url=f"{self.public_url}/fleet/software/{version}",
            sha256=info.sha256,
            signature=info.signature,
            key_id=info.key_id,
            rollout_id=r.id,
        )


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # SQLite returns naive datetimes
    return value
