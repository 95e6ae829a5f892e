"""Working set of a clinic with 20,000 patients: rows, bytes on the wire, build time in the
cloud, apply time and file size on the box (SQLCipher), against writing the same rows into a
plain SQLite file (no encryption, no typed columns) in the same run.

Set-up: a SQLite cloud database migrated and seeded with the demo clinics (which brings the
real NHI reference tables: ~45k drug codes, ~97k ICD-10 codes, ~5k fee codes); ``--patients``
patients for demo-west, each with one visit in the last 24 months (one diagnosis, two drug
orders, a bill) inserted directly (the services are measured by bench.visit_throughput). Then
the working set is built as the publisher builds a rebuild (``include_global``), cut into
parts of 2,000 rows, and applied by the box's real store.

Usage: ``python -m bench.working_set [--patients 20000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select

from clinicbox_core.contracts import WorkingSetPart
from cloud_plane.continuity import working_set as ws
from cloud_plane.db.engine import create_engine, upgrade
from cloud_plane.db.tables_clinic import (
    bills,
    diagnoses,
    orders,
    patients,
    staff,
    tenant_drugs,
    tenants,
    visits,
)
from cloud_plane.refdata.loaders import DEFAULT_DATA_DIR
from cloud_plane.seed.demo import seed_demo
from cloud_plane.services.clock import clinic_day
from edge_agent.continuity.store import WorkingSetStore

PART_ROWS = 2000


async def _populate(url: str, n: int) -> int:
    engine = create_engine(url)
    try:
        await seed_demo(engine, DEFAULT_DATA_DIR)
        async with engine.begin() as conn:
            tid = (
                await conn.execute(select(tenants.c.id).where(tenants.c.slug == "demo-west"))
            ).scalar_one()
            doctor = (
                await conn.execute(
                    select(staff.c.id).where(
                        staff.c.tenant_id == tid, staff.c.username == "doctor1"
                    )
                )
            ).scalar_one()
            drugs = list(
                (
                    await conn.execute(
                        select(tenant_drugs.c.code).where(tenant_drugs.c.tenant_id == tid)
                    )
                ).scalars()
            )
            now = datetime.now(UTC)
            today = clinic_day(now)
            rnd = random.Random(7)
            people: list[dict[str, object]] = []
            seen: list[dict[str, object]] = []
            numbers: dict[date, int] = {}
            for i in range(n):
                people.append({
                    "tenant_id": tid, "chart_no": f"{500000 + i:06d}", "national_id": None,
                    "name": f"病人{i:05d}", "sex": "MF"[i % 2],
                    "birth_date": today - timedelta(days=3650 + i),
                    "phone": f"09{i:08d}", "address": "臺北市大安區示範路1號", "nhi_card_no": None,
                    "allergies": "", "created_at": now, "updated_at": now,
                })  # fmt: skip
            await conn.execute(insert(patients), people)
            ids = list(
                (
                    await conn.execute(select(patients.c.id).where(patients.c.tenant_id == tid))
                ).scalars()
            )
            for pid in ids:
                day = today - timedelta(days=rnd.randrange(0, 720))
                numbers[day] = numbers.get(day, 0) + 1
                seen.append({
                    "tenant_id": tid, "patient_id": pid, "visit_date": day, "session": "morning",
                    "department": "01", "doctor_id": doctor, "visit_no": numbers[day],
                    "visit_type": "01", "nhi_seq": "0001", "abnormal_code": None, "case_type": "09",
                    "copay_code": "D10", "status": "billed", "chief_complaint": "咳嗽",
                    "source": "manual", "box_id": None, "registered_at": now, "started_at": now,
                    "finished_at": now, "updated_at": now,
                })  # fmt: skip
            await conn.execute(insert(visits), seen)
            vids = list(
                (await conn.execute(select(visits.c.id).where(visits.c.tenant_id == tid))).scalars()
            )
            await conn.execute(insert(diagnoses), [
                {"tenant_id": tid, "visit_id": v, "ordinal": 1, "code": "J06.9",
                 "name": "急性上呼吸道感染"}
                for v in vids
            ])  # fmt: skip
            await conn.execute(insert(orders), [
                {"tenant_id": tid, "visit_id": v, "ordinal": k, "kind": "drug",
                 "code": drugs[(v + k) % len(drugs)],
                 "name": "藥品", "dose": Decimal(1), "frequency": "TID", "route": "PO", "days": 3,
                 "total_quantity": Decimal(9), "unit_points": Decimal("2.5"), "amount_points": 23,
                 "self_pay": False, "created_at": now}
                for v in vids for k in (1, 2)
            ])  # fmt: skip
            await conn.execute(insert(bills), [
                {"tenant_id": tid, "visit_id": v, "registration_fee": 150, "copay": 50,
                 "copay_basic": 50, "copay_drug": 0, "copay_code": "D10", "nhi_points": 400,
                 "self_pay_total": 0, "amount_due": 200, "paid": 200, "computed_at": now,
                 "settled_at": now}
                for v in vids
            ])  # fmt: skip
        return int(tid)
    finally:
        await engine.dispose()


def _baseline(path: Path, parts: list[dict[str, list[dict[str, object]]]]) -> float:
    """The same rows as JSON text into one plain SQLite table, one transaction."""
    t0 = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE r (tbl TEXT, row TEXT)")
    with db:
        for tables in parts:
            db.executemany(
                "INSERT INTO r VALUES (?, ?)",
                (
                    (name, json.dumps(row, ensure_ascii=False))
                    for name, rows in tables.items()
                    for row in rows
                ),
            )
    db.close()
    return time.perf_counter() - t0


async def run(n: int, base: Path) -> None:
    url = f"sqlite+aiosqlite:///{base / 'cloud.db'}"
    await asyncio.to_thread(upgrade, url)
    t0 = time.perf_counter()
    tid = await _populate(url, n)
    print(f"populated {n} patients in {time.perf_counter() - t0:.1f} s")
    engine = create_engine(url)
    try:
        t0 = time.perf_counter()
        async with engine.connect() as conn:
            built = await ws.build(conn, tid, clinic_day(datetime.now(UTC)), include_global=True)
        build_s = time.perf_counter() - t0
    finally:
        await engine.dispose()
    split = ws.split(built.tables, PART_ROWS)
    build_id = uuid.uuid4()
    parts = [
        WorkingSetPart(
            mode="rebuild", build_id=build_id, from_version=0, version=built.version, part=i,
            parts=len(split), ref_hash=built.ref_hash, global_hash=built.global_hash, tables=t,
        )
        for i, t in enumerate(split, start=1)
    ]  # fmt: skip
    wire = sum(len(p.model_dump_json()) for p in parts)
    shared = sum(len(built.tables.get(t.name, [])) for t in ws.GLOBAL_TABLES)
    store = await WorkingSetStore.open(base / "box" / "clinic.db", base / "box.key")
    try:
        t0 = time.perf_counter()
        for part in parts:
            outcome = await store.receive(part, acked_seq=0)
        apply_s = time.perf_counter() - t0
        state = await store.state(0, continuity=False)
    finally:
        await store.close()
    raw_s = _baseline(base / "raw.db", split)
    raw_bytes = (base / "raw.db").stat().st_size
    print(
        f"working set: {built.rows} rows ({built.rows - shared} of the clinic, {shared} shared NHI)"
    )
    print(f"  {len(parts)} MQTT parts, {wire / 2**20:.1f} MiB of JSON on the wire")
    print(f"  cloud build {build_s:.1f} s; box stage + apply {apply_s:.1f} s ({outcome})")
    print(f"  box file (SQLCipher) {state.size_bytes / 2**20:.1f} MiB")
    mib = raw_bytes / 2**20
    print(f"baseline: same rows as JSON text into plain SQLite: {raw_s:.1f} s, {mib:.1f} MiB")
    print(
        f"ratio: apply {apply_s / raw_s:.1f}x the baseline time, "
        f"file {state.size_bytes / raw_bytes:.2f}x its size"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.working_set")
    p.add_argument("--patients", type=int, default=20_000)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ws-bench-") as tmp:
        asyncio.run(run(args.patients, Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
