"""Apply a :class:`ContinuityRecord` (offline work from a box) to the cloud database: the
shared helpers and the patient part (visits: :mod:`.apply_visit`).

Runs as the ``continuity.record`` handler inside the box inbox's transaction, so a record is
applied exactly once (UNIQUE(box_id, seq) in ``box_inbox``) and all or nothing. Rules:

* **Ids.** Rows the box created get cloud ids; ``continuity_id_map`` remembers the mapping, so a
  later record of the same patient or visit updates the same cloud row. A new patient whose
  national ID the cloud already knows is merged into that patient. A chart number or 看診號
  the cloud has handed out meanwhile is renumbered (the cloud's counters then continue above
  every number used offline) and listed for review as ``renumbered``.
* **Order.** A record older (lower seq) than the last one applied to the same row is skipped, so
  two cloud processes consuming one box cannot apply its records out of order.
* **Patients changed on both sides**: per field against the base the box had. A field only the
  box changed takes the box's value; one only the cloud changed keeps the cloud's; one changed on
  both sides to different values keeps the cloud's and opens a review item.
* **Visits changed on both sides** (cloud digest differs from the box's base): if the cloud side
  holds no clinical content yet (no diagnoses or orders, not finished) the box's visit is
  applied and an ``auto`` item is listed; otherwise the cloud's visit is kept and the box's
  version is stored in an ``open`` review item for the clinic administrator.
* A billed visit gets its IC-card upload queued, flagged 補登 (``made_up_later``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.contracts import ContinuityRecord, Event
from cloud_plane.continuity.rowcodec import JsonRow, decode, digest, encode
from cloud_plane.db.tables_clinic import (
    counters,
    patients,
)
from cloud_plane.db.tables_continuity import continuity_conflicts, continuity_id_map
from cloud_plane.services import audit
from cloud_plane.services.actor import Actor
from cloud_plane.services.clock import utc_now
from cloud_plane.services.counters import next_value

PATIENT_FIELDS = (
    "national_id",
    "name",
    "sex",
    "birth_date",
    "phone",
    "address",
    "nhi_card_no",
    "allergies",
)


class Ctx:
    def __init__(self, conn: AsyncConnection, actor: Actor, event: Event) -> None:
        self.conn = conn
        self.actor = actor
        self.event = event
        self.box_id = event.box_id
        self.seq = event.seq


async def map_get(ctx: Ctx, entity: str, origin: str, key: int) -> Any:
    stmt = select(continuity_id_map).where(
        and_(
            continuity_id_map.c.box_id == ctx.box_id,
            continuity_id_map.c.entity == entity,
            continuity_id_map.c.origin == origin,
            continuity_id_map.c.box_key == key,
        )
    )
    return (await ctx.conn.execute(stmt)).first()


async def map_put(
    ctx: Ctx, entity: str, origin: str, key: int, cloud_id: int, applied: str, known: Any
) -> None:
    values = {"cloud_id": cloud_id, "last_seq": ctx.seq, "applied_digest": applied}
    if known is not None:
        await ctx.conn.execute(
            update(continuity_id_map)
            .where(
                and_(
                    continuity_id_map.c.box_id == ctx.box_id,
                    continuity_id_map.c.entity == entity,
                    continuity_id_map.c.origin == origin,
                    continuity_id_map.c.box_key == key,
                )
            )
            .values(**values)
        )
        return
    await ctx.conn.execute(
        insert(continuity_id_map).values(
            box_id=ctx.box_id,
            entity=entity,
            origin=origin,
            box_key=key,
            tenant_id=ctx.actor.tenant_id,
            **values,
        )
    )


async def open_conflict(
    ctx: Ctx,
    entity: str,
    cloud_id: int | None,
    patient_id: int | None,
    kind: str,
    rule: str,
    cloud_value: Any,
    offline_value: Any,
    *,
    open_: bool,
) -> None:
    await ctx.conn.execute(
        insert(continuity_conflicts).values(
            tenant_id=ctx.actor.tenant_id,
            box_id=ctx.box_id,
            entity=entity,
            cloud_id=cloud_id,
            patient_id=patient_id,
            kind=kind,
            rule=rule,
            status="open" if open_ else "auto",
            cloud_value=cloud_value,
            offline_value=offline_value,
            created_at=utc_now(),
        )
    )


async def raise_counter(ctx: Ctx, name: str, at_least: int) -> None:
    """Make the counter ``name`` continue above ``at_least`` (a number used offline)."""
    dialect = sqlite if ctx.conn.dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(counters).values(tenant_id=ctx.actor.tenant_id, name=name, value=at_least)
    stmt = stmt.on_conflict_do_update(
        index_elements=[counters.c.tenant_id, counters.c.name],
        set_={"value": stmt.excluded.value},
        where=counters.c.value < stmt.excluded.value,
    )
    await ctx.conn.execute(stmt)


async def _cloud_patient(ctx: Ctx, patient_id: int) -> JsonRow | None:
    row = (
        await ctx.conn.execute(
            select(patients).where(
                patients.c.id == patient_id, patients.c.tenant_id == ctx.actor.tenant_id
            )
        )
    ).first()
    return encode(row._mapping) if row is not None else None


def _fields(row: JsonRow) -> JsonRow:
    return {f: row.get(f) for f in PATIENT_FIELDS}


async def _merge_patient(
    ctx: Ctx, cloud: JsonRow, offline: JsonRow, base: JsonRow | None
) -> JsonRow:
    """Field by field (see the module docstring); returns the fields to write."""
    changes: JsonRow = {}
    for name in PATIENT_FIELDS:
        off, now = offline.get(name), cloud.get(name)
        if off == now:
            continue
        if base is not None:
            if off == base.get(name):
                continue  # only the cloud changed it (or nobody): the cloud's value stays
            if now == base.get(name):
                changes[name] = off  # only the box changed it
                continue
        elif now in (None, ""):
            changes[name] = off  # the cloud had nothing there
            continue
        await open_conflict(
            ctx, "patient", cloud["id"], cloud["id"], "patient_field", "cloud_kept",
            {"field": name, "value": now}, {"field": name, "value": off}, open_=True,
        )  # fmt: skip
    return changes


async def _insert_patient(ctx: Ctx, offline: JsonRow) -> int:
    values = decode(patients, offline)
    values.pop("id", None)
    values["tenant_id"] = ctx.actor.tenant_id
    chart = str(values["chart_no"])
    taken = (
        await ctx.conn.execute(
            select(patients.c.id).where(
                patients.c.tenant_id == ctx.actor.tenant_id, patients.c.chart_no == chart
            )
        )
    ).first()
    if taken is not None:
        values["chart_no"] = f"{await next_value(ctx.conn, ctx.actor.tenant_id, 'chart_no'):06d}"
        await open_conflict(
            ctx, "patient", None, None, "chart_no", "renumbered",
            {"chart_no": chart, "patient_id": taken.id}, {"chart_no": values["chart_no"]},
            open_=False,
        )  # fmt: skip
    elif chart.isdigit():
        await raise_counter(ctx, "chart_no", int(chart))
    new_id = int(
        (
            await ctx.conn.execute(insert(patients).values(**values).returning(patients.c.id))
        ).scalar_one()
    )
    await audit.record(
        ctx.conn, ctx.actor, "create", "patient", new_id, patient_id=new_id, via="continuity"
    )
    return new_id


async def _write_patient(ctx: Ctx, patient_id: int, changes: JsonRow) -> None:
    if not changes:
        return
    values = decode(patients, changes)
    await ctx.conn.execute(
        update(patients).where(patients.c.id == patient_id).values(updated_at=utc_now(), **values)
    )
    await audit.record(
        ctx.conn, ctx.actor, "update", "patient", patient_id, patient_id=patient_id,
        fields=sorted(changes), via="continuity",
    )  # fmt: skip


async def apply_patient(ctx: Ctx, record: ContinuityRecord) -> int:
    offline = record.patient
    key = int(offline["id"])
    known = await map_get(ctx, "patient", record.patient_origin, key)
    if known is not None and ctx.seq <= known.last_seq:
        return int(known.cloud_id)
    if record.patient_origin == "cloud" or known is not None:
        cloud_id = int(known.cloud_id) if known is not None else key
        cloud = await _cloud_patient(ctx, cloud_id)
        if cloud is None:
            raise LookupError(f"patient {cloud_id} of box {ctx.box_id} is not in the cloud")
        if record.patient_base is not None:
            base: JsonRow | None = record.patient_base  # what the box last saw of the cloud
        elif known is not None and digest(_fields(cloud)) == known.applied_digest:
            base = cloud  # made on the box, untouched in the cloud since we wrote it
        else:
            base = None
        changes = await _merge_patient(ctx, cloud, offline, base)
    else:
        match = None
        if offline.get("national_id"):
            match = (
                await ctx.conn.execute(
                    select(patients.c.id).where(
                        patients.c.tenant_id == ctx.actor.tenant_id,
                        patients.c.national_id == offline["national_id"],
                    )
                )
            ).first()
        if match is None:
            cloud_id = await _insert_patient(ctx, offline)
            changes = {}
        else:
            cloud_id = int(match.id)
            cloud = await _cloud_patient(ctx, cloud_id)
            assert cloud is not None
            changes = await _merge_patient(ctx, cloud, offline, None)
    await _write_patient(ctx, cloud_id, changes)
    after = await _cloud_patient(ctx, cloud_id)
    assert after is not None
    await map_put(
        ctx, "patient", record.patient_origin, key, cloud_id, digest(_fields(after)), known
    )  # fmt: skip
    return cloud_id
