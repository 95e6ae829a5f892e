"""Apply the visit part of a :class:`ContinuityRecord`, and the handler entry point.

See :mod:`cloud_plane.continuity.apply` for the rules; this module does visits: a visit made on
the box is inserted (its 看診號 kept when free), a cloud visit the box worked on is overwritten
when the cloud did not change it meanwhile (digest equals the box's base) or has no clinical
content yet, and otherwise kept with the box's version in an open review item. Children
(diagnoses, orders, bill) follow the visit they belong to; print jobs are keyed by job id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.contracts import ContinuityRecord, Event
from cloud_plane.boxlink.store import txn_cache
from cloud_plane.continuity.apply import (
    Ctx,
    apply_patient,
    map_get,
    map_put,
    open_conflict,
    raise_counter,
)
from cloud_plane.continuity.rowcodec import JsonRow, decode, digest, encode
from cloud_plane.db.tables_clinic import bills, diagnoses, orders, print_jobs, visits
from cloud_plane.icupload.service import queue_made_up_later
from cloud_plane.services import audit
from cloud_plane.services.actor import Actor
from cloud_plane.services.counters import next_value
from cloud_plane.services.registration import system_actor

VISIT_FIELDS = (
    "department",
    "visit_type",
    "nhi_seq",
    "abnormal_code",
    "case_type",
    "copay_code",
    "status",
    "chief_complaint",
    "started_at",
    "finished_at",
)
_FINISHED = ("to_bill", "billed", "dispensed")
_CHILDREN = (diagnoses, orders, bills)


async def _children(conn: AsyncConnection, visit_id: int) -> dict[str, list[JsonRow]]:
    out: dict[str, list[JsonRow]] = {}
    for table in _CHILDREN:
        rows = await conn.execute(select(table).where(table.c.visit_id == visit_id))
        out[table.name] = [encode(r._mapping) for r in rows.all()]
    return out


async def cloud_visit_digest(conn: AsyncConnection, visit_id: int) -> tuple[JsonRow, str]:
    """The visit as the cloud holds it, and its digest (same as the box computes for its base)."""
    row = (await conn.execute(select(visits).where(visits.c.id == visit_id))).one()
    visit = encode(row._mapping)
    kids = await _children(conn, visit_id)
    bill = kids["bills"][0] if kids["bills"] else None
    return visit, digest(visit, kids["diagnoses"], kids["orders"], bill)


def record_digest(record: ContinuityRecord) -> str:
    assert record.visit is not None
    return digest(record.visit, record.diagnoses, record.orders, record.bill)


async def _number(ctx: Ctx, values: dict[str, Any]) -> None:
    """Keep the box's 看診號 when free; else take the next one (listed as renumbered)."""
    day, doctor, session, number = (
        values["visit_date"], values["doctor_id"], values["session"], values["visit_no"],
    )  # fmt: skip
    counter = f"visit_no:{day.isoformat()}:{doctor}:{session}"
    taken = (
        await ctx.conn.execute(
            select(visits.c.id).where(
                visits.c.tenant_id == ctx.actor.tenant_id, visits.c.visit_date == day,
                visits.c.doctor_id == doctor, visits.c.session == session,
                visits.c.visit_no == number,
            )
        )
    ).first()  # fmt: skip
    if taken is None:
        await raise_counter(ctx, counter, int(number))
        return
    values["visit_no"] = await next_value(ctx.conn, ctx.actor.tenant_id, counter)
    await open_conflict(
        ctx, "visit", taken.id, values["patient_id"], "visit_no", "renumbered",
        {"visit_no": number, "visit_id": taken.id}, {"visit_no": values["visit_no"]},
        open_=False,
    )  # fmt: skip


async def _insert_visit(ctx: Ctx, record: ContinuityRecord, patient_id: int) -> int:
    assert record.visit is not None
    values = decode(visits, record.visit)
    values.pop("id", None)
    values.update(tenant_id=ctx.actor.tenant_id, patient_id=patient_id, box_id=ctx.box_id)
    await _number(ctx, values)
    new_id = int(
        (
            await ctx.conn.execute(insert(visits).values(**values).returning(visits.c.id))
        ).scalar_one()
    )
    await audit.record(
        ctx.conn, ctx.actor, "create", "visit", new_id, patient_id=patient_id, via="continuity"
    )
    return new_id


