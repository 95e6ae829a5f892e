"""What the vendor console shows: the fleet list (with filters and alerts) and one box's detail
(twin, health history, commands, audit). Read-only queries; actions live in their own modules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from cloud_plane.db.tables_boxlink import box_status
from cloud_plane.db.tables_clinic import tenants
from cloud_plane.db.tables_fleet import box_health, box_twin, fleet_boxes
from cloud_plane.fleet import audit, commands
from cloud_plane.services.clock import utc_now

OUTBOX_ALERT = 100  # events waiting on the box
DISK_ALERT_MB = 500
CERT_ALERT = dt.timedelta(days=14)
ALERTS = ("offline", "outbox", "disk", "printer", "cert", "drift")
#: reported-state fields the box page lists (each has a catalogue key ``fleet.reported.<f>``)
REPORTED_FIELDS = (
    "software_version",
    "outbox_depth",
    "disk_free_mb",
    "uptime_s",
    "last_sync",
    "readers",
    "printers",
    "bundles",
    "config",
)


@dataclass(frozen=True, slots=True)
class FleetFilter:
    clinic: str = ""
    version: str = ""
    online: str = ""  # "", "yes", "no"
    alert: str = ""  # "", "any", or one of ALERTS


def alerts_of(row: dict[str, Any], now: dt.datetime) -> list[str]:
    """Alert codes of one fleet row (each has a catalogue key ``fleet.alert.<code>``)."""
    rep: dict[str, Any] = row.get("reported") or {}
    found = []
    if row["state"] == "provisioned" and not row.get("online"):
        found.append("offline")
    if int(rep.get("outbox_depth") or 0) > OUTBOX_ALERT:
        found.append("outbox")
    disk = rep.get("disk_free_mb")
    if isinstance(disk, int) and disk < DISK_ALERT_MB:
        found.append("disk")
    if any(v != "ok" for v in (rep.get("printers") or {}).values()):
        found.append("printer")
    not_after = row.get("cert_not_after")
    if isinstance(not_after, dt.datetime) and not_after - CERT_ALERT < now:
        found.append("cert")
    if row.get("delta"):
        found.append("drift")
    return found


async def fleet_rows(conn: AsyncConnection, flt: FleetFilter) -> list[dict[str, Any]]:
    stmt = (
        select(
            fleet_boxes,
            box_status.c.online,
            box_status.c.updated_at.label("seen_at"),
            box_twin.c.reported,
            box_twin.c.delta,
            box_twin.c.desired_version,
        )
        .outerjoin(box_status, box_status.c.box_id == fleet_boxes.c.box_id)
        .outerjoin(box_twin, box_twin.c.box_id == fleet_boxes.c.box_id)
        .order_by(fleet_boxes.c.tenant_slug, fleet_boxes.c.box_id)
    )
    if flt.clinic:
        stmt = stmt.where(fleet_boxes.c.tenant_slug == flt.clinic)
    if flt.online == "yes":
        stmt = stmt.where(box_status.c.online.is_(True))
    elif flt.online == "no":
        stmt = stmt.where((box_status.c.online.is_(False)) | (box_status.c.online.is_(None)))
    now = utc_now()
    rows = []
    for r in (await conn.execute(stmt)).all():
        row = dict(r._mapping)
        row["software_version"] = (row.get("reported") or {}).get("software_version", "")
        if flt.version and row["software_version"] != flt.version:
            continue
        row["alerts"] = alerts_of(row, now)
        if flt.alert == "any" and not row["alerts"]:
            continue
        if flt.alert in ALERTS and flt.alert not in row["alerts"]:
            continue
        rows.append(row)
    return rows


async def clinics(conn: AsyncConnection) -> list[tuple[str, str]]:
    rows = await conn.execute(select(tenants.c.slug, tenants.c.name).order_by(tenants.c.slug))
    return [(r.slug, r.name) for r in rows.all()]


async def box_detail(conn: AsyncConnection, box_id: str) -> dict[str, Any] | None:
    box = (await conn.execute(select(fleet_boxes).where(fleet_boxes.c.box_id == box_id))).first()
    if box is None:
        return None
    twin = (await conn.execute(select(box_twin).where(box_twin.c.box_id == box_id))).first()
    status = (await conn.execute(select(box_status).where(box_status.c.box_id == box_id))).first()
    health = (
        await conn.execute(
            select(box_health)
            .where(box_health.c.box_id == box_id)
            .order_by(box_health.c.id.desc())
            .limit(50)
        )
    ).all()
    row = dict(box._mapping)
    row["online"] = bool(status.online) if status is not None else False
    row["reported"] = dict(twin.reported) if twin is not None else {}
    row["delta"] = dict(twin.delta) if twin is not None else {}
    return {
        "box": row,
        "twin": dict(twin._mapping) if twin is not None else None,
        "alerts": alerts_of(row, utc_now()),
        "health": [dict(h._mapping) for h in health],
        "commands": await commands.recent(conn, box_id),
        "audit": await audit.trail(conn, box_id),
    }
