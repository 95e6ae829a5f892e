"""Complete visits per second through the cloud services, on SQLite and PostgreSQL.

A complete visit is what a clinic does for one patient, each step in its own transaction as a
web request would be: card upsert → register → start → two diagnoses → two drug orders →
finish (fee code) → bill → settle → drug-bag print job. Every step writes its audit rows.

Baselines measured in the same run on the same database server:
- PostgreSQL: pgbench with a custom script inserting the same number of rows per visit into
  plain tables (one transaction per step), i.e. what the server does with no application at all.
- SQLite: a raw sqlite3 loop inserting the same rows with the same commit count.

The services run in one Python process by default; ``--processes N`` (PostgreSQL only) splits
the visits and the workers over N processes sharing the database, as N web server processes of
one node would. Each run also reports the statements one warm visit sends and the CPU time the
Python process(es) spent per visit, so a slower figure can be told apart from a busier machine.

Usage: ``python -m bench.visit_throughput [--visits 400] [--workers 8] [--processes 1]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.stats import report
from clinicbox.runtime import postgres
from clinicbox_core.nhi.card import NhiCardBasic
from clinicbox_core.nhi.id_number import check_digit
from cloud_plane.db.engine import create_engine, upgrade
from cloud_plane.db.tables_clinic import tenant_drugs
from cloud_plane.refdata.loaders import DEFAULT_DATA_DIR
from cloud_plane.seed.demo import seed_demo
from cloud_plane.services import (
    auth,
    billing,
    consultation,
    finish,
    orders,
    patients,
    printing,
    registration,
)
from cloud_plane.services.actor import Actor

# Row writes per complete visit, counted from the service code path (visit, patient, 2 diagnoses,
# 3 orders incl. the fee, bill, print job, counters) plus audit rows; used by the raw baselines.
STEPS_PER_VISIT = 11
ROWS_PER_STEP = 2


def _card(n: int) -> NhiCardBasic:
    first9 = f"A1{n:07d}"
    return NhiCardBasic(
        card_no=f"{900000000000 + n:012d}",
        name="測試" + "甲乙丙丁戊己庚辛壬癸"[n % 10],
        id_no=first9 + str(check_digit(first9)),
        birth_date=date(1970 + n % 40, 1 + n % 12, 1 + n % 28),
        sex="M",
        issue_date=date(2020, 1, 1),
    )


async def _actors(engine: AsyncEngine, info: object) -> tuple[Actor, Actor, int, list[str]]:
    clinic = info.clinic("demo-west")  # type: ignore[attr-defined]
    by_role = {login.roles[0]: login for login in clinic.logins}
    async with engine.begin() as conn:
        desk = await auth.authenticate(
            conn, clinic.nhi_code, by_role["front_desk"].username, by_role["front_desk"].password
        )
        doc = await auth.authenticate(
            conn, clinic.nhi_code, by_role["doctor"].username, by_role["doctor"].password
        )
        drugs = (
            await conn.execute(
                select(tenant_drugs.c.code)
                .where(tenant_drugs.c.tenant_id == doc.tenant_id)
                .order_by(tenant_drugs.c.code)
                .limit(2)
            )
        ).scalars()
        codes = list(drugs)
    assert doc.staff_id is not None
    return desk, doc, doc.staff_id, codes


async def _one_visit(
    engine: AsyncEngine, desk: Actor, doc: Actor, doctor_id: int, drugs: list[str], n: int
) -> None:
    async with engine.begin() as conn:
        patient = await patients.upsert_from_card(conn, desk, _card(n))
    async with engine.begin() as conn:
        visit = await registration.register(
            conn, desk, patient.id, doctor_id=doctor_id, department="01", source="card"
        )
    async with engine.begin() as conn:
        await consultation.start_consultation(conn, doc, visit.id)
    for code in ("J06.9", "I10"):
        async with engine.begin() as conn:
            await consultation.add_diagnosis(conn, doc, visit.id, code)
    for code in drugs:
        async with engine.begin() as conn:
            await orders.add_drug_order(
                conn,
                doc,
                visit.id,
                drug_code=code,
                dose=Decimal(1),
                frequency="TID",
                route="PO",
                days=3,
            )
    async with engine.begin() as conn:
        await finish.finish_consultation(conn, doc, visit.id)
    async with engine.begin() as conn:
        bill = await billing.compute_bill(conn, desk, visit.id)
    async with engine.begin() as conn:
        await billing.settle(conn, desk, visit.id, bill.amount_due)
    async with engine.begin() as conn:
        await printing.create_print_job(conn, desk, visit.id, "drugbag")


@dataclass(frozen=True)
class Setup:
    """What every worker process needs: the URL and the actors of the seeded demo clinic."""

    url: str
    desk: Actor
    doctor: Actor
    doctor_id: int
    drugs: list[str]


@dataclass(frozen=True)
class Run:
    visits: int
    started: float  # time.monotonic(), comparable across processes on one machine
    finished: float
    cpu_seconds: float  # process CPU time (user + system) of the Python process


async def prepare(url: str, data_dir: Path) -> Setup:
    """Migrate and seed the database; the demo clinic's front desk, doctor and two drugs."""
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    try:
        info = await seed_demo(engine, data_dir)
        desk, doc, doctor_id, drugs = await _actors(engine, info)
        return Setup(url, desk, doc, doctor_id, drugs)
    finally:
        await engine.dispose()