async def _overwrite(
    ctx: Ctx, record: ContinuityRecord, visit_id: int, patient_id: int, *, fresh: bool = False
) -> None:
    """The visit and its children as the box has them (``fresh``: the visit was just inserted,
    so it has no children to delete)."""
    assert record.visit is not None
    offline = decode(visits, record.visit)
    fields = {k: offline[k] for k in VISIT_FIELDS if k in offline}
    fields["updated_at"] = offline.get("updated_at")
    await ctx.conn.execute(update(visits).where(visits.c.id == visit_id).values(**fields))
    if not fresh:
        for table in reversed(_CHILDREN):
            await ctx.conn.execute(delete(table).where(table.c.visit_id == visit_id))
    rows = {"diagnoses": record.diagnoses, "orders": record.orders}
    rows["bills"] = [record.bill] if record.bill is not None else []
    for table in _CHILDREN:
        batch = []
        for row in rows[table.name]:
            values = decode(table, row)
            values.pop("id", None)
            values.update(tenant_id=ctx.actor.tenant_id, visit_id=visit_id)
            batch.append(values)
        # One executemany per table; rows of a table share their keys (one encoder wrote them).
        for keys in {tuple(sorted(v)) for v in batch}:
            same = [v for v in batch if tuple(sorted(v)) == keys]
            await ctx.conn.execute(insert(table), same)
    await audit.record(
        ctx.conn, ctx.actor, "update", "visit", visit_id, patient_id=patient_id,
        status=fields.get("status"), via="continuity",
    )  # fmt: skip


async def _print_jobs(ctx: Ctx, record: ContinuityRecord, visit_id: int) -> None:
    for row in record.print_jobs:
        values = decode(print_jobs, row)
        values.pop("id", None)
        values.update(tenant_id=ctx.actor.tenant_id, visit_id=visit_id)
        job = values["job_id"]
        known = (
            await ctx.conn.execute(select(print_jobs.c.id).where(print_jobs.c.job_id == job))
        ).first()
        if known is None:
            await ctx.conn.execute(insert(print_jobs).values(**values))
        else:
            await ctx.conn.execute(
                update(print_jobs)
                .where(print_jobs.c.id == known.id)
                .values(
                    status=values["status"], reason=values.get("reason"),
                    detail=values.get("detail"), updated_at=values["updated_at"],
                )
            )  # fmt: skip


def _has_clinical_content(visit: JsonRow, kids: JsonRow) -> bool:
    return bool(kids["diagnoses"] or kids["orders"]) or visit["status"] in _FINISHED


async def apply_visit(ctx: Ctx, record: ContinuityRecord, patient_id: int) -> int | None:
    assert record.visit is not None
    key = int(record.visit["id"])
    known = await map_get(ctx, "visit", record.visit_origin, key)
    if known is not None and ctx.seq <= known.last_seq:
        return int(known.cloud_id)
    if record.visit_origin == "box" and known is None:
        visit_id = await _insert_visit(ctx, record, patient_id)
        await _overwrite(ctx, record, visit_id, patient_id, fresh=True)
    else:
        visit_id = int(known.cloud_id) if known is not None else key
        cloud, now = await cloud_visit_digest(ctx.conn, visit_id)
        base = known.applied_digest if known is not None else record.visit_base_digest
        if now != base:
            kids = await _children(ctx.conn, visit_id)
            snapshot = record.model_dump(mode="json", exclude={"patient", "patient_base"})
            if _has_clinical_content(cloud, kids):
                await open_conflict(
                    ctx, "visit", visit_id, patient_id, "visit_changed", "cloud_kept",
                    {"visit": cloud, **kids}, snapshot, open_=True,
                )  # fmt: skip
                await map_put(ctx, "visit", record.visit_origin, key, visit_id, now, known)
                return visit_id
            await open_conflict(
                ctx, "visit", visit_id, patient_id, "visit_changed", "offline_applied",
                {"visit": cloud, **kids}, snapshot, open_=False,
            )  # fmt: skip
        await _overwrite(ctx, record, visit_id, patient_id)
    await _print_jobs(ctx, record, visit_id)
    await queue_made_up_later(ctx.conn, ctx.actor, visit_id)
    _, after = await cloud_visit_digest(ctx.conn, visit_id)
    await map_put(ctx, "visit", record.visit_origin, key, visit_id, after, known)
    return visit_id


async def apply_record(conn: AsyncConnection, tenant: str, event: Event) -> int | None:
    """The ``continuity.record`` handler: the cloud id of the visit (or None for a patient)."""
    record = event.body
    assert isinstance(record, ContinuityRecord)
    cache = txn_cache(conn)  # a run of one box's records: one actor lookup
    actor = cache.get(("system_actor", tenant, event.box_id))
    if not isinstance(actor, Actor):
        actor = await system_actor(conn, tenant, event.box_id)
        cache[("system_actor", tenant, event.box_id)] = actor
    ctx = Ctx(conn, actor, event)
    patient_id = await apply_patient(ctx, record)
    if record.visit is None:
        return None
    return await apply_visit(ctx, record, patient_id)
