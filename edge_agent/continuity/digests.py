"""Digests of patients and visits as the box's database holds them (read back, so the same
value comes out whenever nothing changed): the collector ships only what differs from the
digest last shipped or received."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from cloud_plane.continuity.apply import PATIENT_FIELDS
from cloud_plane.continuity.rowcodec import JsonRow, digest, encode
from cloud_plane.db.tables_clinic import bills, diagnoses, orders, patients, print_jobs, visits


def patient_digest(row: JsonRow) -> str:
    return digest({f: row.get(f) for f in PATIENT_FIELDS})


async def patient_rows(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, JsonRow]:
    rows = await conn.execute(select(patients).where(patients.c.id.in_(ids)))
    return {int(r.id): encode(r._mapping) for r in rows.all()}


async def visit_bundles(
    conn: AsyncConnection, visit_ids: Sequence[int]
) -> dict[int, dict[str, list[JsonRow]]]:
    """Per visit id: ``visit`` (one row), ``diagnoses``, ``orders``, ``bills`` (0 or 1 row),
    ``print_jobs``."""
    out: dict[int, dict[str, list[JsonRow]]] = defaultdict(
        lambda: {"visit": [], "diagnoses": [], "orders": [], "bills": [], "print_jobs": []}
    )
    for r in (await conn.execute(select(visits).where(visits.c.id.in_(visit_ids)))).all():
        out[int(r.id)]["visit"] = [encode(r._mapping)]
    for table in (diagnoses, orders, bills, print_jobs):
        stmt = select(table).where(table.c.visit_id.in_(visit_ids)).order_by(table.c.id)
        for r in (await conn.execute(stmt)).all():
            out[int(r.visit_id)][table.name].append(encode(r._mapping))
    return dict(out)


def bundle_digest(bundle: dict[str, list[JsonRow]]) -> str:
    """The clinical content (what the cloud compares): visit, diagnoses, orders, bill."""
    bill = bundle["bills"][0] if bundle["bills"] else None
    return digest(bundle["visit"][0], bundle["diagnoses"], bundle["orders"], bill)


def ship_digest(bundle: dict[str, list[JsonRow]]) -> str:
    """What the box last shipped: the clinical content and the print jobs."""
    return digest({"content": bundle_digest(bundle)}, bundle["print_jobs"])