async def statements_per_visit(setup: Setup, n: int) -> int:
    """Statements (BEGIN/COMMIT excluded) one visit sends, measured on a warm engine."""
    engine = create_engine(setup.url)
    count = 0

    def on_execute(_conn: Any, _cur: Any, statement: str, *_args: Any) -> None:
        nonlocal count
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT")):
            count += 1

    try:
        await _one_visit(engine, setup.desk, setup.doctor, setup.doctor_id, setup.drugs, n)
        event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
        await _one_visit(engine, setup.desk, setup.doctor, setup.doctor_id, setup.drugs, n + 1)
        return count
    finally:
        await engine.dispose()


async def run_services(setup: Setup, numbers: list[int], workers: int) -> Run:
    """Run the visits ``numbers`` with ``workers`` concurrent tasks on one engine."""
    engine = create_engine(setup.url)
    try:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in numbers:
            queue.put_nowait(n)

        async def worker() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                await _one_visit(engine, setup.desk, setup.doctor, setup.doctor_id, setup.drugs, n)

        cpu = time.process_time()
        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(workers)))
        finished = time.monotonic()
        return Run(len(numbers), started, finished, time.process_time() - cpu)
    finally:
        await engine.dispose()


def _process_main(setup: Setup, numbers: list[int], workers: int, barrier: Any, out: Any) -> None:
    barrier.wait()
    out.put(asyncio.run(run_services(setup, numbers, workers)))


