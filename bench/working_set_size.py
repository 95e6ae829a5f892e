"""Size of a clinic's working set (what its box keeps to work alone) for a large clinic.

Loads the demo clinic plus ``--patients`` patients, each with ``--visits`` finished visits in
the last 24 months (two diagnoses and three drug orders each), straight into the tables (bulk
inserts: this measures the working set, not the services), then builds the working set with
:func:`cloud_plane.continuity.working_set.build` exactly as the publisher does, and reports rows
per table, the JSON size the box receives (as sent, and gzip-compressed for comparison), and the
time to build it. Baseline in the same run: the time to read the same clinical tables' rows with
plain ``SELECT *`` and serialise them with ``json.dumps``.

Usage: ``python -m bench.working_set_size [--patients 20000] [--visits 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.stats import report
from clinicbox.demo import DEMO_TENANT
from clinicbox_core.nhi.id_number import check_digit
from cloud_plane.continuity.working_set import CLINICAL_TABLES, build
from cloud_plane.db.engine import create_engine, upgrade_async
from cloud_plane.db.tables_clinic import diagnoses, orders, patients, staff, tenants, visits
from cloud_plane.seed.demo import seed_demo


async def _load(engine: AsyncEngine, n_patients: int, n_visits: int, today: date) -> int:
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        tid = (
            await conn.execute(select(tenants.c.id).where(tenants.c.slug == DEMO_TENANT))
        ).scalar_one()
        doctor = (
            await conn.execute(select(staff.c.id).where(staff.c.tenant_id == tid).limit(1))
        ).scalar_one()
        rows = []
        for i in range(n_patients):
            nine = f"W{1 + i % 2}{i:07d}"
            rows.append(
                {
                    "tenant_id": tid,
                    "chart_no": f"W{i:08d}",
                    "national_id": nine + check_digit(nine),
                    "name": f"病人{i:05d}",
                    "sex": "F" if i % 2 else "M",
                    "birth_date": date(1940 + i % 70, 1 + i % 12, 1 + i % 28),
                    "phone": f"09{i:08d}",
                    "address": "臺北市中正區重慶南路一段122號",
                    "allergies": "盤尼西林" if i % 7 == 0 else "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        await conn.execute(patients.insert(), rows)
        ids = (
            await conn.execute(select(patients.c.id).where(patients.c.chart_no.like("W%")))
        ).scalars()
        pids = sorted(ids)
        visit_rows = []
        for k, pid in enumerate(pids):
            for v in range(n_visits):
                day = today - timedelta(days=1 + (k * 7 + v * 97) % 700)
                visit_rows.append(
                    {
                        "tenant_id": tid,
                        "patient_id": pid,
                        "visit_date": day,
                        "session": ("morning", "afternoon", "evening")[v % 3],
                        "department": "01",
                        "doctor_id": doctor,
                        "visit_no": 1000 + k * n_visits + v,
                        "visit_type": "01",
                        "case_type": "01",
                        "status": "dispensed",
                        "chief_complaint": "咳嗽、喉嚨痛三天",
                        "source": "card",
                        "registered_at": now,
                        "updated_at": now,
                    }
                )
        await conn.execute(visits.insert(), visit_rows)
        vids = sorted(
            (await conn.execute(select(visits.c.id).where(visits.c.visit_no >= 1000))).scalars()
        )
        dx, od = [], []
        for vid in vids:
            for o, (code, name) in enumerate((("J06.9", "急性上呼吸道感染"), ("R05", "咳嗽"))):
                dx.append(
                    {
                        "tenant_id": tid,
                        "visit_id": vid,
                        "ordinal": o + 1,
                        "code": code,
                        "name": name,
                    }
                )
            for o in range(3):
                od.append(
                    {
                        "tenant_id": tid,
                        "visit_id": vid,
                        "ordinal": o + 1,
                        "kind": "drug",
                        "code": f"A0{o}1234100",
                        "name": "Acetaminophen 500 mg 錠",
                        "total_quantity": "9",
                        "unit_points": "1.5",
                        "amount_points": 14,
                        "self_pay": False,
                        "created_at": now,
                    }
                )
        await conn.execute(diagnoses.insert(), dx)
        await conn.execute(orders.insert(), od)
    return int(tid)


async def run(args: argparse.Namespace, base: Path) -> int:
    url = f"sqlite+aiosqlite:///{base / 'cloud.db'}"
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        await seed_demo(engine)
        today = date.today()
        t0 = time.perf_counter()
        tid = await _load(engine, args.patients, args.visits, today)
        load_s = time.perf_counter() - t0
        async with engine.connect() as conn:
            t0 = time.perf_counter()
            ws = await build(conn, tid, today)
            body = json.dumps(ws.tables, ensure_ascii=False).encode()
            build_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            raw: dict[str, list[dict[str, Any]]] = {}
            for table in CLINICAL_TABLES:
                result = await conn.execute(select(table).where(table.c.tenant_id == tid))
                raw[table.name] = [dict(r._mapping) for r in result]
            raw_body = json.dumps(raw, ensure_ascii=False, default=str).encode()
            raw_s = time.perf_counter() - t0
    finally:
        await engine.dispose()
    print(f"working set of one clinic (SQLite), {args.patients} patients x {args.visits} visits")
    report("bulk load (not the figure)", f"{load_s:.1f} s")
    for name, rows in ws.tables.items():
        report(f"  rows: {name}", str(len(rows)))
    report("rows in the working set", str(ws.rows))
    report("size as sent (JSON)", f"{len(body) / 1e6:.1f} MB")
    report("size gzip-compressed (for comparison)", f"{len(gzip.compress(body)) / 1e6:.1f} MB")
    report("build time (cloud)", f"{build_s:.2f} s")
    raw_mb = len(raw_body) / 1e6
    report("baseline: SELECT * + json.dumps, clinical tables", f"{raw_s:.2f} s ({raw_mb:.1f} MB)")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.working_set_size")
    p.add_argument("--patients", type=int, default=20_000)
    p.add_argument("--visits", type=int, default=3)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="clinicbox-ws-") as tmp:
        return asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    sys.exit(main())
