"""The box's clinic database: the cloud's schema (same Alembic migrations) plus the box's own
tables (:mod:`.tables`), encrypted with SQLCipher (:mod:`.cipher`), and the working set applied
into it.

A build (every :class:`WorkingSetPart` of one ``build_id``) is staged part by part and applied
in one transaction once complete. A **rebuild** replaces every working-set table (and the local
audit trail, whose work the cloud has by then confirmed); a **delta** upserts the rows of the
patients it names and replaces the children of their visits. A delta is refused (the box then
reports version 0 and the cloud sends a rebuild) when its ``from_version`` is not the box's
version; nothing is applied while the box holds offline work the cloud has not confirmed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Table, create_engine, delete, func, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox_core.contracts import WorkingSetPart, WorkingSetState
from cloud_plane.continuity import working_set as ws
from cloud_plane.continuity.rowcodec import JsonRow, decode, digest
from cloud_plane.db.engine import alembic_config
from cloud_plane.db.engine import create_engine as create_async
from cloud_plane.db.tables_clinic import audit_log
from edge_agent.continuity import cipher
from edge_agent.continuity.digests import patient_digest, patient_rows, ship_digest, visit_bundles
from edge_agent.continuity.tables import (
    box_metadata,
    ws_base,
    ws_meta,
    ws_sent,
    ws_shipped,
    ws_staging,
)

log = logging.getLogger(__name__)


def _migrate(path: Path, key: str) -> None:
    url = cipher.sync_url(path, key)
    cfg = alembic_config("sqlite:///unused")
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")
    engine = create_engine(url)
    try:
        box_metadata.create_all(engine)
    finally:
        engine.dispose()


class WorkingSetStore:
    """``await WorkingSetStore.open(path, key_file)``; ``engine`` serves the box's web pages."""

    def __init__(self, engine: AsyncEngine, path: Path) -> None:
        self.engine = engine
        self.path = path

    @classmethod
    async def open(cls, path: Path, key_file: Path) -> WorkingSetStore:
        key = await asyncio.to_thread(cipher.load_or_create_key, key_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(_migrate, path, key)
        return cls(create_async(cipher.async_url(path, key_file)), path)

    async def close(self) -> None:
        await self.engine.dispose()

    # ---- meta ---------------------------------------------------------------------------------

    @staticmethod
    async def meta(conn: AsyncConnection) -> dict[str, str]:
        return {r.key: r.value for r in (await conn.execute(select(ws_meta))).all()}

    @staticmethod
    async def set_meta(conn: AsyncConnection, **values: object) -> None:
        for key, value in values.items():
            stmt = sqlite_insert(ws_meta).values(key=key, value=str(value))
            await conn.execute(
                stmt.on_conflict_do_update(index_elements=["key"], set_={"value": str(value)})
            )

    async def version(self) -> int:
        async with self.engine.connect() as conn:
            return int((await self.meta(conn)).get("version", "0"))

    async def request_rebuild(self) -> None:
        """Report version 0 from now on: the cloud answers with a full rebuild."""
        async with self.engine.begin() as conn:
            await self.set_meta(conn, version=0)

    async def pending(self, acked_seq: int) -> int:
        """Offline records the cloud has not confirmed, plus local changes not yet shipped."""
        async with self.engine.connect() as conn:
            shipped = (
                await conn.execute(
                    select(func.count()).select_from(ws_shipped).where(ws_shipped.c.seq > acked_seq)
                )
            ).scalar_one()
            cursor = int((await self.meta(conn)).get("audit_cursor", "0"))
            unshipped = (
                await conn.execute(
                    select(func.count())
                    .select_from(audit_log)
                    .where(audit_log.c.id > cursor, audit_log.c.action != "read")
                )
            ).scalar_one()
        return int(shipped) + int(unshipped)

    async def has_local_work(self) -> bool:
        """Anything done on the box since the last rebuild (its audit trail is not empty)."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(audit_log.c.id).limit(1))).first()
        return row is not None

    async def state(self, acked_seq: int, *, continuity: bool) -> WorkingSetState:
        async with self.engine.connect() as conn:
            meta = await self.meta(conn)
        synced = datetime.fromisoformat(meta["synced_at"]) if "synced_at" in meta else None
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
        return WorkingSetState(
            version=int(meta.get("version", "0")),
            ref_hash=meta.get("ref_hash", ""),
            global_hash=meta.get("global_hash", ""),
            rows=int(meta.get("rows", "0")),
            size_bytes=size,
            synced_at=synced,
            # never negative: an RTC-less box's clock can step back
            stale_s=max(0.0, (datetime.now(UTC) - synced).total_seconds()) if synced else None,
            pending_records=await self.pending(acked_seq),
            continuity=continuity,
        )

    # ---- builds -------------------------------------------------------------------------------

    async def receive(self, part: WorkingSetPart, acked_seq: int) -> str:
        """Stage ``part``; apply the build once complete. Returns what happened (for logs)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                sqlite_insert(ws_staging)
                .values(build_id=str(part.build_id), part=part.part, payload=part.model_dump_json())
                .on_conflict_do_nothing()
            )
            count = (
                await conn.execute(
                    select(func.count())
                    .select_from(ws_staging)
                    .where(ws_staging.c.build_id == str(part.build_id))
                )
            ).scalar_one()
        if count < part.parts:
            return "staged"
        if await self.pending(acked_seq) > 0:
            await self._drop(str(part.build_id))
            return "deferred: offline work not yet confirmed by the cloud"
        async with self.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(ws_staging.c.payload)
                    .where(ws_staging.c.build_id == str(part.build_id))
                    .order_by(ws_staging.c.part)
                )
            ).scalars()
            parts = [WorkingSetPart.model_validate_json(r) for r in rows]
            outcome = await self._apply(conn, parts)
            await conn.execute(delete(ws_staging))
        return outcome

    async def _drop(self, build_id: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(ws_staging).where(ws_staging.c.build_id == build_id))

    async def _apply(self, conn: AsyncConnection, parts: list[WorkingSetPart]) -> str:
        first = parts[0]
        tables: dict[str, list[JsonRow]] = defaultdict(list)
        for part in parts:
            for name, rows in part.tables.items():
                tables[name].extend(rows)
        meta = await self.meta(conn)
        have = int(meta.get("version", "0"))
        if first.mode == "delta" and first.from_version != have:
            await self.set_meta(conn, version=0)
            return f"refused delta from {first.from_version} (have {have}): rebuild requested"
        shared = {t.name for t in ws.GLOBAL_TABLES} <= set(tables)
        for table in ws.GLOBAL_TABLES if shared else ():  # no foreign keys point at them
            await conn.execute(delete(table))
            await _insert(conn, table, tables[table.name])
        if first.mode == "rebuild":
            await conn.execute(delete(audit_log))
            for table in reversed(ws.TABLES):
                if table not in ws.GLOBAL_TABLES:
                    await conn.execute(delete(table))
            await conn.execute(delete(ws_base))
            await conn.execute(delete(ws_sent))
            await conn.execute(delete(ws_shipped))
            for table in ws.TABLES:
                if table not in ws.GLOBAL_TABLES:
                    await _insert(conn, table, tables.get(table.name, []))
        else:
            await _upsert_delta(conn, tables)
        await _record_bases(conn, tables)
        total = (
            sum(len(v) for v in tables.values())
            if first.mode == "rebuild"
            else int(meta.get("rows", "0"))
        )
        if shared:
            await self.set_meta(conn, global_hash=first.global_hash)
        await self.set_meta(
            conn,
            version=first.version,
            ref_hash=first.ref_hash,
            synced_at=datetime.now(UTC).isoformat(),
            rows=total,
            audit_cursor=0 if first.mode == "rebuild" else meta.get("audit_cursor", "0"),
        )
        return f"{first.mode} to version {first.version}: {sum(map(len, tables.values()))} rows"