def run_processes(setup: Setup, visits: int, workers: int, processes: int) -> list[Run]:
    """Split the visits and workers over ``processes`` fresh processes started together."""
    if processes == 1:
        return [asyncio.run(run_services(setup, list(range(visits)), workers))]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes)
    out = ctx.Queue()
    per_process = max(1, workers // processes)
    procs = [
        ctx.Process(
            target=_process_main,
            args=(setup, list(range(p, visits, processes)), per_process, barrier, out),
        )
        for p in range(processes)
    ]
    for proc in procs:
        proc.start()
    runs = [out.get() for _ in procs]
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            raise SystemExit(f"bench process failed with exit code {proc.exitcode}")
    return runs


def throughput(runs: list[Run]) -> tuple[float, float]:
    """Visits/s over the wall time of all runs, and Python CPU ms per visit."""
    visits = sum(r.visits for r in runs)
    wall = max(r.finished for r in runs) - min(r.started for r in runs)
    return visits / wall, sum(r.cpu_seconds for r in runs) / visits * 1000


def raw_sqlite(path: Path, visits: int) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE r (id INTEGER PRIMARY KEY, visit INTEGER, k TEXT, v TEXT, at TEXT)")
    started = time.perf_counter()
    for n in range(visits):
        for step in range(STEPS_PER_VISIT):
            db.execute("BEGIN IMMEDIATE")
            for row in range(ROWS_PER_STEP):
                db.execute(
                    "INSERT INTO r (visit, k, v, at) VALUES (?, ?, ?, ?)",
                    (n, f"s{step}", f"row{row}", datetime.now(UTC).isoformat()),
                )
            db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return visits / elapsed


def raw_pgbench(url: str, workers: int, seconds: int = 10) -> float:
    """pgbench with one 'visit' = STEPS_PER_VISIT transactions of ROWS_PER_STEP inserts."""
    m = re.match(
        r"postgresql\+\w+://(?P<user>[^@:/]+)?@?(?P<host>[^:/]+):(?P<port>\d+)/(?P<db>\w+)", url
    )
    if m is None:
        raise SystemExit(f"cannot parse {url}")
    env = {
        **os.environ,
        "PGUSER": m["user"] or "postgres",
        "PGHOST": m["host"],
        "PGPORT": m["port"],
        "PGDATABASE": m["db"],
    }
    subprocess.run(
        [
            "psql",
            "-q",
            "-c",
            "CREATE TABLE IF NOT EXISTS bench_r (id bigserial primary key, "
            "visit int, k text, v text, at timestamptz default now())",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    step = (
        "BEGIN;\n"
        + "INSERT INTO bench_r (visit, k, v) VALUES (:client_id, 'k', 'v');\n" * ROWS_PER_STEP
        + "COMMIT;\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
        fh.write(step)
        script = fh.name
    out = subprocess.run(
        ["pgbench", "-n", "-c", str(workers), "-j", "2", "-T", str(seconds), "-f", script],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    os.unlink(script)
    tps = float(re.search(r"tps = ([\d.]+)", out)[1])  # type: ignore[index]
    return tps / STEPS_PER_VISIT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visits", type=int, default=400)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--processes", type=int, default=1, help="PostgreSQL service processes")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        setup = asyncio.run(prepare(f"sqlite+aiosqlite:///{path}", args.data_dir))
        statements = asyncio.run(statements_per_visit(setup, 9_999_990))
        vps, cpu_ms = throughput(run_processes(setup, args.visits, 1, 1))
        raw = raw_sqlite(Path(tmp) / "raw.db", args.visits)
        report("statements per visit SQLite", f"{statements:8d}")
        report("visits/s SQLite (services, 1 writer)", f"{vps:8.1f}  ({cpu_ms:.1f} ms CPU/visit)")
        report("visits/s SQLite raw-insert baseline", f"{raw:8.1f}  ratio {vps / raw:.2f}")
    server = postgres.ensure()
    with postgres.throwaway_database(server) as url:
        setup = asyncio.run(prepare(url, args.data_dir))
        statements = asyncio.run(statements_per_visit(setup, 9_999_990))
        runs = run_processes(setup, args.visits, args.workers, args.processes)
        vps, cpu_ms = throughput(runs)
        raw = raw_pgbench(url, args.workers)
        where = f"{args.workers} workers" + (
            f" in {args.processes} processes" if args.processes > 1 else ""
        )
        report("statements per visit PostgreSQL", f"{statements:8d}")
        report(
            f"visits/s PostgreSQL (services, {where})", f"{vps:8.1f}  ({cpu_ms:.1f} ms CPU/visit)"
        )
        report("visits/s PostgreSQL pgbench baseline", f"{raw:8.1f}  ratio {vps / raw:.2f}")
        report("target ≥ 40 visits/s on PostgreSQL", "met" if vps >= 40 else "NOT met")


if __name__ == "__main__":
    main()
