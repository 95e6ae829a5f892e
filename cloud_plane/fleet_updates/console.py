"""Read models of the vendor console's rollout and bundle pages (queries only; the actions are
in :mod:`cloud_plane.fleet_updates.rollouts`)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.bundles import BundleKind
from clinicbox_core.errors import NotFound, ValidationFailed
from cloud_plane.db.tables_boxlink import box_status
from cloud_plane.db.tables_fleet_updates import bundle_versions, rollout_boxes, rollouts

BOX_STATES = ("pending", "sent", "trying", "succeeded", "failed")


async def rollout_list(conn: AsyncConnection, limit: int = 50) -> list[dict[str, Any]]:
    rows = (await conn.execute(select(rollouts).order_by(rollouts.c.id.desc()).limit(limit))).all()
    counts: dict[int, Counter[str]] = {r.id: Counter() for r in rows}
    if rows:
        stmt = (
            select(rollout_boxes.c.rollout_id, rollout_boxes.c.state, func.count())
            .where(rollout_boxes.c.rollout_id.in_(list(counts)))
            .group_by(rollout_boxes.c.rollout_id, rollout_boxes.c.state)
        )
        for rid, state, n in await conn.execute(stmt):
            counts[rid][state] = int(n)
    return [
        {**r._mapping, "counts": counts[r.id], "total": sum(counts[r.id].values())} for r in rows
    ]


async def rollout_detail(conn: AsyncConnection, rid: int) -> dict[str, Any]:
    r = (await conn.execute(select(rollouts).where(rollouts.c.id == rid))).first()
    if r is None:
        raise NotFound("error.fleet.rollout_not_found", rollout=rid)
    boxes = (
        await conn.execute(
            select(rollout_boxes)
            .where(rollout_boxes.c.rollout_id == rid)
            .order_by(rollout_boxes.c.position)
        )
    ).all()
    counts = Counter(b.state for b in boxes)
    return {
        "rollout": dict(r._mapping),
        "boxes": [dict(b._mapping) for b in boxes],
        "counts": counts,
        "total": len(boxes),
    }


async def resolve_boxes(conn: AsyncConnection, text: str) -> list[tuple[str, str]]:
    """Box serials (comma, space or newline separated) → (tenant, box); every box must have
    reported at least once (so its clinic is known)."""
    serials = [s for s in text.replace(",", " ").split() if s]
    if not serials:
        raise ValidationFailed("error.fleet.field", field="boxes")
    found = dict(
        (
            await conn.execute(
                select(box_status.c.box_id, box_status.c.tenant_slug).where(
                    box_status.c.box_id.in_(serials)
                )
            )
        ).all()
    )
    unknown = [s for s in serials if s not in found]
    if unknown:
        raise ValidationFailed("error.fleet.unknown_boxes", field="boxes", boxes=", ".join(unknown))
    return [(str(found[s]), s) for s in dict.fromkeys(serials)]


async def latest_bundles(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(
        select(bundle_versions.c.kind, func.max(bundle_versions.c.version)).group_by(
            bundle_versions.c.kind
        )
    )
    return {kind: int(v) for kind, v in rows}


async def bundle_overview(conn: AsyncConnection) -> dict[str, Any]:
    """Published versions per kind and, per box, the versions it holds and any refusal."""
    latest = await latest_bundles(conn)
    boxes = []
    for box_id, tenant, reported in (
        await conn.execute(
            select(box_status.c.box_id, box_status.c.tenant_slug, box_status.c.reported).order_by(
                box_status.c.box_id
            )
        )
    ).all():
        rep = reported or {}
        boxes.append(
            {
                "box_id": box_id,
                "tenant_slug": tenant,
                "software_version": rep.get("software_version", ""),
                "bundles": rep.get("bundles") or {},
                "refusals": rep.get("bundle_refusals") or {},
                "update_state": rep.get("update") or {},
            }
        )
    return {"kinds": [k.value for k in BundleKind], "latest": latest, "boxes": boxes}


async def box_updates(conn: AsyncConnection, box_id: str) -> dict[str, Any]:
    """One box's bundle versions, refusals, update state and rollout memberships."""
    reported = await conn.scalar(select(box_status.c.reported).where(box_status.c.box_id == box_id))
    rep = reported or {}
    member = (
        await conn.execute(
            select(
                rollouts.c.id,
                rollouts.c.target_type,
                rollouts.c.bundle_kind,
                rollouts.c.target_version,
                rollouts.c.state.label("rollout_state"),
                rollout_boxes.c.state,
                rollout_boxes.c.error_code,
            )
            .join(rollouts, rollouts.c.id == rollout_boxes.c.rollout_id)
            .where(rollout_boxes.c.box_id == box_id)
            .order_by(rollouts.c.id.desc())
            .limit(20)
        )
    ).all()
    return {
        "kinds": [k.value for k in BundleKind],
        "latest": await latest_bundles(conn),
        "bundles": rep.get("bundles") or {},
        "refusals": rep.get("bundle_refusals") or {},
        "update_state": rep.get("update") or {},
        "software_version": rep.get("software_version", ""),
        "rollouts": [dict(m._mapping) for m in member],
    }