async def _insert(conn: AsyncConnection, table: Table, rows: list[JsonRow]) -> None:
    if rows:
        await conn.execute(insert(table), [decode(table, r) for r in rows])


async def _upsert(conn: AsyncConnection, table: Table, rows: list[JsonRow]) -> None:
    """Insert or replace ``rows`` by primary key, in one executemany."""
    if rows:
        await _upsert_many(conn, table, [decode(table, r) for r in rows])


async def _upsert_many(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    keys = [c.name for c in table.primary_key.columns]
    stmt = sqlite_insert(table)
    rest = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    await conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=rest), rows)


async def _upsert_delta(conn: AsyncConnection, tables: dict[str, list[JsonRow]]) -> None:
    for table in (*ws.REF_TABLES, ws.TABLE_BY_NAME["counters"], ws.TABLE_BY_NAME["patients"]):
        await _upsert(conn, table, tables.get(table.name, []))
    visits = ws.TABLE_BY_NAME["visits"]
    visit_ids = [int(v["id"]) for v in tables.get("visits", [])]
    children = [ws.TABLE_BY_NAME[n] for n in ("diagnoses", "orders", "bills", "print_jobs")]
    for table in reversed(children):
        await conn.execute(delete(table).where(table.c.visit_id.in_(visit_ids)))
    await _upsert(conn, visits, tables.get("visits", []))
    for table in children:
        await _insert(conn, table, tables.get(table.name, []))


async def _record_bases(conn: AsyncConnection, tables: dict[str, list[JsonRow]]) -> None:
    """Base digests (cloud form, for the cloud) and sent digests (box form, for the collector)."""
    patients = tables.get("patients", [])
    visits = tables.get("visits", [])
    kids: dict[int, dict[str, list[JsonRow]]] = defaultdict(lambda: defaultdict(list))
    for name in ("diagnoses", "orders", "bills"):
        for row in tables.get(name, []):
            kids[int(row["visit_id"])][name].append(row)
    bases: list[dict[str, Any]] = []
    for p in patients:
        bases.append({"entity": "patient", "id": p["id"], "digest": patient_digest(p), "row": p})
    for v in visits:
        k = kids[int(v["id"])]
        bill = k["bills"][0] if k["bills"] else None
        bases.append(
            {
                "entity": "visit",
                "id": v["id"],
                "digest": digest(v, k["diagnoses"], k["orders"], bill),
                "row": None,
            }
        )
    sent: list[dict[str, Any]] = []
    local_p = await patient_rows(conn, [int(p["id"]) for p in patients])
    sent += [
        {"entity": "patient", "id": i, "digest": patient_digest(r)} for i, r in local_p.items()
    ]
    local_v = await visit_bundles(conn, [int(v["id"]) for v in visits])
    sent += [{"entity": "visit", "id": i, "digest": ship_digest(b)} for i, b in local_v.items()]
    for table, rows in ((ws_base, bases), (ws_sent, sent)):
        if rows:
            await _upsert_many(conn, table, rows)
