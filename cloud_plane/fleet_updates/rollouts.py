"""Rollouts in the database: create, pause, resume, roll back, progress, and box outcomes.

State machine of a rollout::

    running ⇄ paused        (vendor)
    running → aborted       (policy: canary failed / failure threshold)
    running → done          (every box finished below the threshold)
    any but rolled_back → rolled_back   (vendor roll back: a reverse rollout is created)

A roll back creates a new rollout of ``previous_version`` (software) or a republished copy of
the previous bundle rows (bundles: boxes refuse older versions, so going back is a new, higher
version with the old content) for every box the rollout reached, with no canary stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox_core.bundles import BundleKind
from clinicbox_core.contracts import BoxReported
from clinicbox_core.errors import Conflict, NotFound, ValidationFailed
from cloud_plane.db.tables_fleet_updates import (
    bundle_versions,
    rollout_boxes,
    rollouts,
    software_artifacts,
)
from cloud_plane.fleet_updates.bundles import BundlePublisher

ACTIVE = ("running", "paused", "aborted")
TARGET_TYPES = ("software", "bundle")


@dataclass(frozen=True, slots=True)
class NewRollout:
    target_type: str
    target_version: str
    boxes: list[tuple[str, str]]  # (tenant slug, box id), in rollout order
    bundle_kind: str | None = None
    previous_version: str | None = None
    canary_count: int = 1
    rate_per_minute: int = 60
    abort_failure_pct: int = 20
    min_executed: int = 5

    def check(self) -> None:
        if self.target_type not in TARGET_TYPES:
            raise ValidationFailed("error.fleet.field", field="target_type")
        if self.target_type == "bundle" and self.bundle_kind not in {k.value for k in BundleKind}:
            raise ValidationFailed("error.fleet.field", field="bundle_kind")
        if not self.boxes:
            raise ValidationFailed("error.fleet.field", field="boxes")
        if not self.target_version.strip():
            raise ValidationFailed("error.fleet.field", field="target_version")
        for name, value, low, high in (
            ("canary_count", self.canary_count, 0, len(self.boxes)),
            ("rate_per_minute", self.rate_per_minute, 1, 100_000),
            ("abort_failure_pct", self.abort_failure_pct, 1, 100),
            ("min_executed", self.min_executed, 1, 100_000),
        ):
            if not low <= value <= high:
                raise ValidationFailed("error.fleet.range", field=name, low=low, high=high)


def _now() -> datetime:
    return datetime.now(UTC)


async def _check_target(conn: AsyncConnection, new: NewRollout) -> None:
    """The version must exist before any box is sent to fetch it."""
    if new.target_type == "software":
        found = await conn.scalar(
            select(software_artifacts.c.id).where(
                software_artifacts.c.version == new.target_version
            )
        )
        if found is None:
            raise NotFound("error.fleet.software_not_found", version=new.target_version)
        return
    if not new.target_version.isdigit():
        raise ValidationFailed("error.fleet.field", field="target_version")
    found = await conn.scalar(
        select(bundle_versions.c.id).where(
            bundle_versions.c.kind == new.bundle_kind,
            bundle_versions.c.version == int(new.target_version),
        )
    )
    if found is None:
        raise NotFound("error.fleet.bundle_not_found", version=new.target_version)


async def create_rollout(engine: AsyncEngine, new: NewRollout, *, by: str) -> int:
    new.check()
    now = _now()
    async with engine.begin() as conn:
        await _check_target(conn, new)
        rid = (
            await conn.execute(
                insert(rollouts)
                .values(
                    target_type=new.target_type,
                    bundle_kind=new.bundle_kind,
                    target_version=new.target_version,
                    previous_version=new.previous_version,
                    state="running",
                    canary_count=new.canary_count,
                    rate_per_minute=new.rate_per_minute,
                    abort_failure_pct=new.abort_failure_pct,
                    min_executed=new.min_executed,
                    created_at=now,
                    created_by=by,
                    updated_at=now,
                )
                .returning(rollouts.c.id)
            )
        ).scalar_one()
        await conn.execute(
            insert(rollout_boxes),
            [
                {
                    "rollout_id": rid,
                    "tenant_slug": tenant,
                    "box_id": box,
                    "phase": "canary" if i < new.canary_count else "main",
                    "position": i,
                    "state": "pending",
                    "updated_at": now,
                }
                for i, (tenant, box) in enumerate(new.boxes)
            ],
        )
    return int(rid)


async def _state(conn: AsyncConnection, rid: int) -> str:
    state = await conn.scalar(select(rollouts.c.state).where(rollouts.c.id == rid))
    if state is None:
        raise NotFound("error.fleet.rollout_not_found", rollout=rid)
    return str(state)


async def set_state(
    engine: AsyncEngine, rid: int, to: str, *, allowed_from: tuple[str, ...], reason: str = ""
) -> None:
    async with engine.begin() as conn:
        state = await _state(conn, rid)
        if state not in allowed_from:
            raise Conflict("error.fleet.rollout_state", rollout=rid, state=state)
        await conn.execute(
            update(rollouts)
            .where(rollouts.c.id == rid)
            .values(state=to, reason=reason or None, updated_at=_now())
        )


async def pause(engine: AsyncEngine, rid: int) -> None:
    await set_state(engine, rid, "paused", allowed_from=("running",))


async def resume(engine: AsyncEngine, rid: int) -> None:
    await set_state(engine, rid, "running", allowed_from=("paused",))


async def roll_back(
    engine: AsyncEngine, rid: int, *, by: str, publisher: BundlePublisher | None = None
) -> int:
    """Mark ``rid`` rolled back and start the reverse rollout; returns its id."""
    async with engine.connect() as conn:
        r = (await conn.execute(select(rollouts).where(rollouts.c.id == rid))).first()
        if r is None:
            raise NotFound("error.fleet.rollout_not_found", rollout=rid)
        reached = (
            await conn.execute(
                select(rollout_boxes.c.tenant_slug, rollout_boxes.c.box_id)
                .where(rollout_boxes.c.rollout_id == rid, rollout_boxes.c.state != "pending")
                .order_by(rollout_boxes.c.position)
            )
        ).all()
    if r.state == "rolled_back":
        raise Conflict("error.fleet.rollout_state", rollout=rid, state=r.state)
    if not r.previous_version:
        raise Conflict("error.fleet.no_previous_version", rollout=rid)
    target = r.previous_version
    if r.target_type == "bundle":
        if publisher is None:
            raise Conflict("error.fleet.no_signing_key")
        kind = BundleKind(r.bundle_kind)
        rows = await publisher.rows(kind, int(r.previous_version))
        if rows is None:
            raise NotFound("error.fleet.bundle_not_found", kind=kind.value, version=target)
        target = str(await publisher.publish(kind, rows, by=by))
    await set_state(engine, rid, "rolled_back", allowed_from=(*ACTIVE, "done"), reason="vendor")
    if not reached:
        return rid
    return await create_rollout(
        engine,
        NewRollout(
            target_type=r.target_type,
            bundle_kind=r.bundle_kind,
            target_version=target,
            boxes=[(t, b) for t, b in reached],
            canary_count=0,
            rate_per_minute=r.rate_per_minute,
            abort_failure_pct=100,
            min_executed=len(reached),
        ),
        by=by,
    )


async def progress(engine: AsyncEngine, rid: int) -> dict[str, int]:
    async with engine.connect() as conn:
        await _state(conn, rid)
        rows = await conn.execute(
            select(rollout_boxes.c.state, func.count())
            .where(rollout_boxes.c.rollout_id == rid)
            .group_by(rollout_boxes.c.state)
        )
        return {state: int(n) for state, n in rows}


def box_outcome(
    target_type: str, bundle_kind: str | None, target: str, rid: int, rep: BoxReported
) -> tuple[str, str | None] | None:
    """What a box's reported state says about its part in rollout ``rid`` (None = nothing)."""
    if target_type == "bundle":
        kind = bundle_kind or ""
        if rep.bundles.get(kind, 0) >= int(target):
            return "succeeded", None
        if kind in rep.bundle_refusals:
            return "failed", rep.bundle_refusals[kind]
        return None
    upd = rep.update
    if upd.rollout_id != rid or upd.target_version != target:
        return None
    if upd.status == "trying":
        return "trying", None
    if upd.status == "committed" and rep.software_version == target:
        return "succeeded", None
    if upd.status in ("rolled_back", "failed"):
        return "failed", upd.error_code or "error.update.rolled_back"
    return None


