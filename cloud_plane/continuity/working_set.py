"""What a clinic's box keeps to work alone, read from the cloud database.

The working set of a tenant is, per table (in foreign-key order, see :data:`TABLES`):

* reference part (``REF_TABLES``): the tenant row (clinic settings), its staff (every member,
  because visits name their doctor; the argon2id hash travels only for active members allowed
  offline, the others get an unusable one), its boxes, its formulary (``tenant_drugs``) and the
  NHI drug rows of its formulary. :func:`ref_hash` digests it, so an unchanged reference part
  is not sent again.
* shared part (``GLOBAL_TABLES``): the fee schedule and ICD-10-CM, sent only when the box's
  copy differs (:func:`global_hash`).
* clinical part: patients seen in the last :data:`WINDOW_DAYS` days or booked today or
  tomorrow, their last :data:`LAST_VISITS` visits plus every visit of today and tomorrow, the
  diagnoses, orders (last visits = long-term medications), bills and print jobs of those
  visits, and the tenant's counters (chart and 看診號 numbering continues on the box).

``version`` is one more than the highest ``audit_log`` id when the set was read: every change
of patient data writes an audit row (see :mod:`cloud_plane.services.audit`), so the patients
touched since version ``v`` are those with a non-read audit row of id ``>= v``
(:func:`touched_patients`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from cloud_plane.continuity.rowcodec import JsonRow, encode
from cloud_plane.db.tables_clinic import (
    audit_log,
    bills,
    boxes,
    counters,
    diagnoses,
    orders,
    patients,
    print_jobs,
    staff,
    tenant_drugs,
    tenants,
    visits,
)
from cloud_plane.db.tables_refdata import drugs, fee_codes, icd10

WINDOW_DAYS: Final = 730  # "patients seen in the last 24 months"
LAST_VISITS: Final = 5  # per patient: last visits and their medications
#: A password hash argon2 cannot parse: the member exists on the box but cannot sign in there.
NO_OFFLINE_LOGIN: Final = "!offline-login-not-allowed"

REF_TABLES: Final[tuple[Table, ...]] = (tenants, staff, boxes, tenant_drugs, drugs)
#: NHI reference data every clinic shares (the whole fee schedule and ICD-10-CM: a doctor may
#: need any code offline). Large (about 100k rows), so sent only when the box's copy differs
#: (:func:`global_hash`), not with every rebuild.
GLOBAL_TABLES: Final[tuple[Table, ...]] = (fee_codes, icd10)
CLINICAL_TABLES: Final[tuple[Table, ...]] = (
    counters,
    patients,
    visits,
    diagnoses,
    orders,
    bills,
    print_jobs,
)
#: Every table of the working set, parents before children.
TABLES: Final[tuple[Table, ...]] = REF_TABLES + GLOBAL_TABLES + CLINICAL_TABLES
TABLE_BY_NAME: Final = {t.name: t for t in TABLES}


@dataclass
class WorkingSet:
    """Rows per table name (JSON form), the version they are as of, the reference digest."""

    version: int
    ref_hash: str
    tables: dict[str, list[JsonRow]] = field(default_factory=dict)
    global_hash: str = ""

    @property
    def rows(self) -> int:
        return sum(len(v) for v in self.tables.values())


async def current_version(conn: AsyncConnection) -> int:
    """One more than the highest audit id: never 0 (a box at 0 has nothing and gets a rebuild);
    a set at version ``v`` includes every change with an audit id below ``v``."""
    return int((await conn.execute(select(func.max(audit_log.c.id)))).scalar_one() or 0) + 1


async def _rows(conn: AsyncConnection, stmt: Any) -> list[JsonRow]:
    return [encode(r._mapping) for r in (await conn.execute(stmt)).all()]


def ref_hash(tables: dict[str, list[JsonRow]]) -> str:
    digest = hashlib.sha256()
    for table in REF_TABLES:
        rows = tables.get(table.name, [])
        digest.update(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()[:32]


async def _reference(conn: AsyncConnection, tenant_id: int) -> dict[str, list[JsonRow]]:
    out: dict[str, list[JsonRow]] = {}
    out["tenants"] = await _rows(conn, select(tenants).where(tenants.c.id == tenant_id))
    members = await _rows(
        conn, select(staff).where(staff.c.tenant_id == tenant_id).order_by(staff.c.id)
    )
    for m in members:
        if not (m["active"] and m["offline_allowed"]):
            m["password_hash"] = NO_OFFLINE_LOGIN
    out["staff"] = members
    out["boxes"] = await _rows(conn, select(boxes).where(boxes.c.tenant_id == tenant_id))
    out["tenant_drugs"] = await _rows(
        conn,
        select(tenant_drugs).where(tenant_drugs.c.tenant_id == tenant_id).order_by("code"),
    )
    codes = sorted({r["code"] for r in out["tenant_drugs"]})
    out["drugs"] = await _rows(
        conn, select(drugs).where(drugs.c.code.in_(codes)).order_by(drugs.c.code, "effective_from")
    )
    return out


async def global_hash(conn: AsyncConnection) -> str:
    """A cheap digest of the shared reference tables (row count and key range per table: the
    reference loaders replace a table as a whole, so a new edition changes these)."""
    digest = hashlib.sha256()
    for table in GLOBAL_TABLES:
        key = next(iter(table.primary_key.columns))
        row = (
            await conn.execute(
                select(func.count(), func.min(key), func.max(key)).select_from(table)
            )
        ).one()
        digest.update(json.dumps([table.name, *row], default=str).encode())
    return digest.hexdigest()[:32]


async def global_tables(conn: AsyncConnection) -> dict[str, list[JsonRow]]:
    return {
        "fee_codes": await _rows(conn, select(fee_codes).order_by("code", "effective_from")),
        "icd10": await _rows(conn, select(icd10).order_by("code")),
    }


async def _clinical(
    conn: AsyncConnection, tenant_id: int, patient_ids: Sequence[int], today: date
) -> dict[str, list[JsonRow]]:
    out: dict[str, list[JsonRow]] = {}
    out["counters"] = await _rows(
        conn, select(counters).where(counters.c.tenant_id == tenant_id).order_by("name")
    )
    out["patients"] = await _rows(
        conn, select(patients).where(patients.c.id.in_(patient_ids)).order_by(patients.c.id)
    )
    ranked = (
        select(
            visits.c.id,
            func.row_number()
            .over(partition_by=visits.c.patient_id, order_by=visits.c.visit_date.desc())
            .label("rank"),
        )
        .where(visits.c.patient_id.in_(patient_ids), visits.c.tenant_id == tenant_id)
        .subquery()
    )
    visit_stmt = (
        select(visits)
        .join(ranked, ranked.c.id == visits.c.id)
        .where(or_(ranked.c.rank <= LAST_VISITS, visits.c.visit_date >= today))
        .order_by(visits.c.id)
    )
    out["visits"] = await _rows(conn, visit_stmt)
    visit_ids = [v["id"] for v in out["visits"]]
    for table in (diagnoses, orders, bills, print_jobs):
        out[table.name] = await _rows(
            conn, select(table).where(table.c.visit_id.in_(visit_ids)).order_by(table.c.id)
        )
    return out


async def patients_in_window(conn: AsyncConnection, tenant_id: int, today: date) -> list[int]:
    since = today - timedelta(days=WINDOW_DAYS)
    stmt = (
        select(visits.c.patient_id)
        .where(
            visits.c.tenant_id == tenant_id,
            visits.c.visit_date >= since,
            visits.c.visit_date <= today + timedelta(days=1),
        )
        .distinct()
    )
    return sorted(int(p) for p in (await conn.execute(stmt)).scalars().all())


async def touched_patients(
    conn: AsyncConnection, tenant_id: int, after_version: int, upto_version: int
) -> list[int]:
    """Patients with a change (create/update/delete audit row) in (after, upto]."""
    stmt = (
        select(audit_log.c.patient_id)
        .where(
            and_(
                audit_log.c.id > after_version,
                audit_log.c.id <= upto_version,
                audit_log.c.tenant_id == tenant_id,
                audit_log.c.action != "read",
                audit_log.c.patient_id.is_not(None),
            )
        )
        .distinct()
    )
    return sorted(int(p) for p in (await conn.execute(stmt)).scalars().all())


async def build(
    conn: AsyncConnection,
    tenant_id: int,
    today: date,
    *,
    patient_ids: Sequence[int] | None = None,
    version: int | None = None,
    include_global: bool = False,
) -> WorkingSet:
    """The full working set (``patient_ids`` None) or the part for ``patient_ids`` (a delta);
    the shared reference tables only with ``include_global``."""
    version = await current_version(conn) if version is None else version
    ids = await patients_in_window(conn, tenant_id, today) if patient_ids is None else patient_ids
    clinical = await _clinical(conn, tenant_id, list(ids), today)
    reference = await _reference(conn, tenant_id)
    tables = {**reference, **clinical}
    result = WorkingSet(version=version, ref_hash=ref_hash(tables), tables=tables)
    result.global_hash = await global_hash(conn)
    if include_global:
        tables.update(await global_tables(conn))
    return result


def split(tables: dict[str, list[JsonRow]], max_rows: int) -> list[dict[str, list[JsonRow]]]:
    """Cut the tables into parts of at most ``max_rows`` rows, keeping table order."""
    parts: list[dict[str, list[JsonRow]]] = [{}]
    size = 0
    for table in TABLES:
        rows = tables.get(table.name)
        if rows is None:
            continue
        parts[-1].setdefault(table.name, [])
        for row in rows:
            if size >= max_rows:
                parts.append({table.name: []})
                size = 0
            parts[-1][table.name].append(row)
            size += 1
    return parts
