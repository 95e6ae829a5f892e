"""The device twin, cloud side: desired state (versioned by the cloud), reported state
(versioned by the box), the delta between them, and the health history.

A reported message older than the stored one (its ``version`` is lower, e.g. the last will
written at connect time) only changes the online flag; the state stays the newest. When a box
reports a ``desired_version`` below the stored desired one, the caller republishes desired (the
broker may have lost the retained message), so the box converges after any disconnection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.contracts import BoxDesired, BoxReported
from cloud_plane.db.tables_fleet import box_health, box_twin
from cloud_plane.services.clock import utc_now


def compute_delta(desired: dict[str, Any], reported: dict[str, Any]) -> dict[str, Any]:
    """What the box still has to do: desired keys whose reported value differs."""
    delta: dict[str, Any] = {}
    want_cfg = desired.get("config") or {}
    have_cfg = reported.get("config") or {}
    for key, value in sorted(want_cfg.items()):
        if have_cfg.get(key) != value:
            delta[f"config.{key}"] = {"desired": value, "reported": have_cfg.get(key)}
    if desired.get("software") and desired.get("software") != reported.get("software_version"):
        delta["software"] = {
            "desired": desired["software"],
            "reported": reported.get("software_version"),
        }
    have_bundles = reported.get("bundles") or {}
    for name, version in sorted((desired.get("bundles") or {}).items()):
        if have_bundles.get(name) != version:
            delta[f"bundles.{name}"] = {"desired": version, "reported": have_bundles.get(name)}
    return delta


async def _row(conn: AsyncConnection, box_id: str) -> Any:
    return (await conn.execute(select(box_twin).where(box_twin.c.box_id == box_id))).first()


async def save_report(
    conn: AsyncConnection, tenant: str, rep: BoxReported, *, health_keep: int
) -> bool:
    """Store ``rep``; returns True when the box is behind the stored desired version."""
    now = utc_now()
    row = await _row(conn, rep.box_id)
    data = rep.model_dump(mode="json")
    await conn.execute(
        insert(box_health).values(
            box_id=rep.box_id,
            at=now,
            online=rep.online,
            outbox_depth=rep.outbox_depth,
            disk_free_mb=rep.disk_free_mb,
            uptime_s=rep.uptime_s,
            printers_ok=all(v == "ok" for v in rep.printers.values()) if rep.printers else None,
            readers=len(rep.readers),
        )
    )
    await _prune(conn, rep.box_id, health_keep)
    if row is None:
        await conn.execute(
            insert(box_twin).values(
                box_id=rep.box_id,
                tenant_slug=tenant,
                desired={},
                desired_version=0,
                reported=data,
                reported_version=rep.version,
                reported_at=now,
                delta={},
            )
        )
        return False
    if rep.version < row.reported_version:
        merged = {**row.reported, "online": rep.online}
        await conn.execute(
            update(box_twin).where(box_twin.c.box_id == rep.box_id).values(reported=merged)
        )
        return False
    await conn.execute(
        update(box_twin)
        .where(box_twin.c.box_id == rep.box_id)
        .values(
            tenant_slug=tenant,
            reported=data,
            reported_version=rep.version,
            reported_at=now,
            delta=compute_delta(row.desired, data),
        )
    )
    return rep.online and rep.desired_version < row.desired_version


async def _prune(conn: AsyncConnection, box_id: str, keep: int) -> None:
    cutoff = (
        await conn.execute(
            select(box_health.c.id)
            .where(box_health.c.box_id == box_id)
            .order_by(box_health.c.id.desc())
            .offset(keep)
            .limit(1)
        )
    ).scalar_one_or_none()
    if cutoff is not None:
        await conn.execute(
            delete(box_health).where(box_health.c.box_id == box_id, box_health.c.id <= cutoff)
        )


async def set_desired(
    conn: AsyncConnection,
    box_id: str,
    tenant: str,
    *,
    config: dict[str, str | int | bool] | None = None,
    software: str | None = None,
    bundles: dict[str, str] | None = None,
) -> BoxDesired:
    """Merge the given parts into the desired state, bump its version, return the message."""
    row = await _row(conn, box_id)
    current: dict[str, Any] = dict(row.desired) if row is not None else {}
    version = (row.desired_version if row is not None else 0) + 1
    merged_cfg = {**(current.get("config") or {}), **(config or {})}
    msg = BoxDesired(
        box_id=box_id,
        version=version,
        config=merged_cfg,
        software=software if software is not None else current.get("software"),
        bundles={**(current.get("bundles") or {}), **(bundles or {})},
    )
    data = msg.model_dump(mode="json")
    reported = dict(row.reported) if row is not None else {}
    values = {
        "tenant_slug": tenant,
        "desired": data,
        "desired_version": version,
        "desired_at": utc_now(),
        "delta": compute_delta(data, reported),
    }
    if row is None:
        await conn.execute(
            insert(box_twin).values(box_id=box_id, reported={}, reported_version=0, **values)
        )
    else:
        await conn.execute(update(box_twin).where(box_twin.c.box_id == box_id).values(**values))
    return msg


async def desired_message(conn: AsyncConnection, box_id: str) -> BoxDesired | None:
    row = await _row(conn, box_id)
    if row is None or not row.desired:
        return None
    return BoxDesired.model_validate(row.desired)