async def record_reported(engine: AsyncEngine, rep: BoxReported) -> list[int]:
    """Apply a box's reported state to its in-flight rollout boxes; returns rollout ids touched."""
    touched: list[int] = []
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                select(
                    rollout_boxes.c.id,
                    rollouts.c.id.label("rid"),
                    rollouts.c.target_type,
                    rollouts.c.bundle_kind,
                    rollouts.c.target_version,
                    rollout_boxes.c.state,
                )
                .join(rollouts, rollouts.c.id == rollout_boxes.c.rollout_id)
                .where(
                    rollout_boxes.c.box_id == rep.box_id,
                    rollout_boxes.c.state.in_(("sent", "trying")),
                )
            )
        ).all()
        for row in rows:
            outcome = box_outcome(
                row.target_type, row.bundle_kind, row.target_version, row.rid, rep
            )
            if outcome is None or outcome[0] == row.state:
                continue
            await conn.execute(
                update(rollout_boxes)
                .where(rollout_boxes.c.id == row.id)
                .values(state=outcome[0], error_code=outcome[1], updated_at=_now())
            )
            touched.append(int(row.rid))
    return touched


async def record_command_failure(
    engine: AsyncEngine, box_id: str, command_id: str, error_code: str
) -> None:
    """A rollout command the box answered with an error (refused bundle, bad artifact...)."""
    async with engine.begin() as conn:
        await conn.execute(
            update(rollout_boxes)
            .where(
                rollout_boxes.c.box_id == box_id,
                rollout_boxes.c.command_id == command_id,
                rollout_boxes.c.state.in_(("sent", "trying")),
            )
            .values(state="failed", error_code=error_code[:96], updated_at=_now())
        )
